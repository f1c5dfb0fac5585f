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
        let node = try NodeRunner(home: home, logger: logger).open()
        for nonce in 0..<blocks {
            let tx = sender.send(5, to: DevAccount("certificate-recipient").address, nonce: UInt64(nonce), chainID: "certificate-test")
            try await node.admit(try node.precheck(tx.canonicalBytes))
            try await node.produceBlock(now: TestGenesis.defaultTime + UInt64(nonce + 1) * 1_000)
        }
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
        #expect(result.output.contains("signature does not verify"), "\(result.output)")
    }

    @Test func aNodeRefusesAStoreWhoseHeadCertificateDoesNotVerify() async throws {
        let (dir, home) = try await Self.home(blocks: 2)
        defer { withExtendedLifetime(dir) {} }
        try Self.corruptSignature(home, height: 2)
        let error = #expect(throws: StorageError.self) { _ = try NodeRunner(home: home, logger: Logger(label: "test")).open() }
        #expect(error?.code == .headMismatch)
        #expect(error?.message.contains("the head block 2's commit certificate does not verify") == true, "\(String(describing: error))")
    }

    @Test(arguments: ["a stranger's signature", "a corrupted signature", "no signature", "the signature of another header"])
    func theChainCommitsNoBlockWithoutTheValidatorsCertificate(_ forgery: String) throws {
        let accounts = DevAccount.make(2)
        let test = try TestChain(genesis: try TestGenesis.make(accounts: accounts, balance: 1_000_000_000))
        let head = try test.head()
        let txs = [accounts[0].send(5, to: accounts[1].address, nonce: 0)]
        let executed = try test.chain.execute(height: 1, time: TestGenesis.defaultTime + 1_000, proposer: test.validator.address,
                                              transactions: txs.map(test.ledger.check), mode: .propose,
                                              parentRoot: head.root)
        let header = executed.header(chainID: test.chainID, height: 1, time: TestGenesis.defaultTime + 1_000, previousHash: head.blockHash,
                                     proposer: test.validator.address)
        func signed(by key: DevAccount, _ payload: BlockHeader) -> CommitCertificate.Signature {
            .init(validator: key.publicKey, signature: key.key.sign(domain: .block, chainID: test.chainID, payload: payload.canonicalBytes))
        }
        var other = header
        other.time += 1
        let certificate: CommitCertificate
        switch forgery {
        case "a stranger's signature": certificate = CommitCertificate(signatures: [signed(by: DevAccount("stranger"), header)])
        case "a corrupted signature":
            var s = signed(by: test.validator, header)
            s.signature[0] ^= 0x80
            certificate = CommitCertificate(signatures: [s])
        case "no signature": certificate = CommitCertificate(signatures: [])
        default: certificate = CommitCertificate(signatures: [signed(by: test.validator, other)])
        }
        let error = #expect(throws: InvalidBlock.self) { try test.chain.commit(header: header, certificate: certificate, executed: executed) }
        #expect(error?.message.hasPrefix("block 1: the commit certificate does not verify") == true, "\(String(describing: error))")
        #expect(try test.head() == head, "nothing was stored")
        // The same block with the validator's signature is accepted.
        try test.chain.commit(header: header, certificate: CommitCertificate(signatures: [signed(by: test.validator, header)]), executed: executed)
        #expect(try test.head().height == 1)
    }
}
