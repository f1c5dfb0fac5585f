import Foundation
import GRDB
import CairnPrimitives
import CairnStorage
import CairnTestSupport
import Testing

/// The node refuses a store whose head does not hold together, and says what is wrong.
@Suite struct HeadCheckTests {
    /// A chain of a few blocks, then `tamper` run on its database file; returns the error reopening it gives.
    func reopenError(_ tamper: (Database) throws -> Void) throws -> StorageError? {
        let accounts = DevAccount.make(2)
        let chain = try TestChain(genesis: try TestGenesis.make(accounts: accounts, balance: 1_000_000_000))
        for nonce in 0..<3 {
            try chain.produceBlock([accounts[0].send(5, to: accounts[1].address, nonce: UInt64(nonce))])
        }
        #expect(throws: Never.self) { try chain.reopen() }
        let queue = try RawDatabase.open(chain.directory.path("chain.sqlite"))
        try queue.write(tamper)
        return #expect(throws: StorageError.self) { try chain.reopen() }
    }

    @Test func aRecordedRootOtherThanTheHeadersIsRefused() throws {
        let error = try reopenError { db in
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'state_root'", arguments: [Data(Hash.sha256([1]).bytes)])
        }
        #expect(error?.code == .headMismatch)
        #expect(error?.message.contains("does not match the state root") == true)
    }

    @Test func aRootNodeMissingFromTheTreeIsRefused() throws {
        let error = try reopenError { db in
            let version = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'state_root_version'")!
            let key = NodeKey.root(Array(version).reduce(0) { $0 << 8 | UInt64($1) }).encoded
            try db.execute(sql: "DELETE FROM tree_nodes WHERE key = ?", arguments: [Data(key)])
        }
        #expect(error?.code == .headMismatch)
        #expect(error?.message.contains("is not stored at its recorded version") == true)
    }

    @Test func aWrongRootVersionIsRefused() throws {
        let error = try reopenError { db in
            try db.execute(sql: "UPDATE meta SET value = zeroblob(8) WHERE key = 'state_root_version'")
        }
        #expect(error?.code == .headMismatch)
        #expect(error?.message.contains("is not stored at its recorded version 0") == true)
    }

    @Test func aMissingHeadBlockIsRefused() throws {
        let error = try reopenError { db in
            try db.execute(sql: "DELETE FROM blocks WHERE height = (SELECT MAX(height) FROM blocks)")
        }
        #expect(error?.code == .headMismatch)
        #expect(error?.message.contains("is missing from the store") == true)
    }
}
