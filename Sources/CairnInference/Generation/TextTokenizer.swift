/// What text generation needs from a tokenizer: text to ids, and ids back to text.
public protocol TextTokenizer: Sendable {
    /// The token ids of `text`, without adding special tokens.
    func encode(_ text: String) throws -> [Int32]
    /// The text of `ids`, concatenated (special tokens written out).
    ///
    /// Decoding a subsequence may end in an incomplete UTF-8 sequence; implementations render it as U+FFFD,
    /// which ``StreamingDetokenizer`` uses to hold text back until the character is complete.
    func decode(_ ids: [Int32]) -> String
    /// The bytes token `id` stands for (part of a character, for some byte-level tokens).
    func tokenBytes(_ id: Int32) -> [UInt8]
    /// Whether `id` is a control token (`<|im_start|>` and the like), which stands for no text.
    func isControlToken(_ id: Int32) -> Bool
}

extension TextTokenizer {
    /// The UTF-8 of the token's text, for tokenizers whose tokens are whole characters.
    public func tokenBytes(_ id: Int32) -> [UInt8] { Array(decode([id]).utf8) }

    /// No control tokens.
    public func isControlToken(_ id: Int32) -> Bool { false }
}

/// Turns a stream of token ids into text pieces that never split a UTF-8 character.
///
/// Byte-level BPE tokens can carry part of a multi-byte character; the pieces are decoded in groups, and a
/// group whose text ends in U+FFFD is held until later tokens complete it (or it reaches `maxPending` tokens).
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: any TextTokenizer
    private var pending: [Int32] = []
    private let maxPending: Int

    /// Creates a detokenizer over `tokenizer`.
    public init(tokenizer: any TextTokenizer, maxPending: Int = 8) {
        self.tokenizer = tokenizer
        self.maxPending = maxPending
    }

    /// Adds one token and returns the text that is now complete (possibly empty).
    public mutating func append(_ token: Int32) -> String {
        pending.append(token)
        let text = tokenizer.decode(pending)
        if text.unicodeScalars.last == "\u{FFFD}" && pending.count < maxPending { return "" }
        pending.removeAll(keepingCapacity: true)
        return text
    }

    /// Returns whatever text is still held back.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : tokenizer.decode(pending)
    }
}
