/// A proof that a key has a given value (or none) under a state root.
///
/// The state tree is a compact sparse Merkle tree over `SHA-256(key)`: an empty subtree hashes to
/// `Hash.zero`, a subtree holding one entry is that entry's leaf, `H(0x00 || keyHash || valueHash)`,
/// and any other subtree is an inner node, `H(0x01 || left || right)`. Bit `d` of the key hash picks
/// the child at depth `d` (0 = left).
public struct StateProof: Sendable, Codable, Equatable {
    /// The sibling hashes from the root down to the terminal node.
    public var siblings: [Hash]
    /// The leaf found at the end of the path, if any (it may belong to another key: then the key is absent).
    public var leaf: Leaf?

    /// A leaf of the state tree.
    public struct Leaf: Sendable, Codable, Equatable {
        public var keyHash: Hash
        public var valueHash: Hash

        public init(keyHash: Hash, valueHash: Hash) {
            self.keyHash = keyHash
            self.valueHash = valueHash
        }

        /// The node hash of this leaf.
        public var nodeHash: Hash { Hash.node(tag: 0, keyHash, valueHash) }
    }

    public init(siblings: [Hash], leaf: Leaf?) {
        self.siblings = siblings
        self.leaf = leaf
    }

    /// Checks that `key` has `value` (nil: absent) under `root`.
    public func verify(root: Hash, key: [UInt8], value: [UInt8]?) -> Bool {
        let keyHash = Hash.sha256(key)
        guard siblings.count <= 256 else { return false }
        var current: Hash
        if let value {
            guard let leaf, leaf.keyHash == keyHash, leaf.valueHash == Hash.sha256(value) else { return false }
            current = leaf.nodeHash
        } else if let leaf {
            // Absence: another key's leaf sits where this key's path ends, sharing the path so far.
            guard leaf.keyHash != keyHash else { return false }
            for d in 0..<siblings.count where leaf.keyHash.bit(d) != keyHash.bit(d) { return false }
            current = leaf.nodeHash
        } else {
            current = .zero
        }
        for depth in stride(from: siblings.count - 1, through: 0, by: -1) {
            let sibling = siblings[depth]
            current = keyHash.bit(depth) ? Hash.node(tag: 1, sibling, current) : Hash.node(tag: 1, current, sibling)
        }
        return current == root
    }
}
