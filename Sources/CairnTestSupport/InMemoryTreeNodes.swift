public import CairnPrimitives
public import CairnStorage

/// State-tree nodes kept in a dictionary: the tree's storage for tests that need no database.
///
/// Each `apply` writes its nodes under the next version, as the node does with each block's height, and
/// remembers the root it made, so tests can name roots by hash alone.
public final class InMemoryTreeNodes: TreeNodeSource {
    public private(set) var nodes: [NodeKey: TreeNode] = [:]
    /// Every root an `apply` returned, by hash.
    public private(set) var roots: [Hash: TreeRoot] = [.zero: .empty]
    public private(set) var version: UInt64 = 0

    public init() {}

    public func treeNode(_ key: NodeKey) throws -> TreeNode? { nodes[key] }

    /// Stores `new`, the nodes of one version.
    public func insert(_ new: [NodeKey: TreeNode]) {
        nodes.merge(new) { old, _ in old }
    }

    /// The next version to write.
    public func nextVersion() -> UInt64 {
        version += 1
        return version
    }

    /// The root with this hash that an earlier `apply` made (an unknown hash is taken to be stored at version 0).
    public func root(_ hash: Hash) -> TreeRoot { roots[hash] ?? TreeRoot(hash: hash, version: 0) }

    /// Applies `changes` to the tree at `root`, stores the new nodes and returns the new root.
    public func apply(root: Hash, changes: [TreeChange]) throws -> Hash {
        var tree = StateTree(source: self)
        let newRoot = try tree.apply(root: self.root(root), version: nextVersion(), changes: changes)
        insert(tree.newNodes)
        roots[newRoot.hash] = newRoot
        return newRoot.hash
    }

    /// Applies raw key/value writes (nil: delete) to the tree at `root`.
    public func apply(root: Hash, writes: [(key: [UInt8], value: [UInt8]?)]) throws -> Hash {
        try apply(root: root, changes: writes.map {
            TreeChange(keyHash: Hash.sha256($0.key), valueHash: $0.value.map { Hash.sha256($0) })
        })
    }

    /// A proof for `key` under `root`.
    public func prove(root: Hash, key: [UInt8]) throws -> StateProof {
        try StateTree(source: self).prove(root: self.root(root), key: key)
    }
}
