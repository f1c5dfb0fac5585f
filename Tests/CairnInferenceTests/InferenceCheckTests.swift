import Testing
import Foundation
@testable import CairnInference

/// The teacher-forced check on the real SmolLM2: honest outputs of this engine pass at temperatures 0, 0.7 and 1,
/// and the cheats fail: random text, an answer to another prompt replayed, a temperature other than the one claimed,
/// greedy output passed off as sampled, inflated billing, a stop claimed mid-sentence.
@Suite(.serialized) struct InferenceCheckTests {
    static let prompts = [
        "Here is a short story about a robot who learns to paint:",
        "Water boils at 100 degrees Celsius because",
        "The three primary colors are",
    ]

    static func verifier() throws -> (InferenceVerifier, TextGenerator) {
        let file = try RealModels.file.get()
        let tokenizer = try #require(try LanguageModelLoader.tokenizer(for: file))
        let model = try LlamaModel(file: file)
        return (try InferenceVerifier(model: model, tokenizer: tokenizer), TextGenerator(model: model, tokenizer: tokenizer))
    }

    static func generate(_ g: TextGenerator, _ prompt: [Int32], temperature: Float, seed: UInt64, tokens: Int = 32) throws -> [Int32] {
        var ids: [Int32] = []
        _ = try g.generate(promptTokens: prompt, parameters: SamplingParameters(temperature: temperature, seed: seed, maxTokens: tokens)) { event in
            if case let .token(id, _) = event { ids.append(id) }
        }
        return ids
    }

    @Test func honestOutputsPassAndCheatsFail() throws {
        let (v, g) = try Self.verifier()
        var lines: [String] = []
        func record(_ what: String, _ verdict: InferenceCheck.Verdict) {
            lines.append("\(what): \(verdict.verdict) tokens \(verdict.tokens) mismatches \(verdict.mismatches) z \(verdict.zScore.map { String(format: "%.2f", $0) } ?? "-") — \(verdict.reason)")
        }
        var answers: [[Int32]] = []
        for (i, text) in Self.prompts.enumerated() {
            let prompt = try v.promptTokens(text, chat: false)
            let greedy = try Self.generate(g, prompt, temperature: 0, seed: 0)
            answers.append(greedy)
            let honest = try v.check(promptTokens: prompt, outputTokens: greedy, claim: .init(temperature: 0, billedTokens: greedy.count))
            record("honest greedy \(i)", honest)
            #expect(honest.passed, "\(honest)")
            // (Generation is the slow part of this test in a debug build: one sample per prompt, at 0.7 or 1.)
            for t: Float in [i % 2 == 0 ? 0.7 : 1.0] {
                for seed: UInt64 in [1] {
                    let sampled = try Self.generate(g, prompt, temperature: t, seed: seed + UInt64(i) * 10)
                    let verdict = try v.check(promptTokens: prompt, outputTokens: sampled, claim: .init(temperature: t))
                    record("honest T=\(t) seed \(seed) \(i)", verdict)
                    #expect(verdict.passed, "prompt \(i) T=\(t) seed \(seed): \(verdict)")
                }
            }
            // Greedy output passed off as sampled at temperature 1.
            let posing = try v.check(promptTokens: prompt, outputTokens: greedy, claim: .init(temperature: 1.0))
            record("greedy claimed T=1 \(i)", posing)
            #expect(!posing.passed, "greedy output passed as sampled at 1.0: \(posing)")
            // Hotter sampling than claimed.
            if i == 0 {
                let hot = try Self.generate(g, prompt, temperature: 1.5, seed: 7 + UInt64(i))
                let hotVerdict = try v.check(promptTokens: prompt, outputTokens: hot, claim: .init(temperature: 0.7))
                record("T=1.5 claimed 0.7 \(i)", hotVerdict)
                #expect(!hotVerdict.passed, "sampling at 1.5 passed as 0.7: \(hotVerdict)")
            }
            // Random tokens.
            var rng = Xoshiro256(seed: 99 + UInt64(i))
            let random = (0..<32).map { _ in Int32(rng.next() % 40_000) + 100 }
            for t: Float in [0, 0.7] {
                let verdict = try v.check(promptTokens: prompt, outputTokens: random, claim: .init(temperature: t))
                record("random T=\(t) \(i)", verdict)
                #expect(!verdict.passed, "random text passed at \(t)")
            }
            // Billing twice the tokens.
            let billed = try v.check(promptTokens: prompt, outputTokens: greedy, claim: .init(temperature: 0, billedTokens: greedy.count * 2))
            #expect(!billed.passed && billed.reason.contains("billing"), "\(billed)")
        }
        // Each answer replayed for the next prompt.
        for i in 0..<Self.prompts.count {
            let prompt = try v.promptTokens(Self.prompts[(i + 1) % Self.prompts.count], chat: false)
            let verdict = try v.check(promptTokens: prompt, outputTokens: answers[i], claim: .init(temperature: 0))
            record("replayed \(i)", verdict)
            #expect(!verdict.passed, "an answer to prompt \(i) passed for prompt \((i + 1) % Self.prompts.count)")
        }
        // A stop claimed in the middle of a greedy answer, where the model would not have ended.
        let prompt = try v.promptTokens(Self.prompts[0], chat: false)
        let cut = try v.check(promptTokens: prompt, outputTokens: Array(answers[0].prefix(10)), claim: .init(temperature: 0, finishReason: "stop"))
        record("stop claimed after 10 tokens", cut)
        #expect(!cut.passed && cut.reason.contains("finish"), "\(cut)")
        print(lines.joined(separator: "\n"))
    }
}
