import Foundation
import GRDB
import CairnPrimitives
@testable import CairnStorage
import CairnTestSupport
import Testing

@Suite struct MigrationTests {
    /// A store from before transactions were kept in block order opens with all of them still found.
    @Test func aStoreWithTransactionsKeyedByHashIsMigrated() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("db.sqlite")
        let hashes = (0..<3).map { Hash.sha256([UInt8($0)]) }
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v1")
            try pool.write { db in
                // Inserted out of block order, as hash order would store them.
                for (i, hash) in hashes.enumerated().reversed() {
                    try db.execute(sql: "INSERT INTO txs (hash, height, idx, body, receipt) VALUES (?, 7, ?, ?, ?)",
                                   arguments: [Data(hash.bytes), i, Data([UInt8(i), 1]), Data([UInt8(i), 2])])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        try store.read { snap throws in
            #expect(try snap.transactionCount() == 3)
            #expect(try snap.transactions(inBlock: 7).map(\.hash) == hashes)
            let second = try #require(try snap.transaction(hashes[1]))
            #expect(second.height == 7 && second.index == 1 && second.bytes == [1, 1] && second.receipt == [1, 2])
            #expect(try snap.transaction(Hash.sha256([9])) == nil)
        }
    }

    /// The hash stays unique after the move: the same transaction cannot be stored twice.
    @Test func aDuplicateTransactionHashIsRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("db.sqlite"))
        var maker = BatchMaker()
        try store.commit(try maker.batch(height: 0, writes: [(key: [1], value: [1])], txCount: 1))
        var again = try maker.batch(height: 1, writes: [(key: [1], value: [2])], txCount: 1)
        // Same hash as block 0's transaction.
        again.transactions[0].hash = Hash.sha256([0, 0])
        #expect(throws: (any Error).self) { try store.commit(again) }
        #expect(try store.head()?.height == 0)
    }
}
