import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct HashTests {
    @Test func sha256OfTheEmptyStringIsTheKnownDigest() {
        #expect(Hash.sha256([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hash.sha256(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hash.sha256(parts: [Array("a".utf8), [], Array("bc".utf8)]) == Hash.sha256(Array("abc".utf8)))
    }

    @Test func hexAndBytesRoundTripAndOrderFollowsTheBytes() throws {
        var rng = SeededRandom(seed: 99)
        var hashes = [Hash]()
        for _ in 0..<100 {
            let bytes = rng.bytes(32)
            let hash = try #require(Hash(bytes: bytes))
            #expect(hash.bytes == bytes)
            #expect(Hash(hex: hash.hex) == hash)
            #expect(Hash(hex: "0x" + hash.hex.uppercased()) == hash)
            for bit in [0, 7, 8, 63, 64, 200, 255] {
                #expect(hash.bit(bit) == ((bytes[bit / 8] >> (7 - bit % 8)) & 1 == 1))
            }
            hashes.append(hash)
        }
        #expect(hashes.sorted().map(\.bytes) == hashes.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
        #expect(Hash(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(Hash(hex: String(repeating: "g", count: 64)) == nil)
        #expect(Hash(hex: String(repeating: "a", count: 63)) == nil)
    }

    @Test func merkleRootDependsOnEveryLeafAndItsPosition() {
        let leaves = (0..<5).map { Hash.sha256([UInt8($0)]) }
        #expect(MerkleRoot.of([]) == .zero)
        #expect(MerkleRoot.of([leaves[0]]) != leaves[0])
        let root = MerkleRoot.of(leaves)
        #expect(root != MerkleRoot.of(Array(leaves.reversed())))
        #expect(root != MerkleRoot.of(Array(leaves.dropLast())))
        for i in leaves.indices {
            var changed = leaves
            changed[i] = Hash.sha256([0xff])
            #expect(MerkleRoot.of(changed) != root)
        }
        // A leaf can never pass for an inner node.
        let inner = Hash.node(tag: 1, MerkleRoot.of([leaves[0]]), MerkleRoot.of([leaves[1]]))
        #expect(MerkleRoot.of([leaves[0], leaves[1]]) == inner)
        #expect(MerkleRoot.of([inner]) != inner)
    }
}
