import Testing

@testable import CairnInference

struct WordPieceFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int32]
    }
    let cases: [Case]
}

@Suite("BERT WordPiece against the Hugging Face reference")
struct WordPieceTests {
    static func miniLMTokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: ReferenceModels.miniLM() + "/vocab.txt", lowercase: true, maxLength: 256)
    }

    @Test func encodingMatchesReferenceIDsExactly() throws {
        let fixture: WordPieceFixture = try ReferenceFixtures.load("wordpiece_tokens")
        #expect(fixture.cases.count >= 30)
        let tokenizer = try Self.miniLMTokenizer()
        #expect(tokenizer.vocabulary.count == 30_522)
        for item in fixture.cases {
            #expect(tokenizer.encode(item.text) == item.ids, "text \(item.text.debugDescription)")
        }
    }

    @Test func longTextIsTruncatedTo256TokensWithSpecials() throws {
        let tokenizer = try Self.miniLMTokenizer()
        let ids = tokenizer.encode(String(repeating: "hello world ", count: 400))
        #expect(ids.count == 256)
        #expect(ids.first == tokenizer.clsID && ids.last == tokenizer.sepID)
    }

    static let tinyVocabulary = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", "world", "!", ",", "cafe", "中", "文",
        "a", "##a",
    ]

    @Test func greedyLongestMatchUsesContinuationPieces() throws {
        let tokenizer = try WordPieceTokenizer(vocabulary: Self.tinyVocabulary)
        #expect(tokenizer.tokenize("unaffable") == ["un", "##aff", "##able"])
        #expect(tokenizer.tokenize("unaffablex") == ["[UNK]"])
        #expect(tokenizer.encode("Hello, WORLD!") == [2, 7, 10, 8, 9, 3])
    }

    @Test func normalizationStripsAccentsSplitsCJKAndCleansControls() throws {
        let tokenizer = try WordPieceTokenizer(vocabulary: Self.tinyVocabulary)
        #expect(tokenizer.tokenize("CAFÉ") == ["cafe"])
        #expect(tokenizer.tokenize("Cafe\u{0301}") == ["cafe"])
        #expect(tokenizer.tokenize("中文") == ["中", "文"])
        #expect(tokenizer.tokenize("hel\u{0}lo\u{00AD}\tworld") == ["hello", "world"])
    }

    @Test func wordsOverOneHundredCharactersBecomeUnknown() throws {
        let tokenizer = try WordPieceTokenizer(vocabulary: Self.tinyVocabulary)
        #expect(tokenizer.tokenize(String(repeating: "a", count: 100)).count == 100)
        #expect(tokenizer.tokenize(String(repeating: "a", count: 101)) == ["[UNK]"])
    }

    @Test func truncationKeepsClsAndSep() throws {
        let tokenizer = try WordPieceTokenizer(vocabulary: Self.tinyVocabulary, maxLength: 4)
        #expect(tokenizer.encode("hello world hello world") == [2, 7, 8, 3])
        #expect(tokenizer.encode("") == [2, 3])
    }

    @Test func vocabularyWithoutSpecialTokensIsRejected() {
        let error = #expect(throws: InferenceError.self) { try WordPieceTokenizer(vocabulary: ["a", "b"]) }
        #expect(error?.code == .missingField)
    }
}
