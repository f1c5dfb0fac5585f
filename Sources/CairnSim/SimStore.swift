public import CairnLedger
import CairnPrimitives
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp
import Foundation

/// Committed state in memory for the simulator: a dictionary for reads and a sorted key list for prefix scans.
///
/// A scan finds its first key by binary search and walks only the keys under its prefix, so the per-block
/// queue reads of staking, governance and the market stay cheap however many records years of traffic leave.
public final class SimStore: StateReader {
    private var values: [StateKeyBytes: [UInt8]] = [:]
    /// Every key, in byte order (as SQLite orders blobs).
    private var keys: [[UInt8]] = []

    public init() {}

    /// How many keys the state holds.
    public var count: Int { keys.count }

    public func get(_ key: [UInt8]) throws -> [UInt8]? { values[StateKeyBytes(key)] }

    public func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        var i = lowerBound(prefix)
        while i < keys.count, keys[i].starts(with: prefix) {
            if let v = values[StateKeyBytes(keys[i])] { out.append((key: keys[i], value: v)) }
            i += 1
        }
        return out
    }

    /// The value `key` holds now (nil: absent), for callers that diff a block's changes against the state before them.
    public func value(_ key: [UInt8]) -> [UInt8]? { values[StateKeyBytes(key)] }

    /// Writes `changes` (nil value: delete), as committing a block does.
    public func apply(_ changes: [(key: [UInt8], value: [UInt8]?)]) {
        for (key, value) in changes {
            let k = StateKeyBytes(key)
            if let value {
                if values.updateValue(value, forKey: k) == nil { keys.insert(key, at: lowerBound(key)) }
            } else if values.removeValue(forKey: k) != nil {
                let i = lowerBound(key)
                if i < keys.count, keys[i] == key { keys.remove(at: i) }
            }
        }
    }

    /// The index of the first key not ordered before `key`.
    private func lowerBound(_ key: [UInt8]) -> Int {
        var lo = 0
        var hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if StateKeyBytes.precedes(keys[mid], key) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
