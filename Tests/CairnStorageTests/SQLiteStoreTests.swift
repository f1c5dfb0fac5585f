import Foundation
import CairnPrimitives
import CairnStorage
import CairnTestSupport
import Testing

/// Builds commit batches the way the node does: state writes plus the tree nodes and root they give.
struct BatchMaker {
    let nodes = InMemoryTreeNodes()
    var tree = TreeRoot.empty
    var root: Hash { tree.hash }

    mutating func batch(height: UInt64, writes: [(key: [UInt8], value: [UInt8]?)], txCount: Int = 0) throws -> CommitBatch {
        var tree = StateTree(source: nodes)
        self.tree = try tree.apply(root: self.tree, version: nodes.nextVersion(), changes: writes.map {
            TreeChange(keyHash: Hash.sha256($0.key), valueHash: $0.value.map { Hash.sha256($0) })
        })
        nodes.insert(tree.newNodes)
        let txs = (0..<txCount).map { i in
            CommitBatch.StoredTransaction(hash: Hash.sha256([UInt8(truncatingIfNeeded: height), UInt8(i)]),
                                          bytes: [UInt8(i), 1, 2], receipt: [UInt8(i), 3])
        }
        return CommitBatch(height: height, blockHash: Hash.sha256(Array("block \(height)".utf8)), header: [1, UInt8(height)],
                           commit: [2], lastCommit: [4], evidence: [5], time: 1_000 * height, transactions: txs, blockEvents: [3],
                           stateChanges: writes, treeNodes: tree.newNodes, stateRoot: self.tree)
    }
}

@Suite struct SQLiteStoreTests {
    @Test func aCommittedChainReopensWithTheSameHeadAndState() throws {
        let dir = try TemporaryDirectory()
        var maker = BatchMaker()
        let expectedHead: StoredHead?
        do {
            let store = try SQLiteStore(path: dir.path("db.sqlite"))
            #expect(try store.head() == nil)
            try store.commit(try maker.batch(height: 0, writes: [(key: [1], value: [10]), (key: [2], value: [20])]))
            try store.commit(try maker.batch(height: 1, writes: [(key: [1], value: nil), (key: [3], value: [30])], txCount: 3))
            try store.commit(try maker.batch(height: 2, writes: [(key: [2], value: [21])], txCount: 1))
            expectedHead = try store.head()
        }
        let reopened = try SQLiteStore(path: dir.path("db.sqlite"))
        let head = try #require(try reopened.head())
        #expect(head == expectedHead)
        #expect(head.height == 2)
        #expect(head.stateRoot == maker.root)
        #expect(head.blockHash == Hash.sha256(Array("block 2".utf8)))
        try reopened.read { snap throws in
            #expect(try snap.get([1]) == nil)
            #expect(try snap.get([2]) == [21])
            #expect(try snap.get([3]) == [30])
            #expect(try snap.transactionCount() == 4)
            let block = try #require(try snap.block(at: 1))
            #expect(block.header == [1, 1])
            #expect(block.transactionHashes.count == 3)
            #expect(try snap.transactions(inBlock: 1).map(\.index) == [0, 1, 2])
            #expect(try snap.height(ofBlock: Hash.sha256(Array("block 1".utf8))) == 1)
            // The head's tree is in the store: proofs against it verify.
            let proof = try StateTree(source: snap).prove(root: head.root, key: [2])
            #expect(proof.verify(root: head.stateRoot, key: [2], value: [21]))
            #expect(try StateTree(source: snap).prove(root: head.root, key: [1]).verify(root: head.stateRoot, key: [1], value: nil))
        }
    }

    @Test func emptyValuesAreStoredAsEmptyNotMissing() throws {
        let dir = try TemporaryDirectory()
        var maker = BatchMaker()
        let store = try SQLiteStore(path: dir.path("db.sqlite"))
        try store.commit(try maker.batch(height: 0, writes: [(key: [1], value: []), (key: [2], value: [7])]))
        try store.read { snap throws in
            #expect(try snap.get([1]) == [])
            #expect(try snap.get([2]) == [7])
            #expect(try snap.get([3]) == nil)
        }
    }

    @Test func aFullCheckpointLeavesEveryCommittedBlockInTheDatabaseFile() throws {
        let dir = try TemporaryDirectory()
        var maker = BatchMaker()
        let copy = dir.path("copy.sqlite")
        let store = try SQLiteStore(path: dir.path("db.sqlite"))
        for h in UInt64(0)..<40 {
            let writes = (0..<50).map { i in (key: [UInt8(i), UInt8(h % 7)], value: Optional([UInt8(h), UInt8(i)])) }
            try store.commit(try maker.batch(height: h, writes: writes, txCount: 5))
        }
        try store.checkpoint()
        let expected = try store.head()
        // The store is still open, so its log still exists; after the checkpoint the database file alone,
        // copied without the log, opens at the same head with the same state.
        try FileManager.default.copyItem(atPath: dir.path("db.sqlite"), toPath: copy)
        let reopened = try SQLiteStore(path: copy)
        let head = try #require(try reopened.head())
        #expect(head == expected)
        #expect(head.height == 39)
        #expect(head.stateRoot == maker.root)
        try reopened.read { snap throws in
            #expect(try snap.get([3, UInt8(39 % 7)]) == [39, 3])
            #expect(try snap.transactionCount() == 200)
        }
    }

