public import Foundation
import Crypto

/// A 32-byte SHA-256 digest, stored as four big-endian words so that comparison and bit access are cheap.
public struct Hash: Hashable, Comparable, Sendable {
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64

    public static func == (a: Hash, b: Hash) -> Bool {
        a.w0 == b.w0 && a.w1 == b.w1 && a.w2 == b.w2 && a.w3 == b.w3
    }

    /// Feeds the hasher one word folded from all four: a digest's words are already uniform, so one
    /// round of the seeded hasher is enough, and hash tables of tree nodes are on the hot path of execution.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(w0 ^ (w1 &* 0x9E37_79B9_7F4A_7C15) ^ (w2 &* 0xC2B2_AE3D_27D4_EB4F) ^ (w3 &* 0x1656_67B1_9E37_79F9))
    }

    /// The all-zero hash; it also stands for an empty subtree in the state tree.
    public static let zero = Hash(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Creates a hash from exactly 32 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, b) in bytes.enumerated() {
            words[i / 8] = words[i / 8] << 8 | UInt64(b)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Parses 64 hexadecimal characters.
    public init?(hex: String) {
        guard let bytes = [UInt8](hex: hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 32 bytes, most significant first.
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            storeBytes(into: UnsafeMutableRawBufferPointer(buffer), at: 0)
            count = 32
        }
    }

    /// Stores the 32 bytes at `offset` of `raw`, which must have room for them.
    @inlinable
    public func storeBytes(into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.storeBytes(of: w0.bigEndian, toByteOffset: offset, as: UInt64.self)
        raw.storeBytes(of: w1.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
        raw.storeBytes(of: w2.bigEndian, toByteOffset: offset + 16, as: UInt64.self)
        raw.storeBytes(of: w3.bigEndian, toByteOffset: offset + 24, as: UInt64.self)
    }

    /// Lower-case hexadecimal form.
    public var hex: String { bytes.hexString }

    /// Bit `index` (0 is the most significant bit of the first byte).
    @inlinable
    public func bit(_ index: Int) -> Bool {
        let word: UInt64
        switch index >> 6 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return (word >> UInt64(63 - (index & 63))) & 1 == 1
    }

    public static func < (a: Hash, b: Hash) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some DataProtocol) -> Hash {
        Hash(digest: SHA256.hash(data: data))
    }

    /// SHA-256 of `bytes`, hashed from their storage (the generic form goes through `DataProtocol`'s regions).
    public static func sha256(_ bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { raw in
            var hasher = SHA256()
            hasher.update(bufferPointer: raw)
            return Hash(digest: hasher.finalize())
        }
    }

    /// SHA-256 over several byte strings concatenated, without building the concatenation.
    public static func sha256(parts: [[UInt8]]) -> Hash {
        var hasher = SHA256()
        for part in parts { hasher.update(data: part) }
        return Hash(digest: hasher.finalize())
    }

    /// SHA-256 of a tag byte followed by two hashes: the node hash of the state tree and Merkle trees.
    ///
    /// Hashed from a stack buffer: the state tree calls this for every node on every updated path.
    public static func node(tag: UInt8, _ a: Hash, _ b: Hash) -> Hash {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65) { buffer in
            buffer[0] = tag
            let raw = UnsafeMutableRawBufferPointer(buffer)
            a.storeBytes(into: raw, at: 1)
            b.storeBytes(into: raw, at: 33)
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(raw))
            return Hash(digest: hasher.finalize())
        }
    }

    init(digest: SHA256.Digest) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { raw in
            words.0 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            words.1 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            words.2 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            words.3 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// Writes the 32 bytes into `buffer` starting at `offset`.
    public func write(into buffer: inout [UInt8], at offset: Int) {
        precondition(offset >= 0 && offset + 32 <= buffer.count, "no room for a hash at \(offset)")
        buffer.withUnsafeMutableBytes { storeBytes(into: $0, at: offset) }
    }
}

extension Hash: CustomStringConvertible {
    public var description: String { hex }
}

extension Hash: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let hash = Hash(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected 64 hex characters"))
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
