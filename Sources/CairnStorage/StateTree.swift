public import CairnPrimitives

/// A node of the state tree as stored: a leaf (key hash, value hash) or an inner node (left, right).
public enum TreeNode: Sendable, Equatable {
    case leaf(keyHash: Hash, valueHash: Hash)
    case inner(left: Hash, right: Hash)

    /// The node's hash (its identity in storage).
    public var hash: Hash {
        switch self {
        case let .leaf(k, v): Hash.node(tag: 0, k, v)
        case let .inner(l, r): Hash.node(tag: 1, l, r)
        }
    }

    /// 65 bytes: a tag byte then two hashes.
    public var encoded: [UInt8] {
        var b = [UInt8](repeating: 0, count: 65)
        switch self {
        case let .leaf(k, v):
            b[0] = 0
            k.write(into: &b, at: 1)
            v.write(into: &b, at: 33)
        case let .inner(l, r):
            b[0] = 1
            l.write(into: &b, at: 1)
            r.write(into: &b, at: 33)
        }
        return b
    }

    /// Decodes the 65-byte form.
    public init(encoded b: [UInt8]) throws(DecodeError) {
        guard b.count == 65, b[0] <= 1 else { throw DecodeError("tree node must be 65 bytes with tag 0 or 1") }
        let a = Hash(bytes: b[1..<33])!
        let c = Hash(bytes: b[33..<65])!
        self = b[0] == 0 ? .leaf(keyHash: a, valueHash: c) : .inner(left: a, right: c)
    }
}

/// Where the state tree reads its nodes.
public protocol TreeNodeSource {
    /// The node with this hash, or nil if it is not stored.
    func treeNode(_ hash: Hash) throws -> TreeNode?
}

/// A change to one state entry: its key hash and the hash of its new value (nil: deleted).
public struct TreeChange: Sendable {
    public var keyHash: Hash
    public var valueHash: Hash?

    public init(keyHash: Hash, valueHash: Hash?) {
        self.keyHash = keyHash
        self.valueHash = valueHash
    }
}

/// The compact sparse Merkle tree over all state; see `StateProof` for the hashing rules.
///
/// Updates are incremental: a batch of changes walks only the paths it touches and returns the new
/// nodes to store; nothing is rebuilt. Old nodes are kept, so proofs against older roots still work.
public struct StateTree {
    /// A child reference that remembers whether it is a leaf, since a lone leaf moves up when its sibling
    /// empties; `stored` is a child not looked at yet (its kind is read only if it comes to matter).
    enum Ref {
        case empty
        case leaf(Hash)
        case inner(Hash)
        case stored(Hash)

        var hash: Hash {
            switch self {
            case .empty: .zero
            case let .leaf(h), let .inner(h), let .stored(h): h
            }
        }
    }

    /// Nodes created by `apply`, to be stored with the block.
    public private(set) var newNodes: [Hash: TreeNode] = [:]
    let source: any TreeNodeSource

    public init(source: any TreeNodeSource) {
        self.source = source
    }

    func load(_ hash: Hash) throws -> TreeNode {
        if let n = newNodes[hash] { return n }
        guard let n = try source.treeNode(hash) else {
            throw StorageError(.missingTreeNode, "state tree node \(hash) is missing from storage")
        }
        return n
    }

    mutating func store(_ node: TreeNode) -> Hash {
        let h = node.hash
        newNodes[h] = node
        return h
    }

    /// Applies `changes` (any order, one per key) to the tree at `root` and returns the new root.
    public mutating func apply(root: Hash, changes: [TreeChange]) throws -> Hash {
        let sorted = changes.sorted { $0.keyHash < $1.keyHash }
        // Random updates to a large tree create about two and a half nodes per change (a leaf, and inner
        // nodes where paths have not merged yet); the table grows by itself if a batch needs more.
        newNodes.reserveCapacity(newNodes.count + changes.count * 3)
        let rootRef: Ref
        if root == .zero {
            rootRef = .empty
        } else if case .leaf = try load(root) {
            rootRef = .leaf(root)
        } else {
            rootRef = .inner(root)
        }
        return try update(rootRef, depth: 0, sorted[...]).hash
    }

    mutating func update(_ node: Ref, depth: Int, _ changes: ArraySlice<TreeChange>) throws -> Ref {
        if changes.isEmpty { return node }
        switch node {
        case let .stored(h):
            return try update(try ref(h), depth: depth, changes)
        case .empty:
            return build(depth: depth, changes.filter { $0.valueHash != nil }[...])
        case let .leaf(h):
            guard case let .leaf(k, v) = try load(h) else { throw StorageError(.corruptTree, "node \(h) should be a leaf") }
            var merged = Array(changes)
            if !merged.contains(where: { $0.keyHash == k }) {
                let at = merged.firstIndex { k < $0.keyHash } ?? merged.count
                merged.insert(TreeChange(keyHash: k, valueHash: v), at: at)
            }
            return build(depth: depth, merged.filter { $0.valueHash != nil }[...])
        case let .inner(h):
            guard case let .inner(l, r) = try load(h) else { throw StorageError(.corruptTree, "node \(h) should be inner") }
            let split = changes.firstIndex { $0.keyHash.bit(depth) } ?? changes.endIndex
            let left = try update(l == .zero ? .empty : .stored(l), depth: depth + 1, changes[..<split])
            let right = try update(r == .zero ? .empty : .stored(r), depth: depth + 1, changes[split...])
            return try join(resolved(left, beside: right), resolved(right, beside: left))
        }
    }

    /// `ref` with its kind read from storage when its sibling is empty, the one case where `join` needs it.
    func resolved(_ ref: Ref, beside sibling: Ref) throws -> Ref {
        guard case let .stored(h) = ref, case .empty = sibling else { return ref }
        return try self.ref(h)
    }

    func ref(_ hash: Hash) throws -> Ref {
        if hash == .zero { return .empty }
        if case .leaf = try load(hash) { return .leaf(hash) }
        return .inner(hash)
    }

    /// Builds the subtree holding exactly `entries` (all with values, sorted) below `depth`.
    mutating func build(depth: Int, _ entries: ArraySlice<TreeChange>) -> Ref {
        switch entries.count {
        case 0: return .empty
        case 1:
            let e = entries.first!
            return .leaf(store(.leaf(keyHash: e.keyHash, valueHash: e.valueHash!)))
        default:
            let split = entries.firstIndex { $0.keyHash.bit(depth) } ?? entries.endIndex
            return join(build(depth: depth + 1, entries[..<split]), build(depth: depth + 1, entries[split...]))
        }
    }

    /// Joins two subtrees; a `stored` side is never beside an empty one (see `resolved`).
    mutating func join(_ left: Ref, _ right: Ref) -> Ref {
        switch (left, right) {
        case (.empty, .empty): return .empty
        case (.empty, .leaf): return right
        case (.leaf, .empty): return left
        default: return .inner(store(.inner(left: left.hash, right: right.hash)))
        }
    }

    /// A proof for `key` under `root`.
    public func prove(root: Hash, key: [UInt8]) throws -> StateProof {
        let keyHash = Hash.sha256(key)
        var siblings = [Hash]()
        var current = root
        var depth = 0
        while current != .zero {
            switch try load(current) {
            case let .leaf(k, v):
                return StateProof(siblings: siblings, leaf: .init(keyHash: k, valueHash: v))
            case let .inner(l, r):
                if keyHash.bit(depth) {
                    siblings.append(l)
                    current = r
                } else {
                    siblings.append(r)
                    current = l
                }
                depth += 1
            }
        }
        return StateProof(siblings: siblings, leaf: nil)
    }
}
