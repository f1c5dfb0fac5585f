import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

/// A transaction that cannot be included, the fixture it needs, and the core error code it must get.
struct Uninclusable: Sendable, CustomStringConvertible {
    let description: String
    let code: UInt32
    let make: @Sendable (LedgerFixture) -> Transaction

    static let poor = DevAccount("poor")

    static let all: [Uninclusable] = [
        Uninclusable(description: "nonce from the future", code: 3) { $0.accounts[0].send(1, to: $0.accounts[1].address, nonce: 1) },
        Uninclusable(description: "max fee below the base fee", code: 4) {
            $0.accounts[0].send(1, to: $0.accounts[1].address, nonce: 0, maxFee: 9, tip: 0)
        },
        Uninclusable(description: "balance below the maximum fee", code: 5) { f in
            poor.send(1, to: f.accounts[1].address, nonce: 0, gasLimit: 50_000, maxFee: 20, tip: 0)
        },
        Uninclusable(description: "bad signature", code: 2) { f in
            var tx = f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0)
            tx.signature[0] ^= 1
            return tx
        },
        Uninclusable(description: "another chain", code: 1) { $0.accounts[0].send(1, to: $0.accounts[1].address, nonce: 0, chainID: "other") },
        Uninclusable(description: "tip above max fee", code: 11) { $0.accounts[0].send(1, to: $0.accounts[1].address, nonce: 0, maxFee: 20, tip: 21) },
        Uninclusable(description: "gas limit above the block's", code: 10) {
            $0.accounts[0].send(1, to: $0.accounts[1].address, nonce: 0, gasLimit: ChainParams.default.blockGasLimit + 1)
        },
        Uninclusable(description: "memo too long", code: 12) {
            $0.accounts[0].transaction([RawMessage(MsgSend(to: $0.accounts[1].address, coins: [ucairn(1)]))], nonce: 0,
                                       memo: String(repeating: "m", count: 257))
        },
    ]

    /// A fixture where `poor` holds less than any maximum fee: 999,999 ucairn against 50,000 gas at 20.
    static func fixture() throws -> LedgerFixture {
        try LedgerFixture(extra: [(address: poor.address, coins: [ucairn(999_999)])])
    }
}

@Suite struct InclusionTests {
    @Test(arguments: Uninclusable.all)
    func proposingDropsTheTransactionWithItsCodeAndChangesNothing(bad: Uninclusable) throws {
        let f = try Uninclusable.fixture()
        let tx = bad.make(f)
        let good = f.accounts[2].send(10, to: f.accounts[3].address, nonce: 0)
        let before = try f.snapshot([Uninclusable.poor.address])
        let block = try f.produce([tx, good])

        #expect(block.execution.included.map(\.transaction) == [good])
        #expect(block.execution.dropped.count == 1)
        let error = try #require(block.execution.dropped.first?.error)
        #expect(error.module == "ledger")
        #expect(error.code == bad.code, "\(error)")
        #expect(block.receipts.count == 1)
        #expect(block.receipts[0].index == 0)
        let after = try f.snapshot([Uninclusable.poor.address])
        for a in [f.accounts[0].address, f.accounts[1].address, Uninclusable.poor.address] {
            #expect(after.balance(a) == before.balance(a))
            #expect(after.nonce(a) == before.nonce(a))
        }
    }

    @Test(arguments: Uninclusable.all)
    func replayingABlockWithTheTransactionMakesTheBlockInvalid(bad: Uninclusable) throws {
        let f = try Uninclusable.fixture()
        let good = f.accounts[2].send(10, to: f.accounts[3].address, nonce: 0)
        let head = try f.chain.head()
        #expect(throws: InvalidBlock.self) { try f.chain.execute([good, bad.make(f)], mode: .replay) }
        #expect(throws: InvalidBlock.self) { try f.chain.produceBlock([bad.make(f)], mode: .replay) }
        #expect(try f.chain.head() == head)
        // The same block without it replays.
        #expect(try f.chain.execute([good], mode: .replay).included.map(\.transaction) == [good])
    }

    @Test func aNonceAlreadyUsedIsDroppedAsReplay() throws {
        let f = try LedgerFixture()
        let tx = f.accounts[0].send(5, to: f.accounts[1].address, nonce: 0)
        try f.produce([tx])
        let again = try f.produce([tx])
        #expect(again.execution.included.isEmpty)
        #expect(again.execution.dropped.first?.error.matches(CoreError.badNonce(got: 0, expected: 0)) == true)
        let twice = try f.produce([f.accounts[1].send(5, to: f.accounts[0].address, nonce: 0),
                                   f.accounts[1].send(5, to: f.accounts[0].address, nonce: 0)])
        #expect(twice.execution.included.count == 1)
        #expect(twice.execution.dropped.count == 1)
    }

    @Test func transactionsBeyondTheBlockGasLimitAreLeftOut() throws {
        var params = ChainParams.default
        params.blockGasLimit = 60_000
        let f = try LedgerFixture(params: params)
        let txs = (0..<3).map { f.accounts[$0].send(1, to: f.accounts[3].address, nonce: 0, gasLimit: 50_000) }
        let block = try f.produce(txs)
        #expect(block.execution.included.map(\.transaction) == Array(txs.prefix(2)))
        #expect(block.execution.dropped.first?.error.matches(CoreError.gasLimitTooHigh(0, blockLimit: 0)) == true)
    }

    @Test func theMaximumFeeIsCheckedAgainstTheBalanceAfterEarlierTransactions() throws {
        let f = try Uninclusable.fixture()
        let poor = Uninclusable.poor
        // 10,000 gas at 20 reserves 200,000 of 999,999: the first fits; after sending 790,000 and paying
        // about 59,000 in fees, about 150,000 is left, below the second's reserve.
        let first = poor.send(790_000, to: f.accounts[0].address, nonce: 0, gasLimit: 10_000, maxFee: 20, tip: 0)
        let second = poor.send(1, to: f.accounts[0].address, nonce: 1, gasLimit: 10_000, maxFee: 20, tip: 0)
        let block = try f.produce([first, second])
        #expect(block.execution.included.map(\.transaction) == [first])
        #expect(block.execution.dropped.first?.error.code == 5)
    }
}
