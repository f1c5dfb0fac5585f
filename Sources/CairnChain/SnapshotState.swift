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

/// Keeps recently used entries in two generations: new entries go to the young one, and when it is
/// full it becomes the old one and the old one is emptied for reuse. Lookups see both, so the entries
/// of the last blocks stay while older ones go, and the tables are allocated once at their full size
/// (growing a table of hundreds of thousands of entries rehashes it again and again).
///
/// The chain keeps two: tree nodes by key, and the latest committed value of recently used state keys
/// (nil: known absent). Only the chain's commit writes committed values, so both always agree with the head.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct Generations {
        var young: [Key: Value]
        var old: [Key: Value]
    }

    let generations: Mutex<Generations>
    /// Entries per generation.
    let capacity: Int

    /// Holds up to `capacity` entries, at least half of them the most recent.
    init(capacity: Int) {
        self.capacity = max(capacity / 2, 1)
        generations = Mutex(Generations(young: Dictionary(minimumCapacity: self.capacity),
                                        old: Dictionary(minimumCapacity: self.capacity)))
    }

    func get(_ key: Key) -> Value? {
        generations.withLock { $0.young[key] ?? $0.old[key] }
    }

    func insert(_ key: Key, _ value: Value) {
        generations.withLock { g in
            makeRoom(&g, for: 1)
            g.young[key] = value
        }
    }

    /// Inserts a batch under one lock.
    func insert(_ batch: some Collection<(Key, Value)>) {
        generations.withLock { g in
            makeRoom(&g, for: batch.count)
            for (k, v) in batch { g.young[k] = v }
        }
    }

    private func makeRoom(_ g: inout Generations, for count: Int) {
        guard g.young.count + count > capacity else { return }
        swap(&g.young, &g.old)
        g.young.removeAll(keepingCapacity: true)
    }
}

typealias StateCache = BoundedCache<StateKeyBytes, [UInt8]?>
typealias TreeNodeCache = BoundedCache<NodeKey, TreeNode>

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

    func treeNode(_ key: NodeKey) throws -> TreeNode? {
        if let n = cache.get(key) { return n }
        let n = try snapshot.treeNode(key)
        if let n { cache.insert(key, n) }
        return n
    }
}
