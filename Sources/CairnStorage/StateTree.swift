public import CairnPrimitives

/// Where a tree node is stored: the version (block height) that wrote it, its depth, and its path (the
/// first `depth` bits that every key below it shares).
///
/// Keys sort by version first, so the nodes a block writes all land at the end of the table: a commit
/// appends pages instead of touching pages all over a table keyed by hash, whose every page a large
/// block would otherwise dirty.
public struct NodeKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let version: UInt64
    public let depth: Int
    /// The path bits, zero past `depth`.
    public let path: Hash

    public init(version: UInt64, depth: Int, path: Hash) {
        self.version = version
        self.depth = depth
        self.path = path.prefix(bits: depth)
    }

    /// The key of a root written at `version`.
    public static func root(_ version: UInt64) -> NodeKey { NodeKey(version: version, depth: 0, path: .zero) }

    /// Version (8 bytes), depth (2 bytes), both big-endian, then the path's bytes that hold its bits.
    public var encoded: [UInt8] {
        var out = [UInt8](repeating: 0, count: 42)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: version.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: UInt16(depth).bigEndian, toByteOffset: 8, as: UInt16.self)
            path.storeBytes(into: raw, at: 10)
        }
        out.removeLast(32 - (depth + 7) / 8)
        return out
    }

    public static func < (a: NodeKey, b: NodeKey) -> Bool {
        (a.version, a.depth, a.path) < (b.version, b.depth, b.path)
    }

    public var description: String { "v\(version)/d\(depth)/\(path.hex.prefix((depth + 3) / 4))" }
}

/// A parent's reference to a child: its hash, the version that stored it and whether it is a leaf.
public struct ChildRef: Hashable, Sendable {
    public var hash: Hash
    public var version: UInt64
    public var isLeaf: Bool

    public init(hash: Hash, version: UInt64, isLeaf: Bool) {
        self.hash = hash
        self.version = version
        self.isLeaf = isLeaf
    }

    /// An empty subtree.
    public static let empty = ChildRef(hash: .zero, version: 0, isLeaf: false)
    public var isEmpty: Bool { hash == .zero }
}

/// The root of a version of the state tree: its hash and the version whose write stored it.
public struct TreeRoot: Hashable, Sendable {
    public var hash: Hash
    public var version: UInt64

    public init(hash: Hash, version: UInt64) {
        self.hash = hash
        self.version = version
    }

    public static let empty = TreeRoot(hash: .zero, version: 0)
    public var key: NodeKey { .root(version) }
}

/// A node of the state tree as stored: a leaf (key hash, value hash) or an inner node (two child references).
public enum TreeNode: Sendable, Equatable {
    case leaf(keyHash: Hash, valueHash: Hash)
    case inner(left: ChildRef, right: ChildRef)

    /// The node's hash, by the rules in `StateProof` (the child references' versions are not part of it).
    public var hash: Hash {
        switch self {
        case let .leaf(k, v): Hash.node(tag: 0, k, v)
        case let .inner(l, r): Hash.node(tag: 1, l.hash, r.hash)
        }
    }

    public var isLeaf: Bool {
        if case .leaf = self { return true }
        return false
    }

    /// A leaf: tag 0, key hash, value hash (65 bytes). An inner node: tag 1, then for each child its hash,
    /// version (big-endian) and a leaf flag byte (83 bytes).
    public var encoded: [UInt8] {
        switch self {
        case let .leaf(k, v):
            var b = [UInt8](repeating: 0, count: 65)
            k.write(into: &b, at: 1)
            v.write(into: &b, at: 33)
            return b
        case let .inner(l, r):
            var b = [UInt8](repeating: 0, count: 83)
            b[0] = 1
            b.withUnsafeMutableBytes { raw in
                func put(_ child: ChildRef, at: Int) {
                    child.hash.storeBytes(into: raw, at: at)
                    raw.storeBytes(of: child.version.bigEndian, toByteOffset: at + 32, as: UInt64.self)
                    raw[at + 40] = child.isLeaf ? 1 : 0
                }
                put(l, at: 1)
                put(r, at: 42)
            }
            return b
        }
    }

    /// Decodes the stored form.
    public init(encoded b: [UInt8]) throws(DecodeError) {
        switch (b.first, b.count) {
        case (0, 65):
            self = .leaf(keyHash: Hash(bytes: b[1..<33])!, valueHash: Hash(bytes: b[33..<65])!)
        case (1, 83):
            func child(at o: Int) throws(DecodeError) -> ChildRef {
                guard b[o + 40] <= 1 else { throw DecodeError("tree node has a leaf flag other than 0 or 1") }
                return ChildRef(hash: Hash(bytes: b[o..<(o + 32)])!, version: BigEndian.uint64(b[(o + 32)..<(o + 40)])!,
                                isLeaf: b[o + 40] == 1)
            }
            self = .inner(left: try child(at: 1), right: try child(at: 42))
        default:
            throw DecodeError("tree node must be a 65-byte leaf (tag 0) or an 83-byte inner node (tag 1)")
        }
    }
}

