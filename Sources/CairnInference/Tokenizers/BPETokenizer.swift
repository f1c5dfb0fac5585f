/// A GPT-2 style byte-level BPE tokenizer built from a GGUF file's `tokenizer.ggml.*` metadata.
///
/// Encoding: control tokens (`<|im_start|>`, ...) are cut out of the text first when `parseSpecial` is on
/// (user-defined tokens always), each stretch between them is split into words by the model's
/// ``PreTokenizer``, each word's UTF-8 bytes become single-byte tokens, and merges are applied lowest rank
/// first. This reproduces Hugging Face `tokenizers` and llama.cpp on the same vocabulary.
public struct BPETokenizer: TextTokenizer {
    /// Token types as stored in `tokenizer.ggml.token_type`.
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// The vocabulary, indexed by token id, in the byte-level spelling (`Ġ` for a space).
    public let tokens: [String]
    /// The beginning-of-sequence token, if the model has one.
    public let bosID: Int32?
    /// The end-of-sequence token, if the model has one.
    public let eosID: Int32?
    /// The word-splitting rules.
    public let preTokenizer: PreTokenizer

    let tokenTypes: [Int32]
    let vocabulary: [String: Int32]
    /// The token of each single byte (index: byte value), or -1 if the vocabulary lacks it.
    let byteTokens: [Int32]
    /// Merge rules keyed by `left << 32 | right`.
    let merges: [UInt64: MergeRule]
    let specials: SpecialTokenMatcher
    /// The bytes every token decodes to, concatenated; token `i` spans `decodedOffsets[i]..<decodedOffsets[i+1]`.
    let decodedBytes: [UInt8]
    let decodedOffsets: [Int]

    struct MergeRule: Sendable {
        let rank: Int32
        let merged: Int32
    }

