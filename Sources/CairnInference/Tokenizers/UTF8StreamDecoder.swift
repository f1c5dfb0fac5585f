/// Turns a byte stream into text pieces that never split a UTF-8 character.
///
/// A byte-level BPE token may carry only part of a multi-byte character (an emoji often spans two or three
/// tokens). The decoder holds back a trailing sequence that is still incomplete and emits it once its last
/// byte arrives. Bytes that can never form a character are emitted at once as U+FFFD, so the stream never
/// stalls on garbage, and ``finish()`` emits whatever is left.
public struct UTF8StreamDecoder: Sendable {
    private var pending: [UInt8] = []

    /// Creates an empty decoder.
    public init() {}

    /// The number of bytes held back, waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// Adds `bytes` and returns the text they complete (possibly empty).
    public mutating func append<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        pending.append(contentsOf: bytes)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns the bytes still held back, incomplete characters rendered as U+FFFD, and empties the decoder.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix of `bytes` that does not end inside a character that may still complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // A character is at most 4 bytes: look back at most 3 bytes for the lead byte of the last one.
        var lead = count - 1
        while lead >= 0, lead > count - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= 0 else { return count }
        let expected: Int
        switch bytes[lead] {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return count  // ASCII, a stray continuation or an invalid lead: nothing to wait for
        }
        let have = count - lead
        guard have < expected else { return count }
        // Reject second bytes that no valid sequence has (overlong, surrogate or beyond U+10FFFF).
        if have >= 2 {
            let second = bytes[lead + 1]
            let valid: ClosedRange<UInt8> =
                switch bytes[lead] {
                case 0xE0: 0xA0...0xBF
                case 0xED: 0x80...0x9F
                case 0xF0: 0x90...0xBF
                case 0xF4: 0x80...0x8F
                default: 0x80...0xBF
                }
            if !valid.contains(second) { return count }
        }
        return lead
    }
}

/// Streams a byte-level BPE token sequence as text, one token at a time, without broken characters.
public struct BPEStreamingDecoder: Sendable {
    private let tokenizer: BPETokenizer
    private var decoder = UTF8StreamDecoder()
    private let skipSpecial: Bool

    /// Creates a stream over `tokenizer`; with `skipSpecial`, control tokens produce no text.
    public init(tokenizer: BPETokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// Adds token `id` and returns the text now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        if skipSpecial, tokenizer.type(of: id) == .control { return "" }
        return decoder.append(tokenizer.bytes(of: id))
    }

    /// Returns whatever text is still held back (an incomplete character becomes U+FFFD).
    public mutating func finish() -> String { decoder.finish() }
}