    @Test(arguments: [UInt64(0), 1, 3, 7])
    func aCommitThatDoesNotFollowTheHeadIsRejectedAndWritesNothing(badHeight: UInt64) throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("db.sqlite"))
        var maker = BatchMaker()
        try store.commit(try maker.batch(height: 0, writes: [(key: [1], value: [1])]))
        try store.commit(try maker.batch(height: 1, writes: [(key: [2], value: [2])]))
        let before = try store.head()
        var bad = try maker.batch(height: badHeight, writes: [(key: [1], value: nil), (key: [9], value: [9])], txCount: 2)
        bad.blockHash = Hash.sha256([UInt8]([0xba, 0xd]))
        let error = #expect(throws: StorageError.self) { try store.commit(bad) }
        #expect(error?.code == .headMismatch)
        #expect(try store.head() == before)
        try store.read { snap throws in
            #expect(try snap.get([1]) == [1])
            #expect(try snap.get([9]) == nil)
            #expect(try snap.height(ofBlock: bad.blockHash) == nil)
            #expect(try snap.transactionCount() == 0)
            #expect(try snap.treeNode(bad.stateRoot.key) == nil)
        }
    }

    @Test func keysEndingInFFAreScannedExactly() throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("db.sqlite"))
        let keys: [[UInt8]] = [[0x01], [0x01, 0xfe], [0x01, 0xfe, 0xff], [0x01, 0xff], [0x01, 0xff, 0x00], [0x01, 0xff, 0xff],
                               [0x01, 0xff, 0xff, 0xff], [0x02], [0x02, 0x00], [0xff], [0xff, 0x00], [0xff, 0xff], [0xff, 0xff, 0x01]]
        var maker = BatchMaker()
        try store.commit(try maker.batch(height: 0, writes: keys.map { (key: $0, value: Optional($0 + [0x5a])) }))
        let cases: [([UInt8], [[UInt8]])] = [
            ([0x01, 0xff], [[0x01, 0xff], [0x01, 0xff, 0x00], [0x01, 0xff, 0xff], [0x01, 0xff, 0xff, 0xff]]),
            ([0x01, 0xff, 0xff], [[0x01, 0xff, 0xff], [0x01, 0xff, 0xff, 0xff]]),
            ([0x01, 0xfe], [[0x01, 0xfe], [0x01, 0xfe, 0xff]]),
            ([0xff], [[0xff], [0xff, 0x00], [0xff, 0xff], [0xff, 0xff, 0x01]]),
            ([0xff, 0xff], [[0xff, 0xff], [0xff, 0xff, 0x01]]),
            ([0x02], [[0x02], [0x02, 0x00]]),
            ([0x03], []),
            ([], keys),
        ]
        try store.read { snap throws in
            for (prefix, expected) in cases {
                let found = try snap.scan(prefix: prefix)
                #expect(found.map(\.key) == expected, "prefix \(prefix.hexString)")
                #expect(found.allSatisfy { $0.value == $0.key + [0x5a] })
            }
        }
    }

    @Test func prefixScanMatchesAFilterOfAllKeys() throws {
        var rng = SeededRandom(seed: 0x5CA9)
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("db.sqlite"))
        let alphabet: [UInt8] = [0x00, 0x01, 0x7f, 0xfe, 0xff]
        var all: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<300 { all[rng.bytes(Int.random(in: 1...4, using: &rng), from: alphabet)] = rng.bytes(2) }
        var maker = BatchMaker()
        try store.commit(try maker.batch(height: 0, writes: all.map { (key: $0.key, value: Optional($0.value)) }))
        try store.read { snap throws in
            for _ in 0..<150 {
                let prefix = rng.bytes(Int.random(in: 0...3, using: &rng), from: alphabet)
                let expected = all.filter { $0.key.starts(with: prefix) }.map(\.key).sorted { $0.lexicographicallyPrecedes($1) }
                #expect(try snap.scan(prefix: prefix).map(\.key) == expected, "prefix \(prefix.hexString)")
            }
        }
    }

    @Test func reopeningAnEmptyStoreHasNoHead() throws {
        let dir = try TemporaryDirectory()
        _ = try SQLiteStore(path: dir.path("db.sqlite"))
        #expect(try SQLiteStore(path: dir.path("db.sqlite")).head() == nil)
    }

    @Test func openingAPathInAMissingFolderFailsWithAnIOError() {
        let error = #expect(throws: StorageError.self) { _ = try SQLiteStore(path: "/nonexistent-cairn-folder/sub/db.sqlite") }
        #expect(error?.code == .io)
    }
}
