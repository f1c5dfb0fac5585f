extension Array where Element == UInt8 {
    /// Parses an even-length hexadecimal string (an optional `0x` prefix is allowed).
    public init?(hex: String) {
        var text = Substring(hex)
        if text.hasPrefix("0x") { text = text.dropFirst(2) }
        guard text.utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count / 2)
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        self = out
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal form of the bytes.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        for b in self {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
