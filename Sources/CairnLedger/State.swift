/// Read access to committed state: keys and values are byte strings; each module owns a key prefix.
public protocol StateReader {
    /// The value at `key`, or nil.
    func get(_ key: [UInt8]) throws -> [UInt8]?
    /// Every entry whose key starts with `prefix`, in key order.
    func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])]
}

/// A state key as a dictionary key: hashed as one block of bytes rather than byte by byte, as `[UInt8]` is.
public struct StateKeyBytes: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static func == (a: StateKeyBytes, b: StateKeyBytes) -> Bool { a.bytes == b.bytes }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Byte-wise order, a shorter key first when it is a prefix of the other (as `memcmp` and SQLite order blobs).
    public static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let n = min(pa.count, pb.count)
                for i in 0..<n where pa[i] != pb[i] { return pa[i] < pb[i] }
                return pa.count < pb.count
            }
        }
    }
}

/// Buffered writes over a `StateReader`, with nested checkpoints so a failed message can be reverted.
///
/// Nothing reaches storage until the block commits; `changes` lists the final writes in key order.
public final class StateOverlay: StateReader {
    let base: any StateReader
    var writes: [StateKeyBytes: [UInt8]?] = [:]
    /// One journal per open checkpoint: the overlay entry each key had before its first write inside it.
    var journals: [[(StateKeyBytes, [UInt8]??)]] = []

    public init(base: any StateReader) {
        self.base = base
    }

    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        if let w = writes[StateKeyBytes(key)] { return w }
        return try base.get(key)
    }

    public func set(_ key: [UInt8], _ value: [UInt8]?) {
        let key = StateKeyBytes(key)
        if !journals.isEmpty {
            journals[journals.count - 1].append((key, writes[key]))
        }
        writes[key] = .some(value)
    }

    public func delete(_ key: [UInt8]) { set(key, nil) }

    public func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        // The base's entries come in key order; the writes under the prefix (few) are sorted and merged into them.
        let base = try base.scan(prefix: prefix)
        var written: [(key: [UInt8], value: [UInt8]?)] = []
        for (k, v) in writes where k.bytes.starts(with: prefix) { written.append((k.bytes, v)) }
        if written.isEmpty { return base }
        written.sort { StateKeyBytes.precedes($0.key, $1.key) }
        var out: [(key: [UInt8], value: [UInt8])] = []
        out.reserveCapacity(base.count + written.count)
        var i = 0
        for w in written {
            while i < base.count, StateKeyBytes.precedes(base[i].key, w.key) {
                out.append(base[i])
                i += 1
            }
            if i < base.count, base[i].key == w.key { i += 1 }
            if let v = w.value { out.append((key: w.key, value: v)) }
        }
        out.append(contentsOf: base[i...])
        return out
    }

    /// Opens a checkpoint; `commit` keeps its writes, `revert` undoes them.
    public func checkpoint() { journals.append([]) }

    public func commitCheckpoint() {
        let journal = journals.removeLast()
        if !journals.isEmpty { journals[journals.count - 1].append(contentsOf: journal) }
    }

    public func revertCheckpoint() {
        let journal = journals.removeLast()
        for (key, previous) in journal.reversed() {
            if let previous { writes[key] = previous } else { writes.removeValue(forKey: key) }
        }
    }

    /// The final writes (nil value: deleted), in key order.
    public var changes: [(key: [UInt8], value: [UInt8]?)] {
        writes.map { (key: $0.key.bytes, value: $0.value) }.sorted { StateKeyBytes.precedes($0.key, $1.key) }
    }
}

/// A state with nothing in it, for genesis.
public struct EmptyState: StateReader {
    public init() {}
    public func get(_ key: [UInt8]) throws -> [UInt8]? { nil }
    public func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] { [] }
}

/// Builds state keys: a module prefix and parts separated by `/`.
public enum StateKey {
    public static func make(_ module: String, _ parts: [UInt8]...) -> [UInt8] {
        var k = [UInt8]()
        k.reserveCapacity(module.utf8.count + parts.reduce(0) { $0 + 1 + $1.count })
        k.append(contentsOf: module.utf8)
        for p in parts {
            k.append(UInt8(ascii: "/"))
            k.append(contentsOf: p)
        }
        return k
    }

    public static func make(_ module: String, _ text: String) -> [UInt8] { make(module, Array(text.utf8)) }

    /// `v` as 8 bytes, most significant first, so integers in keys sort in numeric order (heights, ids).
    public static func bigEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }

    /// The big-endian integer in the 8 bytes at `offset` of `key`, or nil when the key is too short.
    public static func readBigEndian(_ key: some Collection<UInt8>, at offset: Int) -> UInt64? {
        let bytes = key.dropFirst(offset).prefix(8)
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// `prefix` (already built, ending in `/`) followed by `parts` joined with `/`, in one allocation: the
    /// keys every transaction reads (balances, nonces) are built this way.
    public static func make(prefix: [UInt8], _ first: [UInt8], _ rest: String? = nil) -> [UInt8] {
        var k = [UInt8]()
        k.reserveCapacity(prefix.count + first.count + (rest.map { 1 + $0.utf8.count } ?? 0))
        k.append(contentsOf: prefix)
        k.append(contentsOf: first)
        if let rest {
            k.append(UInt8(ascii: "/"))
            k.append(contentsOf: rest.utf8)
        }
        return k
    }
}
