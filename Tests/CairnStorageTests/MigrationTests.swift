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

    /// Writes `nodes` in the hash-keyed form stores had before migration v3, with a head at `height` and `root`.
    func writeHashKeyedStore(path: String, nodes: [TreeNode], height: UInt64, root: Hash) throws {
        let pool = try DatabasePool(path: path)
        try SQLiteStore.migrator.migrate(pool, upTo: "v2-txs-in-block-order")
        try pool.write { db in
            for node in nodes {
                let old: [UInt8]
                switch node {
                case .leaf: old = node.encoded
                case let .inner(l, r): old = [1] + l.hash.bytes + r.hash.bytes
                }
                try db.execute(sql: "INSERT OR IGNORE INTO tree_nodes (hash, node) VALUES (?, ?)", arguments: [Data(node.hash.bytes), Data(old)])
            }
            for (key, value) in [("head_height", withUnsafeBytes(of: height.bigEndian) { Array($0) }),
                                 ("head_hash", Hash.sha256([7]).bytes), ("state_root", root.bytes)] {
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, Data(value)])
            }
        }
    }

    /// A tree stored by node hash is carried over under the head's height: proofs and updates work on it.
    @Test func aTreeKeyedByHashIsMovedUnderTheHeadsVersion() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("db.sqlite")
        var rng = SeededRandom(seed: 0x3A)
        var entries: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<60 { entries[rng.bytes(6)] = rng.bytes(4) }
        let nodes = InMemoryTreeNodes()
        let first = try nodes.apply(root: .zero, writes: entries.map { (key: $0.key, value: $0.value) })
        let changed = Array(entries.keys.prefix(5))
        for k in changed { entries[k] = [9, 9] }
        let root = try nodes.apply(root: first, writes: changed.map { (key: $0, value: [9, 9]) })
        try writeHashKeyedStore(path: path, nodes: Array(nodes.nodes.values), height: 12, root: root)

        let store = try SQLiteStore(path: path)
        let head = try #require(try store.head())
        #expect(head.height == 12 && head.stateRoot == root && head.stateRootVersion == 12)
        let update = [(key: [UInt8]([1, 2, 3]), value: Optional([UInt8]([4])))]
        let expected = try nodes.apply(root: root, writes: update)
        try store.read { snap throws in
            for (key, value) in entries {
                #expect(try StateTree(source: snap).prove(root: head.root, key: key).verify(root: root, key: key, value: value))
            }
            var tree = StateTree(source: snap)
            let next = try tree.apply(root: head.root, version: 13, changes: update.map {
                TreeChange(keyHash: Hash.sha256($0.key), valueHash: $0.value.map { Hash.sha256($0) })
            })
            #expect(next.hash == expected)
        }
    }

    /// A hash-keyed tree with a node missing stops the migration with a clear error instead of a partial tree.
    @Test func aBrokenHashKeyedTreeIsNotMigrated() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("db.sqlite")
        let nodes = InMemoryTreeNodes()
        let root = try nodes.apply(root: .zero, writes: (0..<10).map { (key: [UInt8($0)], value: [1]) })
        let leaves = nodes.nodes.values.filter(\.isLeaf)
        try writeHashKeyedStore(path: path, nodes: Array(nodes.nodes.values.filter { $0 != leaves[0] }), height: 3, root: root)
        let error = #expect(throws: StorageError.self) { try SQLiteStore(path: path) }
        #expect(error.map { "\($0)" }?.contains("cannot be migrated") == true)
    }
}
