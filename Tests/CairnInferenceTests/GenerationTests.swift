import Foundation
import Testing
@testable import CairnInference

/// A toy tokenizer for the tiny model: token i is the single character with code 65 + i ("A"...).
struct CharacterTokenizer: TextTokenizer {
    func encode(_ text: String) throws -> [Int32] {
        try text.unicodeScalars.map { scalar in
            let id = Int32(scalar.value) - 65
            guard id >= 0, id < Int32(TinyLlama.vocabulary) else { throw InferenceError(.invalidRequest, "no token for \(scalar)") }
            return id
        }
    }

    func decode(_ ids: [Int32]) -> String {
        String(String.UnicodeScalarView(ids.compactMap { Unicode.Scalar(UInt32(65 + $0)) }))
    }
}

@Suite struct GenerationTests {
    static func generator(seed: UInt64 = 7) throws -> TextGenerator {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write(seed: seed)))
        return TextGenerator(model: model, tokenizer: CharacterTokenizer(), endTokens: [])
    }

    static func collect(
        _ generator: TextGenerator, _ prompt: [Int32], _ parameters: SamplingParameters
    ) throws -> ([GenerationEvent], GenerationSummary) {
        var events: [GenerationEvent] = []
        let summary = try generator.generate(promptTokens: prompt, parameters: parameters) { events.append($0) }
        return (events, summary)
    }

    static func ids(_ events: [GenerationEvent]) -> [Int32] {
        events.compactMap { if case .token(let id, _) = $0 { id } else { nil } }
    }

    @Test func greedyGenerationMatchesTheNaiveReference() throws {
        let generator = try Self.generator()
        let prompt: [Int32] = [4, 8, 15]
        let (events, summary) = try Self.collect(generator, prompt, .greedy(maxTokens: 5))
        var context = prompt
        for _ in 0..<5 {
            let logits = try TinyLlama.referenceLogits(file: generator.model.weights.file, tokens: context)
            context.append(Int32(logits.indices.max { logits[$0] < logits[$1] }!))
        }
        #expect(Self.ids(events) == Array(context.dropFirst(3)))
        #expect(summary.promptTokenCount == 3 && summary.completionTokenCount == 5 && summary.finishReason == .length)
        #expect(summary.text == CharacterTokenizer().decode(Self.ids(events)))
    }

    @Test func maxTokensZeroGeneratesNothing() throws {
        let (events, summary) = try Self.collect(try Self.generator(), [1, 2], .greedy(maxTokens: 0))
        #expect(events == [.finished(summary)])
        #expect(summary.completionTokenCount == 0 && summary.promptTokenCount == 2)
    }

    @Test func emptyPromptStartsFromBOS() throws {
        let (events, summary) = try Self.collect(try Self.generator(), [], .greedy(maxTokens: 3))
        #expect(summary.promptTokenCount == 1)
        #expect(Self.ids(events).count == 3)
    }

    @Test func promptLongerThanTheContextIsRejected() throws {
        let generator = try Self.generator()
        let long = [Int32](repeating: 3, count: TinyLlama.context + 5)
        let error = #expect(throws: InferenceError.self) { try Self.collect(generator, long, .greedy()) }
        #expect(error?.code == .invalidRequest)
    }

    @Test func generationStopsWhenTheContextIsFull() throws {
        let prompt = [Int32](repeating: 3, count: TinyLlama.context - 4)
        let (events, summary) = try Self.collect(try Self.generator(), prompt, .greedy(maxTokens: 100))
        #expect(summary.finishReason == .contextFull)
        #expect(Self.ids(events).count == 4)
    }

    @Test func sameSeedSameOutputDifferentSeedDifferentOutput() throws {
        let generator = try Self.generator()
        func run(_ seed: UInt64) throws -> [Int32] {
            Self.ids(try Self.collect(generator, [5, 6], SamplingParameters(temperature: 1.5, seed: seed, maxTokens: 20)).0)
        }
        #expect(try run(1) == run(1))
        #expect(try run(1) != run(2))
    }

    @Test func endTokenFinishesWithoutBeingEmitted() throws {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write()))
        var firstID: Int32 = -1
        _ = try TextGenerator(model: model, tokenizer: nil, endTokens: [])
            .generate(promptTokens: [1, 2], parameters: .greedy(maxTokens: 1)) { if case .token(let id, _) = $0 { firstID = id } }
        var events: [GenerationEvent] = []
        let summary = try TextGenerator(model: model, tokenizer: nil, endTokens: [firstID])
            .generate(promptTokens: [1, 2], parameters: .greedy(maxTokens: 10)) { events.append($0) }
        #expect(summary.finishReason == .endOfSequence && summary.completionTokenCount == 0)
        #expect(Self.ids(events).isEmpty)
    }

    @Test func stopSequenceEndsGenerationAndIsNotEmitted() throws {
        let generator = try Self.generator()
        let (full, _) = try Self.collect(generator, [5, 6], .greedy(maxTokens: 12))
        let text = CharacterTokenizer().decode(Self.ids(full))
        let stop = String(text.dropFirst(4).prefix(2))
        var parameters = SamplingParameters.greedy(maxTokens: 12)
        parameters.stopSequences = [stop]
        let (events, summary) = try Self.collect(generator, [5, 6], parameters)
        let emitted = events.map { event -> String in
            switch event {
            case .token(_, let text), .text(let text): text
            case .finished, .logprobs: ""
            }
        }.joined()
        #expect(summary.finishReason == .stopSequence)
        #expect(emitted == String(text[..<text.firstRange(of: stop)!.lowerBound]))
        #expect(summary.text == emitted)
    }

    @Test func stopMatcherHoldsBackPossiblePrefixes() {
        var matcher = StopSequenceMatcher(stops: ["END"])
        #expect(matcher.append("abcE").text == "abc")
        #expect(matcher.append("x").text == "Ex")
        #expect(matcher.append("EN") == (text: "", stopped: false))
        #expect(matcher.append("D and more") == (text: "", stopped: true))
        #expect(matcher.emitted == "abcEx")
    }

    @Test func streamingDetokenizerNeverSplitsACharacter() {
        /// Decodes each id as one byte of UTF-8, like byte-level BPE tokens.
        struct ByteTokenizer: TextTokenizer {
            func encode(_ text: String) throws -> [Int32] { text.utf8.map { Int32($0) } }
            func decode(_ ids: [Int32]) -> String { String(decoding: ids.map { UInt8($0) }, as: UTF8.self) }
        }
        var detokenizer = StreamingDetokenizer(tokenizer: ByteTokenizer())
        let text = "é👋a"
        let pieces = text.utf8.map { detokenizer.append(Int32($0)) } + [detokenizer.flush()]
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.unicodeScalars.contains("\u{FFFD}") })
    }

    @Test func containerStreamsAndServesConcurrentRequestsDeterministically() async throws {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write()))
        let container = ModelContainer(model: model, tokenizer: CharacterTokenizer())
        let parameters = SamplingParameters(temperature: 1, seed: 99, maxTokens: 8)
        let results = try await withThrowingTaskGroup(of: [Int32].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var ids: [Int32] = []
                    for try await event in container.generate(prompt: "HELLO", parameters: parameters) {
                        if case .token(let id, _) = event { ids.append(id) }
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4 && results.allSatisfy { $0 == results[0] && $0.count == 8 })
    }

    @Test func missingModelExplainsHowToInstall() {
        let error = #expect(throws: InferenceError.self) {
            try ModelLocator(directory: TempFiles.directory + "/nowhere").path(for: "smollm2")
        }
        #expect(error?.code == .modelNotFound)
        #expect(error?.message.contains(ModelLocator.installCommand) == true)
    }
}
