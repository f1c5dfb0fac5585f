import CairnPrimitives
import CairnStorage
import CairnTestSupport
import Testing

/// A model of the state: the key/value map that the tree's root must commit to.
struct StateModel {
    var entries: [[UInt8]: [UInt8]] = [:]

    /// The root of a tree built in one batch, from nothing, out of the current entries.
    func rootFromScratch() throws -> Hash {
        try InMemoryTreeNodes().apply(root: .zero, writes: entries.map { (key: $0.key, value: $0.value) })
    }

    /// A batch of random writes, one per key: new keys, updates, deletes of present and absent keys.
    mutating func randomBatch(_ rng: inout SeededRandom, size: Int) -> [(key: [UInt8], value: [UInt8]?)] {
        var batch: [[UInt8]: [UInt8]?] = [:]
        for _ in 0..<size {
            let roll = Int.random(in: 0..<10, using: &rng)
            let existing = entries.keys.sorted { $0.lexicographicallyPrecedes($1) }.randomElement(using: &rng)
            if roll < 5 || existing == nil {
                batch[rng.bytes(Int.random(in: 1...12, using: &rng))] = .some(rng.bytes(Int.random(in: 0...16, using: &rng)))
            } else if roll < 7 {
                batch[existing!] = .some(rng.bytes(8))
            } else if roll < 9 {
                batch[existing!] = .some(nil)
            } else {
                batch[rng.bytes(13)] = .some(nil)
            }
        }
        for (k, v) in batch { entries[k] = v }
        return batch.map { (key: $0.key, value: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }
}

@Suite struct StateTreeTests {
    @Test func incrementalBatchesGiveTheSameRootAsBuildingFromScratch() throws {
        var rng = SeededRandom(seed: 0x7EE)
        let nodes = InMemoryTreeNodes()
        var model = StateModel()
        var root = Hash.zero
        for _ in 0..<40 {
            var batch = model.randomBatch(&rng, size: Int.random(in: 1...40, using: &rng))
            batch.shuffle(using: &rng)
            root = try nodes.apply(root: root, writes: batch)
            #expect(root == (try model.rootFromScratch()))
        }
        #expect(model.entries.count > 100)
        // One key at a time, in another order, reaches the same root too.
        let single = InMemoryTreeNodes()
        var oneByOne = Hash.zero
        for (k, v) in model.entries.shuffled(using: &rng) {
            oneByOne = try single.apply(root: oneByOne, writes: [(key: k, value: v)])
        }
        #expect(oneByOne == root)
    }

    @Test func aTreeOfOneEntryIsThatEntrysLeaf() throws {
        let root = try InMemoryTreeNodes().apply(root: .zero, writes: [(key: [1, 2], value: [3])])
        #expect(root == StateProof.Leaf(keyHash: Hash.sha256([1, 2] as [UInt8]), valueHash: Hash.sha256([3] as [UInt8])).nodeHash)
        #expect(try InMemoryTreeNodes().apply(root: .zero, writes: []) == .zero)
    }

    @Test func insertingThenDeletingReturnsToThePreviousRoot() throws {
        var rng = SeededRandom(seed: 0xDE1)
        let nodes = InMemoryTreeNodes()
        let base = (0..<60).map { _ in (key: rng.bytes(8), value: Optional(rng.bytes(8))) }
        let before = try nodes.apply(root: .zero, writes: base)
        for size in [1, 2, 5, 30] {
            let added = (0..<size).map { _ in (key: rng.bytes(9), value: Optional(rng.bytes(4))) }
            let grown = try nodes.apply(root: before, writes: added)
            #expect(grown != before)
            let removed = try nodes.apply(root: grown, writes: added.map { (key: $0.key, value: nil) })
            #expect(removed == before)
        }
        // Changing a value and changing it back restores the root as well.
        let changed = try nodes.apply(root: before, writes: [(key: base[7].key, value: [0])])
        #expect(changed != before)
        #expect(try nodes.apply(root: changed, writes: [base[7]]) == before)
    }

    @Test func deletingEveryKeyLeavesTheEmptyRoot() throws {
        var rng = SeededRandom(seed: 0xE11)
        let nodes = InMemoryTreeNodes()
        let keys = (0..<80).map { _ in rng.bytes(6) }
        var root = try nodes.apply(root: .zero, writes: keys.map { (key: $0, value: Optional([1])) })
        for chunk in stride(from: 0, to: keys.count, by: 7).map({ Array(keys[$0..<min($0 + 7, keys.count)]) }).shuffled(using: &rng) {
            #expect(root != .zero)
            root = try nodes.apply(root: root, writes: chunk.map { (key: $0, value: nil) })
        }
        #expect(root == .zero)
        let all = try nodes.apply(root: .zero, writes: keys.map { (key: $0, value: Optional([1])) })
        #expect(try nodes.apply(root: all, writes: keys.map { (key: $0, value: nil) }) == .zero)
    }

    @Test func aMissingNodeIsReportedNotGuessed() throws {
        let orphan = Hash.sha256([UInt8]([9]))
        let error = #expect(throws: StorageError.self) {
            try InMemoryTreeNodes().apply(root: orphan, writes: [(key: [1], value: [1])])
        }
        #expect(error?.code == .missingTreeNode)
    }
}
