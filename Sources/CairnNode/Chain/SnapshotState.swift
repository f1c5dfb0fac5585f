import CairnPrimitives
import CairnLedger
import CairnStorage
import Synchronization

/// A store snapshot seen as the ledger's `StateReader`.
struct SnapshotState: StateReader {
    let snapshot: StoreSnapshot

    func get(_ key: [UInt8]) throws -> [UInt8]? { try snapshot.get(key) }
    func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] { try snapshot.scan(prefix: prefix) }
}

/// Keeps recently used state-tree nodes in memory; the upper levels are read by every block.
final class TreeNodeCache: Sendable {
    let nodes = Mutex<[Hash: TreeNode]>([:])
    let capacity: Int

    init(capacity: Int = 1 << 20) { self.capacity = capacity }

    func get(_ h: Hash) -> TreeNode? { nodes.withLock { $0[h] } }

    func insert(_ new: [Hash: TreeNode]) {
        nodes.withLock { dict in
            if dict.count + new.count > capacity { dict.removeAll(keepingCapacity: true) }
            for (h, n) in new { dict[h] = n }
        }
    }

    func insert(_ hash: Hash, _ node: TreeNode) {
        nodes.withLock { dict in
            if dict.count >= capacity { dict.removeAll(keepingCapacity: true) }
            dict[hash] = node
        }
    }
}

/// Tree reads through the cache, then the snapshot.
struct CachedTreeSource: TreeNodeSource {
    let snapshot: StoreSnapshot
    let cache: TreeNodeCache

    func treeNode(_ hash: Hash) throws -> TreeNode? {
        if let n = cache.get(hash) { return n }
        let n = try snapshot.treeNode(hash)
        if let n { cache.insert(hash, n) }
        return n
    }
}
