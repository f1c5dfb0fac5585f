import CairnTestSupport
import Foundation
import Testing
@testable import CairnInference

/// The cheaper models a dishonest provider could serve, made from the real SmolLM2: they load and generate, and the
/// check run with the real model fails their greedy answers.
@Suite struct DegradedModelTests {
    struct Outcome: Sendable {
        var layers: (original: Int, degraded: Int)
        var highestLevel: UInt8
        var verdicts: [String: InferenceCheck.Verdict]
        var honest: InferenceCheck.Verdict
    }

    static func run() throws -> Outcome {
        let file = try RealModels.file.get()
        guard let tokenizer = try LanguageModelLoader.tokenizer(for: file) else { throw InferenceError(.invalidRequest, "no tokenizer") }
        let verifier = try InferenceVerifier(model: try LlamaModel(file: file), tokenizer: tokenizer)
        let prompt = try verifier.promptTokens("Explain photosynthesis in one sentence.", chat: true)
        func greedyAnswer(_ model: LlamaModel) throws -> [Int32] {
            try InferenceCheckTests.generate(TextGenerator(model: model, tokenizer: tokenizer), prompt, temperature: 0, seed: 0)
        }
        let original = try LlamaConfig(file: file).layerCount
        let withoutTwo = try GGUFCorruptFileTests.parse(try DegradedModel.withoutLayers(file, removing: [14, 15]), "without-layers.gguf")
        let twoBits = try GGUFCorruptFileTests.parse(try DegradedModel.requantized(file, bits: 2), "two-bits.gguf")
        var highest: UInt8 = 0
        for tensor in twoBits.tensors where tensor.type == .q4_1 {
            let data = UnsafeRawBufferPointer(start: twoBits.data(of: tensor), count: tensor.byteCount)
            for b in 0..<tensor.byteCount / 20 {
                for j in 4..<20 { highest = max(highest, data[20 * b + j] & 0x0F, data[20 * b + j] >> 4) }
            }
        }
        var verdicts: [String: InferenceCheck.Verdict] = [:]
        for (name, degraded) in [("two middle layers removed", withoutTwo), ("weights at 2 bits", twoBits)] {
            let answer = try greedyAnswer(try LlamaModel(file: degraded))
            verdicts[name] = try verifier.check(promptTokens: prompt, outputTokens: answer, claim: .init(temperature: 0), chat: true)
        }
        let honest = try verifier.check(promptTokens: prompt, outputTokens: try greedyAnswer(try LlamaModel(file: file)),
                                        claim: .init(temperature: 0), chat: true)
        return Outcome(layers: (original, try LlamaConfig(file: withoutTwo).layerCount), highestLevel: highest, verdicts: verdicts, honest: honest)
    }

    @Test func degradedModelsLoadAndTheirAnswersFailTheCheck() async throws {
        let outcome = try await onOwnThread { try Self.run() }
        #expect(outcome.layers.degraded == outcome.layers.original - 2)
        #expect(outcome.highestLevel == 3)  // 2 bits: levels 0 to 3 only
        #expect(outcome.honest.passed, "\(outcome.honest)")
        for (name, verdict) in outcome.verdicts {
            #expect(!verdict.passed, "\(name): \(verdict)")
            #expect(verdict.reason.contains("greedy"), "\(name): \(verdict.reason)")
        }
    }

    @Test func refusesWhatItCannotMake() throws {
        let file = try RealModels.file.get()
        #expect(throws: InferenceError.self) { try DegradedModel.requantized(file, bits: 4) }
        #expect(throws: InferenceError.self) { try DegradedModel.withoutLayers(file, removing: Set(0..<30)) }
        #expect(throws: InferenceError.self) { try DegradedModel.withoutLayers(file, removing: [30]) }
        #expect(throws: InferenceError.self) { try DegradedModel.withoutLayers(file, removing: []) }
    }
}
