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
/// The latest committed value of recently used state keys (nil: known absent), kept by the chain so that
/// executing a block reads hot accounts from memory instead of SQLite.
///
/// Only the chain's commit writes it, with the values it just committed, so it always agrees with the
/// head. When full it starts over, as the tree-node cache does.
final class StateCache: Sendable {
    let entries = Mutex<[StateKeyBytes: [UInt8]?]>([:])
    let capacity: Int

    init(capacity: Int = 1 << 19) { self.capacity = capacity }

    func get(_ key: StateKeyBytes) -> [UInt8]?? { entries.withLock { $0[key] } }

    func remember(_ key: StateKeyBytes, _ value: [UInt8]?) {
        entries.withLock { dict in
            if dict.count >= capacity { dict.removeAll(keepingCapacity: true) }
            dict[key] = .some(value)
        }
    }

    /// Records a committed block's writes.
    func apply(_ changes: [(key: [UInt8], value: [UInt8]?)]) {
        entries.withLock { dict in
            if dict.count + changes.count > capacity { dict.removeAll(keepingCapacity: true) }
            for c in changes { dict[StateKeyBytes(c.key)] = .some(c.value) }
        }
    }
}

/// The head's state through the chain's cache: reads that miss go to the snapshot and are remembered.
///
/// Use it only on a snapshot of the head, which is what the cache holds.
struct CachedHeadState: StateReader {
    let snapshot: StoreSnapshot
    let cache: StateCache

    func get(_ key: [UInt8]) throws -> [UInt8]? {
        let k = StateKeyBytes(key)
        if let hit = cache.get(k) { return hit }
        let value = try snapshot.get(key)
        cache.remember(k, value)
        return value
    }

    func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] { try snapshot.scan(prefix: prefix) }
}

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