/// Where the state tree reads its nodes.
public protocol TreeNodeSource {
    /// The node stored at `key`, or nil if there is none.
    func treeNode(_ key: NodeKey) throws -> TreeNode?
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
/// nodes to store, each under the batch's version; nothing is rebuilt. Old nodes are kept, so proofs
/// against older roots still work. A parent records each child's version and kind, so a walk never
/// reads a node it does not descend into.
public struct StateTree {
    /// A subtree while a batch is applied: unchanged and stored, or new and not yet placed. A new leaf is
    /// placed only once its depth is final, since a lone leaf moves up when its sibling empties.
    enum Ref {
        case empty
        case stored(ChildRef)
        case leaf(keyHash: Hash, valueHash: Hash)
        case inner(Hash)
    }

    /// Nodes created by `apply`, to be stored with the block.
    public private(set) var newNodes: [NodeKey: TreeNode] = [:]
    let source: any TreeNodeSource
    var version: UInt64 = 0

    public init(source: any TreeNodeSource) {
        self.source = source
    }

    func load(_ key: NodeKey) throws -> TreeNode {
        if let n = newNodes[key] { return n }
        guard let n = try source.treeNode(key) else {
            throw StorageError(.missingTreeNode, "state tree node \(key) is missing from storage")
        }
        return n
    }

    /// Applies `changes` (any order, one per key) to the tree at `root` and returns the new root; new
    /// nodes are keyed by `version`, which must be above the version of every node the tree holds.
    public mutating func apply(root: TreeRoot, version: UInt64, changes: [TreeChange]) throws -> TreeRoot {
        guard root.hash == .zero || version > root.version else {
            throw StorageError(.corruptTree, "tree version \(version) does not follow the root's version \(root.version)")
        }
        self.version = version
        let sorted = changes.sorted { $0.keyHash < $1.keyHash }
        // Random updates to a large tree create about two and a half nodes per change (a leaf, and inner
        // nodes where paths have not merged yet); the table grows by itself if a batch needs more.
        newNodes.reserveCapacity(newNodes.count + changes.count * 3)
        var rootRef = ChildRef.empty
        if root.hash != .zero {
            let node = try load(root.key)
            guard node.hash == root.hash else {
                throw StorageError(.corruptTree, "the node stored for root \(root.hash) at version \(root.version) has hash \(node.hash)")
            }
            rootRef = ChildRef(hash: root.hash, version: root.version, isLeaf: node.isLeaf)
        }
        switch try update(rootRef, depth: 0, path: .zero, sorted[...]) {
        case .empty: return .empty
        case let .stored(c): return TreeRoot(hash: c.hash, version: c.version)
        case let .inner(h): return TreeRoot(hash: h, version: version)
        case let .leaf(k, v): return TreeRoot(hash: store(.leaf(keyHash: k, valueHash: v), depth: 0, path: .zero), version: version)
        }
    }

    /// The subtree `child` at (`depth`, `path`) with `changes` (all under that path) applied.
    mutating func update(_ child: ChildRef, depth: Int, path: Hash, _ changes: ArraySlice<TreeChange>) throws -> Ref {
        if changes.isEmpty { return child.isEmpty ? .empty : .stored(child) }
        if child.isEmpty { return try build(depth: depth, path: path, changes.filter { $0.valueHash != nil }[...]) }
        let key = NodeKey(version: child.version, depth: depth, path: path)
        switch try load(key) {
        case let .leaf(k, v):
            guard child.isLeaf else { throw StorageError(.corruptTree, "node \(key) is a leaf where its parent records an inner node") }
            var merged = Array(changes)
            if !merged.contains(where: { $0.keyHash == k }) {
                let at = merged.firstIndex { k < $0.keyHash } ?? merged.count
                merged.insert(TreeChange(keyHash: k, valueHash: v), at: at)
            }
            return try build(depth: depth, path: path, merged.filter { $0.valueHash != nil }[...])
        case let .inner(l, r):
            guard !child.isLeaf else { throw StorageError(.corruptTree, "node \(key) is inner where its parent records a leaf") }
            let split = changes.firstIndex { $0.keyHash.bit(depth) } ?? changes.endIndex
            let left = try update(l, depth: depth + 1, path: path, changes[..<split])
            let right = try update(r, depth: depth + 1, path: path.settingBit(depth), changes[split...])
            return try join(left, right, depth: depth, path: path)
        }
    }

