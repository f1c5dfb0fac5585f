import CairnPrimitives
import CairnStorage
import Foundation
import CairnTestSupport
import Testing

@Suite struct StateProofTests {
    /// A tree of `count` random entries; returns the store, the root and the entries.
    func randomTree(seed: UInt64, count: Int) throws -> (InMemoryTreeNodes, Hash, [[UInt8]: [UInt8]]) {
        var rng = SeededRandom(seed: seed)
        var entries: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<count { entries[rng.bytes(Int.random(in: 1...10, using: &rng))] = rng.bytes(Int.random(in: 0...10, using: &rng)) }
        let nodes = InMemoryTreeNodes()
        let root = try nodes.apply(root: .zero, writes: entries.map { (key: $0.key, value: $0.value) })
        return (nodes, root, entries)
    }

    @Test(arguments: [1, 2, 3, 17, 200])
    func membershipProofsVerifyAndFailForAWrongValueOrRoot(count: Int) throws {
        let (nodes, root, entries) = try randomTree(seed: UInt64(count), count: count)
        let otherRoot = try nodes.apply(root: root, writes: [(key: [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11], value: [1])])
        for (key, value) in entries {
            let proof = try nodes.prove(root: root, key: key)
            #expect(proof.verify(root: root, key: key, value: value))
            #expect(!proof.verify(root: root, key: key, value: value + [0]))
            #expect(!proof.verify(root: root, key: key, value: nil))
            #expect(!proof.verify(root: otherRoot, key: key, value: value))
            #expect(!proof.verify(root: .zero, key: key, value: value))
        }
    }

    @Test(arguments: [0, 1, 2, 17, 200])
    func nonMembershipProofsVerifyAndFailForAnyClaimedValue(count: Int) throws {
        let (nodes, root, entries) = try randomTree(seed: 1_000 + UInt64(count), count: count)
        var rng = SeededRandom(seed: 5)
        for _ in 0..<100 {
            let key = rng.bytes(11)
            guard entries[key] == nil else { continue }
            let proof = try nodes.prove(root: root, key: key)
            #expect(proof.verify(root: root, key: key, value: nil))
            #expect(!proof.verify(root: root, key: key, value: []))
            #expect(!proof.verify(root: root, key: key, value: [1]))
            if root != .zero {
                #expect(!proof.verify(root: Hash.sha256(root.bytes), key: key, value: nil))
            }
        }
    }

    @Test func aProofForOneKeyDoesNotProveAnother() throws {
        let (nodes, root, entries) = try randomTree(seed: 77, count: 50)
        let keys = Array(entries.keys)
        for i in 0..<20 {
            let a = keys[i], b = keys[i + 1]
            let proof = try nodes.prove(root: root, key: a)
            #expect(!proof.verify(root: root, key: b, value: entries[a]!))
            #expect(!proof.verify(root: root, key: b, value: entries[b]!))
            // a's own leaf at the end of b's path cannot prove b absent: the paths differ.
            #expect(!proof.verify(root: root, key: b, value: nil))
        }
    }

    @Test func tamperedSiblingsOrLeavesFailToVerify() throws {
        let (nodes, root, entries) = try randomTree(seed: 88, count: 64)
        let (key, value) = entries.first!
        let proof = try nodes.prove(root: root, key: key)
        #expect(!proof.siblings.isEmpty)
        for i in proof.siblings.indices {
            var bad = proof
            bad.siblings[i] = Hash.sha256(bad.siblings[i].bytes)
            #expect(!bad.verify(root: root, key: key, value: value))
        }
        var dropped = proof
        dropped.siblings.removeLast()
        #expect(!dropped.verify(root: root, key: key, value: value))
        var noLeaf = proof
        noLeaf.leaf = nil
        #expect(!noLeaf.verify(root: root, key: key, value: value))
        #expect(!noLeaf.verify(root: root, key: key, value: nil))
        var tooDeep = proof
        tooDeep.siblings = [Hash](repeating: .zero, count: 257)
        #expect(!tooDeep.verify(root: root, key: key, value: value))
    }

    @Test func proofsAgainstAnOlderRootStillVerifyAfterUpdates() throws {
        let (nodes, oldRoot, entries) = try randomTree(seed: 99, count: 40)
        let (key, value) = entries.first!
        let newRoot = try nodes.apply(root: oldRoot, writes: [(key: key, value: [0xfe])])
        #expect(try nodes.prove(root: oldRoot, key: key).verify(root: oldRoot, key: key, value: value))
        #expect(try nodes.prove(root: newRoot, key: key).verify(root: newRoot, key: key, value: [0xfe]))
        #expect(!(try nodes.prove(root: newRoot, key: key).verify(root: newRoot, key: key, value: value)))
    }

    @Test func proofsSurviveAJSONRoundTrip() throws {
        let (nodes, root, entries) = try randomTree(seed: 3, count: 10)
        let (key, value) = entries.first!
        let proof = try nodes.prove(root: root, key: key)
        let decoded = try JSONDecoder().decode(StateProof.self, from: try JSONEncoder().encode(proof))
        #expect(decoded == proof)
        #expect(decoded.verify(root: root, key: key, value: value))
    }
}
