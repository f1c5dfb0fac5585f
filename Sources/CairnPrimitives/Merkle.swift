/// Binary Merkle root over a list of leaf hashes (the block's transactions).
///
/// Leaves are hashed with tag 0x00 and inner nodes with tag 0x01 so a leaf can never pass for a node;
/// an odd node at the end of a level is carried up unchanged. The root of no leaves is `Hash.zero`.
public enum MerkleRoot {
    public static func of(_ leaves: [Hash]) -> Hash {
        guard !leaves.isEmpty else { return .zero }
        var level = leaves.map { leaf -> Hash in
            var b = [UInt8](repeating: 0, count: 33)
            leaf.write(into: &b, at: 1)
            return Hash.sha256(b)
        }
        while level.count > 1 {
            var next = [Hash]()
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i < level.count {
                if i + 1 < level.count {
                    next.append(Hash.node(tag: 1, level[i], level[i + 1]))
                } else {
                    next.append(level[i])
                }
                i += 2
            }
            level = next
        }
        return level[0]
    }
}