    /// Builds the tokenizer from GGUF tokenizer metadata.
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`, indexed by id.
    ///   - merges: `tokenizer.ggml.merges`, each `"left right"`, highest priority first.
    ///   - tokenTypes: `tokenizer.ggml.token_type` (empty means all normal).
    ///   - bosID: `tokenizer.ggml.bos_token_id`.
    ///   - eosID: `tokenizer.ggml.eos_token_id`.
    ///   - preTokenizer: `tokenizer.ggml.pre`, such as `smollm`.
    /// - Throws: `.corrupt` for inconsistent tables, `.unsupported` for an unknown pre-tokenizer.
    public init(
        tokens: [String], merges: [String], tokenTypes: [Int32], bosID: Int32?, eosID: Int32?, preTokenizer: String
    ) throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw InferenceError(.corrupt, "tokenizer vocabulary has \(tokens.count) tokens")
        }
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw InferenceError(.corrupt, "tokenizer has \(tokens.count) tokens but \(tokenTypes.count) token types")
        }
        for (name, id) in [("BOS", bosID), ("EOS", eosID)] {
            if let id, !(0..<Int32(tokens.count)).contains(id) {
                throw InferenceError(.corrupt, "\(name) token id \(id) is outside the vocabulary of \(tokens.count)")
            }
        }
        self.tokens = tokens
        self.tokenTypes = tokenTypes.isEmpty ? Array(repeating: TokenType.normal.rawValue, count: tokens.count) : tokenTypes
        self.bosID = bosID
        self.eosID = eosID
        self.preTokenizer = try PreTokenizer(name: preTokenizer)

        var vocabulary = [String: Int32](minimumCapacity: tokens.count)
        for (id, token) in tokens.enumerated() where vocabulary[token] == nil { vocabulary[token] = Int32(id) }
        self.vocabulary = vocabulary
        byteTokens = ByteLevelAlphabet.characters.map { vocabulary[String(Character($0))] ?? -1 }
        self.merges = try Self.mergeTable(merges, vocabulary: vocabulary)

        let types = self.tokenTypes
        specials = SpecialTokenMatcher(tokens: tokens, types: types)
        var bytes: [UInt8] = []
        var offsets = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for (id, token) in tokens.enumerated() {
            let verbatim = types[id] == TokenType.control.rawValue || types[id] == TokenType.userDefined.rawValue
            bytes += (verbatim ? nil : ByteLevelAlphabet.decode(token)) ?? Array(token.utf8)
            offsets.append(bytes.count)
        }
        decodedBytes = bytes
        decodedOffsets = offsets
    }

    private static func mergeTable(_ merges: [String], vocabulary: [String: Int32]) throws -> [UInt64: MergeRule] {
        var table = [UInt64: MergeRule](minimumCapacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw InferenceError(.corrupt, "merge \(rank) '\(merge)' is not two tokens separated by a space")
            }
            // Merges whose parts or result are not in the vocabulary can never fire; llama.cpp skips them too.
            guard let left = vocabulary[String(parts[0])], let right = vocabulary[String(parts[1])],
                let merged = vocabulary[String(parts[0]) + String(parts[1])]
            else { continue }
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            if table[key] == nil { table[key] = MergeRule(rank: Int32(rank), merged: merged) }
        }
        return table
    }

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// The id of the token spelled exactly `text` (byte-level spelling for normal tokens), if any.
    public func id(of text: String) -> Int32? { vocabulary[text] }

    /// The type of token `id`.
    public func type(of id: Int32) -> TokenType? {
        guard id >= 0, Int(id) < tokenTypes.count else { return nil }
        return TokenType(rawValue: tokenTypes[Int(id)])
    }

    /// The ids of `text` with special tokens parsed and no BOS added (SmolLM2's `add_bos_token` is false).
    public func encode(_ text: String) -> [Int32] { encode(text, addBOS: false, parseSpecial: true) }

    /// The ids of `text`.
    /// - Parameters:
    ///   - addBOS: prepend ``bosID`` (if the model has one).
    ///   - parseSpecial: match control tokens written in the text (such as `<|im_start|>`) as single tokens;
    ///     when off they are tokenized as plain text. User-defined tokens are always matched.
    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int32] {
        var ids: [Int32] = []
        if addBOS, let bosID { ids.append(bosID) }
        let scalars = Array(text.unicodeScalars)
        var start = 0
        for match in specials.matches(in: scalars, includeControl: parseSpecial) {
            encodePlain(scalars[start..<match.range.lowerBound], into: &ids)
            ids.append(match.id)
            start = match.range.upperBound
        }
        encodePlain(scalars[start...], into: &ids)
        return ids
    }

    private func encodePlain(_ stretch: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
        guard !stretch.isEmpty else { return }
        let scalars = Array(stretch)
        var bytes: [UInt8] = []
        for word in preTokenizer.split(scalars) {
            bytes.removeAll(keepingCapacity: true)
            for scalar in scalars[word] { UTF8.encode(scalar) { bytes.append($0) } }
            mergeWord(bytes, into: &ids)
        }
    }

    /// The UTF-8 bytes token `id` stands for (control tokens: their literal text).
    public func bytes(of id: Int32) -> ArraySlice<UInt8> {
        let index = Int(id)
        guard index >= 0, index < tokens.count else { return [] }
        return decodedBytes[decodedOffsets[index]..<decodedOffsets[index + 1]]
    }

    public func tokenBytes(_ id: Int32) -> [UInt8] { Array(bytes(of: id)) }

    public func isControlToken(_ id: Int32) -> Bool { type(of: id) == .control }

    /// The bytes of `ids` concatenated; with `skipSpecial`, control tokens are left out.
    public func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            if skipSpecial, id >= 0, Int(id) < tokens.count, tokenTypes[Int(id)] == TokenType.control.rawValue { continue }
            out += bytes(of: id)
        }
        return out
    }

    /// The text of `ids` (control tokens written out); invalid or incomplete UTF-8 becomes U+FFFD.
    public func decode(_ ids: [Int32]) -> String { decode(ids, skipSpecial: false) }

    /// The text of `ids`; with `skipSpecial`, control tokens are left out.
    public func decode(_ ids: [Int32], skipSpecial: Bool) -> String {
        String(decoding: decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }
}
