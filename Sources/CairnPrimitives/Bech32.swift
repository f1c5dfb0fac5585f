/// Bech32 (BIP-173) encoding with checksum, used for `cairn1...` addresses.
public enum Bech32 {
    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    /// One step of the checksum: shifts in a 5-bit value.
    @inline(__always)
    static func step(_ chk: UInt32, _ value: UInt8) -> UInt32 {
        let top = chk >> 25
        var c = (chk & 0x1ff_ffff) << 5 ^ UInt32(value)
        if top & 1 != 0 { c ^= 0x3b6a_57b2 }
        if top & 2 != 0 { c ^= 0x2650_8e6d }
        if top & 4 != 0 { c ^= 0x1ea1_19fa }
        if top & 8 != 0 { c ^= 0x3d42_33dd }
        if top & 16 != 0 { c ^= 0x2a14_62b3 }
        return c
    }

    /// The checksum state after the human-readable part: its high bits, a zero, then its low bits.
    static func checksum(hrp: [UInt8]) -> UInt32 {
        let high = hrp.reduce(1) { step($0, $1 >> 5) }
        return hrp.reduce(step(high, 0)) { step($0, $1 & 31) }
    }

    /// Encodes `data` (8-bit bytes) under the human-readable part `hrp`.
    ///
    /// The characters are written into one stack buffer: every event names its accounts in this form.
    public static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let values = convertBits(data, from: 8, to: 5, pad: true)!
        var chk = values.reduce(checksum(hrp: hrpBytes), step)
        for _ in 0..<6 { chk = step(chk, 0) }
        chk ^= 1
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: hrpBytes.count + 1 + values.count + 6) { out in
            var o = 0
            for c in hrpBytes {
                out[o] = c
                o += 1
            }
            out[o] = UInt8(ascii: "1")
            o += 1
            for v in values {
                out[o] = charset[Int(v)]
                o += 1
            }
            for i in 0..<6 {
                out[o] = charset[Int((chk >> UInt32(5 * (5 - i))) & 31)]
                o += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: out[..<o]), as: UTF8.self)
        }
    }

    /// Decodes a bech32 string into its human-readable part and 8-bit data.
    public static func decode(_ text: String) throws(AddressError) -> (hrp: String, data: [UInt8]) {
        let bytes = Array(text.utf8)
        guard bytes.count <= 90 else { throw AddressError(.tooLong, "address is longer than 90 characters") }
        let hasLower = bytes.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        let hasUpper = bytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        guard !(hasLower && hasUpper) else { throw AddressError(.mixedCase, "address mixes upper and lower case") }
        let lower = bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")), sep >= 1, sep + 7 <= lower.count else {
            throw AddressError(.malformed, "address has no valid separator")
        }
        let hrp = Array(lower[..<sep])
        guard hrp.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { throw AddressError(.malformed, "invalid prefix characters") }
        var values = [UInt8]()
        for c in lower[(sep + 1)...] {
            guard let v = charset.firstIndex(of: c) else {
                throw AddressError(.badCharacter, "invalid character '\(Character(Unicode.Scalar(c)))' in address")
            }
            values.append(UInt8(v))
        }
        guard values.reduce(checksum(hrp: hrp), step) == 1 else {
            throw AddressError(.badChecksum, "address checksum does not match (mistyped address?)")
        }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else {
            throw AddressError(.malformed, "address has invalid padding")
        }
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0
        var bits = 0
        var out = [UInt8]()
        let maxv = (1 << to) - 1
        for v in data {
            guard Int(v) >> from == 0 else { return nil }
            acc = acc << from | Int(v)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxv))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || (acc << (to - bits)) & maxv != 0 {
            return nil
        }
        return out
    }
}
