/// Writes the canonical binary encoding: big-endian fixed-width integers, length-prefixed bytes and strings.
///
/// Every signed object is encoded this way, so the same value gives the same bytes on every machine.
public struct CanonicalWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ v: UInt8) { bytes.append(v) }
    public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }

    public mutating func write(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ v: UInt128) {
        write(UInt64(truncatingIfNeeded: v >> 64))
        write(UInt64(truncatingIfNeeded: v))
    }

    public mutating func write(bytes b: [UInt8]) {
        write(UInt32(b.count))
        bytes.append(contentsOf: b)
    }

    public mutating func write(_ s: String) {
        let written = s.utf8.withContiguousStorageIfAvailable { utf8 in
            write(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        if written == nil { write(bytes: Array(s.utf8)) }
    }

    public mutating func write(_ h: Hash) {
        withUnsafeBytes(of: (h.w0.bigEndian, h.w1.bigEndian, h.w2.bigEndian, h.w3.bigEndian)) { bytes.append(contentsOf: $0) }
    }
    public mutating func write(_ a: Address) { bytes.append(contentsOf: a.bytes) }
    public mutating func write(_ a: Amount) { write(a.value) }

    /// Writes a count followed by each element.
    public mutating func write<T>(array: [T], _ each: (inout CanonicalWriter, T) -> Void) {
        write(UInt32(array.count))
        for e in array { each(&self, e) }
    }
}

/// Reads the canonical binary encoding, bounds-checked: malformed input throws, never crashes.
public struct CanonicalReader: Sendable {
    let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// True when every byte was consumed.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Throws unless `n` more bytes remain.
    @inline(__always)
    mutating func need(_ n: Int) throws(DecodeError) {
        guard n >= 0, bytes.count - offset >= n else {
            throw DecodeError("unexpected end of data at byte \(offset) (needed \(n) more)")
        }
    }

    mutating func take(_ n: Int) throws(DecodeError) -> ArraySlice<UInt8> {
        try need(n)
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    /// The next `width` bytes as a big-endian integer.
    @inline(__always)
    mutating func readBigEndian<T: FixedWidthInteger>(_ width: Int, as: T.Type) throws(DecodeError) -> T {
        try need(width)
        let start = offset
        offset += width
        return bytes.withUnsafeBufferPointer { p in
            var v: T = 0
            for i in start..<(start + width) { v = v << 8 | T(p[i]) }
            return v
        }
    }

    public mutating func readUInt8() throws(DecodeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readBool() throws(DecodeError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let v: throw DecodeError("invalid boolean byte \(v)")
        }
    }

    public mutating func readUInt32() throws(DecodeError) -> UInt32 { try readBigEndian(4, as: UInt32.self) }

    public mutating func readUInt64() throws(DecodeError) -> UInt64 { try readBigEndian(8, as: UInt64.self) }

    public mutating func readUInt128() throws(DecodeError) -> UInt128 {
        let hi = try readUInt64()
        let lo = try readUInt64()
        return UInt128(hi) << 64 | UInt128(lo)
    }

    /// Reads a length prefix, refusing lengths above `limit` and lengths past the end.
    mutating func readLength(limit: Int) throws(DecodeError) -> Int {
        let n = Int(try readUInt32())
        guard n <= limit else { throw DecodeError("length \(n) exceeds the limit of \(limit)") }
        try need(n)
        return n
    }

    /// Reads length-prefixed bytes, refusing lengths above `limit`.
    public mutating func readBytes(limit: Int = 1 << 22) throws(DecodeError) -> [UInt8] {
        let n = try readLength(limit: limit)
        return Array(try take(n))
    }

    public mutating func readString(limit: Int = 1 << 16) throws(DecodeError) -> String {
        let n = try readLength(limit: limit)
        let start = offset
        offset += n
        let s = bytes.withUnsafeBufferPointer { p in String(validating: UnsafeBufferPointer(rebasing: p[start..<(start + n)]), as: UTF8.self) }
        guard let s else { throw DecodeError("string is not valid UTF-8") }
        return s
    }

    public mutating func readHash() throws(DecodeError) -> Hash { Hash(bytes: try take(32))! }
    public mutating func readAddress() throws(DecodeError) -> Address { Address(bytes: Array(try take(20)))! }
    public mutating func readAmount() throws(DecodeError) -> Amount { Amount(try readUInt128()) }

    /// Reads a count (at most `limit`) and then that many elements.
    public mutating func readArray<T>(limit: Int = 1 << 16, _ each: (inout CanonicalReader) throws(DecodeError) -> T) throws(DecodeError) -> [T] {
        let n = Int(try readUInt32())
        guard n <= limit else { throw DecodeError("array of \(n) elements exceeds the limit of \(limit)") }
        var out = [T]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try each(&self)) }
        return out
    }

    /// Throws unless every byte was consumed.
    public func expectEnd() throws(DecodeError) {
        guard isAtEnd else { throw DecodeError("\(bytes.count - offset) trailing bytes") }
    }
}

/// Malformed canonical bytes.
public struct DecodeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A value with a canonical binary encoding.
public protocol CanonicalCodable: Sendable {
    func encode(to writer: inout CanonicalWriter)
    init(from reader: inout CanonicalReader) throws(DecodeError)
}

extension CanonicalCodable {
    /// The canonical bytes of this value.
    public var canonicalBytes: [UInt8] {
        var w = CanonicalWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly `bytes`, rejecting trailing data.
    public init(canonicalBytes bytes: [UInt8]) throws(DecodeError) {
        var r = CanonicalReader(bytes)
        self = try Self(from: &r)
        try r.expectEnd()
    }
}
