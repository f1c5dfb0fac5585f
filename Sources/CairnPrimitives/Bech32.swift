/// Bech32 (BIP-173) encoding with checksum, used for `cairn1...` addresses.
public enum Bech32 {
    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    static func polymod(_ values: [UInt8]) -> UInt32 {
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 {
                chk ^= generator[i]
            }
        }
        return chk
    }

    static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Encodes `data` (8-bit bytes) under the human-readable part `hrp`.
    public static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let values = convertBits(data, from: 8, to: 5, pad: true)!
        let mod = polymod(expand(hrpBytes) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
        let chars = (values + checksum).map { charset[Int($0)] }
        return hrp + "1" + String(decoding: chars, as: UTF8.self)
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
        guard polymod(expand(hrp) + values) == 1 else {
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
