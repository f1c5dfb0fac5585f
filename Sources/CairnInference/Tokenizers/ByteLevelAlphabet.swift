/// GPT-2's reversible byte-to-character table: byte-level BPE vocabularies spell every byte as a printable
/// character, so token strings never contain spaces, control characters or partial UTF-8.
///
/// The printable Latin-1 bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) stand for themselves; the other 68 bytes are
/// given the code points from U+0100 upwards in byte order (so a space is `Ġ`, U+0120, and a newline `Ċ`).
enum ByteLevelAlphabet {
    /// The character standing for each byte, indexed by byte value.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each table character stands for (inverse of ``characters``).
    static let bytes: [UInt32: UInt8] = {
        var inverse: [UInt32: UInt8] = [:]
        for (byte, scalar) in characters.enumerated() { inverse[scalar.value] = UInt8(byte) }
        return inverse
    }()

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
    }

    /// The raw bytes a vocabulary entry spells, or nil if it uses a character outside the table.
    static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = bytes[scalar.value] else { return nil }
            out.append(byte)
        }
        return out
    }
}