    /// Builds the subtree holding exactly `entries` (all with values, sorted) at (`depth`, `path`).
    mutating func build(depth: Int, path: Hash, _ entries: ArraySlice<TreeChange>) throws -> Ref {
        switch entries.count {
        case 0: return .empty
        case 1:
            let e = entries.first!
            return .leaf(keyHash: e.keyHash, valueHash: e.valueHash!)
        default:
            let split = entries.firstIndex { $0.keyHash.bit(depth) } ?? entries.endIndex
            return try join(try build(depth: depth + 1, path: path, entries[..<split]),
                            try build(depth: depth + 1, path: path.settingBit(depth), entries[split...]),
                            depth: depth, path: path)
        }
    }

    /// The node at (`depth`, `path`) over `left` and `right`; a leaf alone moves up in place of it.
    mutating func join(_ left: Ref, _ right: Ref, depth: Int, path: Hash) throws -> Ref {
        switch (left, right) {
        case (.empty, .empty):
            return .empty
        case (.empty, _):
            if let leaf = try movingLeaf(right, depth: depth + 1, path: path.settingBit(depth)) { return leaf }
        case (_, .empty):
            if let leaf = try movingLeaf(left, depth: depth + 1, path: path) { return leaf }
        default:
            break
        }
        let node = TreeNode.inner(left: place(left, depth: depth + 1, path: path),
                                  right: place(right, depth: depth + 1, path: path.settingBit(depth)))
        return .inner(store(node, depth: depth, path: path))
    }

    /// `ref` as a leaf that can move up, reading a stored leaf's contents; nil when it is not a leaf.
    func movingLeaf(_ ref: Ref, depth: Int, path: Hash) throws -> Ref? {
        switch ref {
        case .leaf: return ref
        case let .stored(c) where c.isLeaf:
            let key = NodeKey(version: c.version, depth: depth, path: path)
            guard case let .leaf(k, v) = try load(key) else {
                throw StorageError(.corruptTree, "node \(key) is inner where its parent records a leaf")
            }
            return .leaf(keyHash: k, valueHash: v)
        default: return nil
        }
    }

    /// Stores a new leaf at its final place and returns the reference its parent keeps.
    mutating func place(_ ref: Ref, depth: Int, path: Hash) -> ChildRef {
        switch ref {
        case .empty: return .empty
        case let .stored(c): return c
        case let .inner(h): return ChildRef(hash: h, version: version, isLeaf: false)
        case let .leaf(k, v): return ChildRef(hash: store(.leaf(keyHash: k, valueHash: v), depth: depth, path: path), version: version, isLeaf: true)
        }
    }

    mutating func store(_ node: TreeNode, depth: Int, path: Hash) -> Hash {
        newNodes[NodeKey(version: version, depth: depth, path: path)] = node
        return node.hash
    }

    /// A proof for `key` under `root`.
    public func prove(root: TreeRoot, key: [UInt8]) throws -> StateProof {
        let keyHash = Hash.sha256(key)
        var siblings = [Hash]()
        guard root.hash != .zero else { return StateProof(siblings: [], leaf: nil) }
        var current = root.key
        while true {
            switch try load(current) {
            case let .leaf(k, v):
                return StateProof(siblings: siblings, leaf: .init(keyHash: k, valueHash: v))
            case let .inner(l, r):
                let right = keyHash.bit(current.depth)
                siblings.append(right ? l.hash : r.hash)
                let next = right ? r : l
                if next.isEmpty { return StateProof(siblings: siblings, leaf: nil) }
                let path = right ? current.path.settingBit(current.depth) : current.path
                current = NodeKey(version: next.version, depth: current.depth + 1, path: path)
            }
        }
    }
}

extension Hash {
    /// This hash with bit `index` set (0 is the most significant bit of the first byte).
    func settingBit(_ index: Int) -> Hash {
        let bit = UInt64(1) << UInt64(63 - (index & 63))
        var h = self
        switch index >> 6 {
        case 0: h.w0 |= bit
        case 1: h.w1 |= bit
        case 2: h.w2 |= bit
        default: h.w3 |= bit
        }
        return h
    }

    /// The first `bits` bits of this hash, the rest zero.
    func prefix(bits: Int) -> Hash {
        func mask(_ word: UInt64, _ first: Int) -> UInt64 {
            let keep = bits - first
            if keep >= 64 { return word }
            if keep <= 0 { return 0 }
            return word & ~(UInt64.max >> UInt64(keep))
        }
        return Hash(w0: mask(w0, 0), w1: mask(w1, 64), w2: mask(w2, 128), w3: mask(w3, 192))
    }
}
