public import CairnLedger

/// Committed state in a dictionary: a `StateReader` that a block's `StateOverlay.changes` are applied to.
///
/// It lets ledger tests run `Ledger.executeBlock` block after block without a database.
public final class InMemoryState: StateReader {
    public private(set) var entries: [[UInt8]: [UInt8]] = [:]

    public init() {}

    public func get(_ key: [UInt8]) throws -> [UInt8]? { entries[key] }

    public func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        entries.filter { $0.key.starts(with: prefix) }
            .map { (key: $0.key, value: $0.value) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// Writes `changes` (nil value: delete), as committing a block does.
    public func apply(_ changes: [(key: [UInt8], value: [UInt8]?)]) {
        for c in changes { entries[c.key] = c.value }
    }
}
