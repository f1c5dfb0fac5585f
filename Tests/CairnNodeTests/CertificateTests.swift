import Foundation
import GRDB
import Logging
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStorage
import CairnConsensus
import CairnChain
import CairnNode
import CairnTestSupport
import Testing

/// Every path that accepts a block checks its commit certificate: the commit itself, a replay (`cairn node verify`)
/// and a node opening its store.
@Suite struct CertificateTests {
    /// A node home with a chain of `blocks` blocks after genesis, each with a transfer, made by the node itself.
    static func home(blocks: Int) async throws -> (TemporaryDirectory, NodeHome) {
        let dir = try TemporaryDirectory()
        let home = NodeHome(path: dir.path("home"))
        let sender = DevAccount("certificate-sender")
        try home.initialize(chainID: "certificate-test", genesisTime: TestGenesis.defaultTime) { validator in
            let balances = [BankGenesis.Balance(address: sender.address, coins: [Coin(denom: Denom.native, amount: 1_000_000_000)]),
                            BankGenesis.Balance(address: validator.address, coins: [Coin(denom: Denom.native, amount: 1_000_000)])]
            return ["bank": try JSONValue(encoding: BankGenesis(balances: balances))]
        }
        var logger = Logger(label: "cairn.test.certificates")
        logger.logLevel = .critical
        let runner = NodeRunner(home: home, logger: logger)
        let node = try runner.open()
        for nonce in 0..<blocks {
            let tx = sender.send(5, to: DevAccount("certificate-recipient").address, nonce: UInt64(nonce), chainID: "certificate-test")
            try await node.admit(try node.precheck(tx.canonicalBytes))
        }
        try await runner.decide(node, until: UInt64(blocks))
        return (dir, home)
    }

    /// Flips one bit of the validator's signature in the stored certificate of block `height`.
    static func corruptSignature(_ home: NodeHome, height: UInt64) throws {
        let queue = try RawDatabase.open(home.databasePath)
        try queue.write { db in
            let stored = try #require(try Data.fetchOne(db, sql: "SELECT commit_cert FROM blocks WHERE height = ?", arguments: [Int64(height)]))
            var certificate = try CommitCertificate(canonicalBytes: Array(stored))
            certificate.signatures[0].signature[10] ^= 0x01
            try db.execute(sql: "UPDATE blocks SET commit_cert = ? WHERE height = ?", arguments: [Data(certificate.canonicalBytes), Int64(height)])
        }
    }

    @Test func nodeVerifyNamesTheBlockWhoseSignatureWasCorrupted() async throws {
        let (dir, home) = try await Self.home(blocks: 5)
        let clean = try await CairnProcess.run(["node", "verify", "--home", home.root.path], log: dir.url.appendingPathComponent("verify.log"))
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.hasPrefix("replayed 5 blocks"), "\(clean.output)")

        try Self.corruptSignature(home, height: 3)
        let result = try await CairnProcess.run(["node", "verify", "--home", home.root.path], log: dir.url.appendingPathComponent("corrupt.log"))
        #expect(result.status != 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "\(result.output)")
        #expect(result.output.hasPrefix("error: block 3: the commit certificate does not verify"), "\(result.output)")
        #expect(result.output.contains("does not verify for a precommit of block"), "\(result.output)")
    }

    @Test func aNodeRefusesAStoreWhoseHeadCertificateDoesNotVerify() async throws {
        let (dir, home) = try await Self.home(blocks: 2)
        defer { withExtendedLifetime(dir) {} }
        try Self.corruptSignature(home, height: 2)
        let error = #expect(throws: StorageError.self) { _ = try NodeRunner(home: home, logger: Logger(label: "test")).open() }
        #expect(error?.code == .headMismatch)
        #expect(error?.message.contains("the head block 2's commit certificate does not verify") == true, "\(String(describing: error))")
    }

    @Test(arguments: ["a stranger's signature", "a corrupted signature", "no signature", "a precommit for another block",
                      "a precommit of another round"])
    func theChainCommitsNoBlockWithoutTheValidatorsCertificate(_ forgery: String) throws {
        let accounts = DevAccount.make(2)
        let test = try TestChain(genesis: try TestGenesis.make(accounts: accounts, balance: 1_000_000_000))
        let head = try test.head()
        let txs = [accounts[0].send(5, to: accounts[1].address, nonce: 0)]
        let executed = try test.chain.execute(height: 1, time: TestGenesis.defaultTime + 1_000, proposer: test.validator.address,
                                              transactions: txs.map(test.ledger.check), mode: .propose,
                                              parentRoot: head.root, lastCommit: .none)
        let header = executed.header(chainID: test.chainID, height: 1, time: TestGenesis.defaultTime + 1_000, previousHash: head.blockHash,
                                     proposer: test.validator.address)
        func signed(by key: DevAccount, block: Hash, round: UInt32 = 0) -> CommitCertificate.Signature {
            let vote = Vote(type: .precommit, height: 1, round: round, blockHash: block, validator: key.address).signed(by: key.key, chainID: test.chainID)
            return .init(validator: key.address, signature: vote.signature)
        }
        func make(_ signatures: [CommitCertificate.Signature]) -> CommitCertificate {
            CommitCertificate(height: 1, round: 0, blockHash: header.hash, signatures: signatures)
        }
        let certificate: CommitCertificate
        switch forgery {
        case "a stranger's signature": certificate = make([signed(by: DevAccount("stranger"), block: header.hash)])
        case "a corrupted signature":
            var s = signed(by: test.validator, block: header.hash)
            s.signature[0] ^= 0x80
            certificate = make([s])
        case "no signature": certificate = make([])
        case "a precommit of another round": certificate = make([signed(by: test.validator, block: header.hash, round: 1)])
        default: certificate = make([signed(by: test.validator, block: Hash.sha256([1]))])
        }
        let error = #expect(throws: InvalidBlock.self) { try test.chain.commit(header: header, certificate: certificate, executed: executed) }
        #expect(error?.message.hasPrefix("block 1: the commit certificate does not verify") == true, "\(String(describing: error))")
        #expect(try test.head() == head, "nothing was stored")
        // The same block with the validator's signature is accepted.
        try test.chain.commit(header: header, certificate: make([signed(by: test.validator, block: header.hash)]), executed: executed)
        #expect(try test.head().height == 1)
    }
}
