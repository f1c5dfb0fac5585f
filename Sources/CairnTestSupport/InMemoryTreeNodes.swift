public import CairnPrimitives
public import CairnStorage

/// State-tree nodes kept in a dictionary: the tree's storage for tests that need no database.
///
/// Feed it each batch's `StateTree.newNodes`, as the node does when it commits a block.
public final class InMemoryTreeNodes: TreeNodeSource {
    public private(set) var nodes: [Hash: TreeNode] = [:]

    public init() {}

    public func treeNode(_ hash: Hash) throws -> TreeNode? { nodes[hash] }

    /// Stores `new` (nodes are content-addressed, so a node stored twice is the same node).
    public func insert(_ new: [Hash: TreeNode]) {
        nodes.merge(new) { old, _ in old }
    }

    /// Applies `changes` to the tree at `root`, stores the new nodes and returns the new root.
    public func apply(root: Hash, changes: [TreeChange]) throws -> Hash {
        var tree = StateTree(source: self)
        let newRoot = try tree.apply(root: root, changes: changes)
        insert(tree.newNodes)
        return newRoot
    }

    /// Applies raw key/value writes (nil: delete) to the tree at `root`.
    public func apply(root: Hash, writes: [(key: [UInt8], value: [UInt8]?)]) throws -> Hash {
        try apply(root: root, changes: writes.map {
            TreeChange(keyHash: Hash.sha256($0.key), valueHash: $0.value.map { Hash.sha256($0) })
        })
    }

    /// A proof for `key` under `root`.
    public func prove(root: Hash, key: [UInt8]) throws -> StateProof {
        try StateTree(source: self).prove(root: root, key: key)
    }
}
