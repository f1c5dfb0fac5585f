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
/// A dictionary behind a lock that starts over when it reaches its capacity.
///
/// The chain keeps two: tree nodes by hash, and the latest committed value of recently used state keys
/// (nil: known absent). Only the chain's commit writes committed values, so both always agree with the head.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let entries = Mutex<[Key: Value]>([:])
    let capacity: Int

    /// Sized for `capacity` from the start: growing a table of a million entries block by block rehashes it
    /// again and again. The pages are touched only as entries arrive.
    init(capacity: Int) {
        self.capacity = capacity
        entries.withLock { $0.reserveCapacity(capacity) }
    }

    func get(_ key: Key) -> Value? { entries.withLock { $0[key] } }

    func insert(_ key: Key, _ value: Value) {
        entries.withLock { dict in
            if dict.count >= capacity { dict.removeAll(keepingCapacity: true) }
            dict[key] = value
        }
    }

    /// Inserts a batch under one lock.
    func insert(_ batch: some Collection<(Key, Value)>) {
        entries.withLock { dict in
            if dict.count + batch.count > capacity { dict.removeAll(keepingCapacity: true) }
            for (k, v) in batch { dict[k] = v }
        }
    }
}

typealias StateCache = BoundedCache<StateKeyBytes, [UInt8]?>
typealias TreeNodeCache = BoundedCache<Hash, TreeNode>

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
        cache.insert(k, value)
        return value
    }

    func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] { try snapshot.scan(prefix: prefix) }
}

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
