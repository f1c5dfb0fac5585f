import CairnBank
import CairnLedger
import CairnPrimitives
import CairnStorage
import CairnTestSupport
import Testing

@Suite struct ReplayPropertyTests {
    /// Blocks of 60,000 gas (target 30,000): about five transfers reach the target, ten overflow the block.
    static let params = ChainParams(blockGasLimit: 60_000, initialBaseFee: 10, minBaseFee: 10, baseFeeChangeDenominator: 8,
                                    maxTxBytes: 64 * 1024, maxMemoBytes: 256)

    @Test(arguments: [UInt64(0xCA1), 0xCA2])
    func randomBlocksGiveTheSameStateOnEveryReplica(seed: UInt64) throws {
        let poor = DevAccount("poor")
        let f = try LedgerFixture(accounts: 10, params: ReplayPropertyTests.params, extra: [(address: poor.address, coins: [ucairn(150_000)])])
        let twin = try f.chain.fresh()
        #expect(try twin.head() == f.chain.head())

        // A third replica without a database: the ledger on an in-memory state and tree.
        let memState = InMemoryState()
        let memNodes = InMemoryTreeNodes()
        let genesis = try f.ledger.initGenesis(f.chain.genesis)
        memState.apply(genesis.state.changes)
        var memRoot = try memNodes.apply(root: .zero, writes: genesis.state.changes)
        #expect(memRoot == (try f.chain.head().stateRoot))

        var traffic = RandomTraffic(seed: seed, accounts: f.accounts, poor: poor, validator: f.validator)
        var outcomes = (included: 0, failed: 0, dropped: 0)
        for height in UInt64(1)...30 {
            let nonces = try f.snapshot([poor.address]).nonces
            let txs = traffic.block(nonces: nonces, baseFee: try f.baseFee())
            let block = try f.produce(txs)
            let twinBlock = try twin.produceBlock(txs)
            #expect(block.header.height == height)
            #expect(twinBlock.header.canonicalBytes == block.header.canonicalBytes, "height \(height)")
            #expect(twinBlock.receipts == block.receipts)
            #expect(try twin.head() == f.chain.head())

            let included = block.execution.included
            let exec = try f.ledger.executeBlock(base: memState, height: height, time: block.header.time, proposer: block.header.proposer,
                                                 transactions: included, mode: .replay)
            memState.apply(exec.state.changes)
            memRoot = try memNodes.apply(root: memRoot, writes: exec.state.changes)
            #expect(memRoot == block.header.stateRoot, "height \(height)")
            #expect(exec.receipts == block.receipts)
            #expect(try LedgerAudit.bankViolations(state: memState) == [])

            outcomes.included += included.count
            outcomes.failed += block.receipts.filter { !$0.success }.count
            outcomes.dropped += block.execution.dropped.count
        }
        // The traffic exercised every path: successes, failed receipts and dropped transactions.
        #expect(outcomes.included - outcomes.failed > 30)
        #expect(outcomes.failed > 5)
        #expect(outcomes.dropped > 10)

        let copy = try f.chain.fresh()
        #expect(try f.chain.replay(into: copy) == 30)
        #expect(try copy.head() == f.chain.head())
        let reopened = try f.chain.reopen()
        #expect(try reopened.head() == f.chain.head())
    }

    @Test func theSameSeedGivesTheSameBytes() throws {
        func run() throws -> [UInt8] {
            let f = try LedgerFixture(accounts: 10, params: ReplayPropertyTests.params)
            var traffic = RandomTraffic(seed: 42, accounts: f.accounts, poor: DevAccount("poor"), validator: f.validator)
            var headers = [UInt8]()
            for _ in 0..<5 {
                let txs = traffic.block(nonces: try f.snapshot().nonces, baseFee: try f.baseFee())
                headers += try f.produce(txs).header.canonicalBytes
            }
            return headers
        }
        #expect(try run() == run())
    }

    @Test func replayIntoAChainWithAnotherGenesisIsRefused() throws {
        let f = try LedgerFixture()
        try f.produce([f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0)])
        let other = try TestChain(genesis: try TestGenesis.make(accounts: f.accounts, balance: 1))
        #expect(throws: InvalidBlock.self) { try f.chain.replay(into: other) }
    }

    @Test(arguments: ["txRoot", "receiptRoot", "stateRoot"])
    func replayRefusesAHeaderThatDoesNotCommitToItsBlock(field: String) throws {
        let f = try LedgerFixture()
        try f.chain.produceBlock([f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0)]) { header in
            switch field {
            case "txRoot": header.txRoot = .zero
            case "receiptRoot": header.receiptRoot = .zero
            default: header.stateRoot = .zero
            }
        }
        #expect(throws: InvalidBlock.self) { try f.chain.replay(into: f.chain.fresh()) }
    }

    @Test func aChainReopensAtItsHeadAndKeepsGoing() throws {
        let f = try LedgerFixture()
        try f.produce([f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0)])
        let head = try f.chain.head()
        let reopened = try f.chain.reopen()
        #expect(try reopened.head() == head)
        let next = try reopened.produceBlock([f.accounts[0].send(1, to: f.accounts[1].address, nonce: 1)])
        #expect(next.header.height == 2)
        #expect(next.header.previousHash == head.blockHash)
        #expect(next.execution.included.count == 1)
    }
}
