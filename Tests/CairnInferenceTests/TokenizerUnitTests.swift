import Testing

@testable import CairnInference

/// Byte-level BPE behaviour on a tiny hand-made vocabulary, and the pre-tokenizer and UTF-8 stream on their own.
struct TokenizerUnitTests {
    /// All 256 byte tokens, then merged tokens, then two control tokens.
    static func tinyTokenizer(merges: [String], extra: [String], pre: String = "smollm") throws -> BPETokenizer {
        let bytes = ByteLevelAlphabet.characters.map { String(Character($0)) }
        let tokens = bytes + extra + ["<|end|>", "<|start|>"]
        let types = [Int32](repeating: 1, count: bytes.count + extra.count) + [3, 3]
        return try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, bosID: 257 + Int32(extra.count), eosID: 256 + Int32(extra.count), preTokenizer: pre)
    }

    static func words(_ text: String, _ kind: PreTokenizer.Kind = .isolatedDigitsThenGPT2) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return PreTokenizer(kind: kind).split(scalars).map { range in
            var word = ""
            word.unicodeScalars.append(contentsOf: scalars[range])
            return word
        }
    }

    @Test func gpt2PatternSplitsWordsPunctuationAndContractions() {
        #expect(Self.words("Hello, world!", .gpt2) == ["Hello", ",", " world", "!"])
        #expect(Self.words("I'm don't they'll", .gpt2) == ["I", "'m", " don", "'t", " they", "'ll"])
        #expect(Self.words("I'D", .gpt2) == ["I", "'", "D"])
        #expect(Self.words(" 123abc", .gpt2) == [" 123", "abc"])
    }

    @Test func whitespaceRunsLeaveTheirLastSpaceToTheNextWord() {
        #expect(Self.words("a   b", .gpt2) == ["a", "  ", " b"])
        #expect(Self.words("a\n\nb", .gpt2) == ["a", "\n", "\n", "b"])
        #expect(Self.words("end   ", .gpt2) == ["end", "   "])
        #expect(Self.words("x \t y", .gpt2) == ["x", " \t", " y"])
    }

    @Test func smollmIsolatesEveryDigitBeforeTheGPT2Pattern() {
        #expect(Self.words(" 42") == [" ", "4", "2"])
        #expect(Self.words("a  1") == ["a", "  ", "1"])
        #expect(Self.words("x=10;") == ["x", "=", "1", "0", ";"])
        #expect(Self.words("½ and ٣") == ["½", " and", " ", "٣"])
    }

    @Test func mergesApplyLowestRankFirst() throws {
        // "ab" outranks "bc": "abc" -> "ab" + "c", although "bc" would also be possible.
        let tokenizer = try Self.tinyTokenizer(merges: ["a b", "b c", "ab c"], extra: ["ab", "bc", "abc"])
        #expect(tokenizer.encode("abc") == [tokenizer.id(of: "abc")!])
        let other = try Self.tinyTokenizer(merges: ["b c", "a b"], extra: ["ab", "bc"])
        #expect(other.encode("abc") == [other.id(of: "a")!, other.id(of: "bc")!])
        #expect(other.encode("abab") == [other.id(of: "ab")!, other.id(of: "ab")!])
    }

    @Test func controlTokensAreMatchedOnlyWhenParsingSpecials() throws {
        let tokenizer = try Self.tinyTokenizer(merges: [], extra: [])
        let end = tokenizer.id(of: "<|end|>")!
        #expect(tokenizer.encode("x<|end|>y", addBOS: false, parseSpecial: true) == [tokenizer.id(of: "x")!, end, tokenizer.id(of: "y")!])
        let literal = tokenizer.encode("<|end|>", addBOS: false, parseSpecial: false)
        #expect(literal.count == 7 && !literal.contains(end))
        #expect(tokenizer.decode(literal) == "<|end|>")
    }

    @Test func emptyTextEncodesToNothingOrJustBOS() throws {
        let tokenizer = try Self.tinyTokenizer(merges: [], extra: [])
        #expect(tokenizer.encode("").isEmpty)
        #expect(tokenizer.encode("", addBOS: true, parseSpecial: true) == [tokenizer.bosID!])
    }

    @Test func longUnbrokenWordsEncodeAndRoundTrip() throws {
        let tokenizer = try Self.tinyTokenizer(merges: ["a a", "aa aa"], extra: ["aa", "aaaa"])
        let text = String(repeating: "a", count: 20_001)
        let ids = tokenizer.encode(text)
        #expect(ids.count == 5_001)
        #expect(tokenizer.decode(ids) == text)
    }

    @Test func inconsistentTablesAreRejected() {
        #expect(throws: InferenceError.self) {
            try BPETokenizer(tokens: ["a", "b"], merges: [], tokenTypes: [1], bosID: nil, eosID: nil, preTokenizer: "gpt2")
        }
        #expect(throws: InferenceError.self) {
            try BPETokenizer(tokens: ["a", "b"], merges: ["ab"], tokenTypes: [], bosID: nil, eosID: nil, preTokenizer: "gpt2")
        }
        #expect(throws: InferenceError.self) {
            try BPETokenizer(tokens: ["a"], merges: [], tokenTypes: [], bosID: 5, eosID: nil, preTokenizer: "gpt2")
        }
        let unsupported = #expect(throws: InferenceError.self) {
            try BPETokenizer(tokens: ["a"], merges: [], tokenTypes: [], bosID: nil, eosID: nil, preTokenizer: "llama3")
        }
        #expect(unsupported?.code == .unsupported)
    }

    @Test func utf8StreamHoldsIncompleteCharactersOnly() {
        var decoder = UTF8StreamDecoder()
        let bytes = Array("a€🎉".utf8)  // 1 + 3 + 4 bytes
        var out: [String] = []
        for byte in bytes { out.append(decoder.append([byte])) }
        #expect(out == ["a", "", "", "€", "", "", "", "🎉"])
        #expect(decoder.pendingByteCount == 0)
    }

    @Test func utf8StreamNeverStallsOnInvalidBytes() {
        var decoder = UTF8StreamDecoder()
        #expect(decoder.append([0xFF]) == "\u{FFFD}")
        #expect(decoder.append([0xE0, 0x41]) == "\u{FFFD}A")
        #expect(decoder.append([0xF0, 0x9F]) == "")
        #expect(decoder.finish() == "\u{FFFD}")
        #expect(decoder.append([0xED, 0xA0]) == "\u{FFFD}\u{FFFD}")  // a surrogate can never complete
    }
}
