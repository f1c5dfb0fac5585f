import CairnTestSupport
import Testing
import Foundation
@testable import CairnInference

/// The teacher-forced check on the real SmolLM2: honest outputs of this engine pass at temperatures 0, 0.7 and 1,
/// and the cheats fail: random text, an answer to another prompt replayed, a temperature other than the one claimed,
/// greedy output passed off as sampled, inflated billing, a stop claimed mid-sentence.
///
/// Generating and checking is compute-bound for a minute in a debug build: it runs on a thread of its own and the
/// expectations are checked after, so it never holds one of the two threads every other test's awaits resume on.
@Suite struct InferenceCheckTests {
    static let prompts = [
        "Here is a short story about a robot who learns to paint:",
        "Water boils at 100 degrees Celsius because",
        "The three primary colors are",
    ]

    /// One checked job: what it was, whether it should pass, and the verdict.
    struct Case: Sendable {
        var label: String
        var shouldPass: Bool
        var verdict: InferenceCheck.Verdict
        var reasonMentions: String?
    }

    static func generate(_ g: TextGenerator, _ prompt: [Int32], temperature: Float, seed: UInt64, tokens: Int = 32) throws -> [Int32] {
        var ids: [Int32] = []
        _ = try g.generate(promptTokens: prompt, parameters: SamplingParameters(temperature: temperature, seed: seed, maxTokens: tokens)) { event in
            if case let .token(id, _) = event { ids.append(id) }
        }
        return ids
    }

    static func cases() throws -> [Case] {
        let file = try RealModels.file.get()
        guard let tokenizer = try LanguageModelLoader.tokenizer(for: file) else { throw InferenceError(.invalidRequest, "no tokenizer") }
        let model = try LlamaModel(file: file)
        let v = try InferenceVerifier(model: model, tokenizer: tokenizer)
        let g = TextGenerator(model: model, tokenizer: tokenizer)
        var out: [Case] = []
        func check(_ label: String, _ prompt: [Int32], _ output: [Int32], _ claim: InferenceCheck.Claim, pass: Bool, mentions: String? = nil) throws {
            out.append(Case(label: label, shouldPass: pass, verdict: try v.check(promptTokens: prompt, outputTokens: output, claim: claim),
                            reasonMentions: mentions))
        }
        var answers: [[Int32]] = []
        for (i, text) in prompts.enumerated() {
            let prompt = try v.promptTokens(text, chat: false)
            let greedy = try generate(g, prompt, temperature: 0, seed: 0)
            answers.append(greedy)
            try check("honest greedy \(i)", prompt, greedy, .init(temperature: 0, billedTokens: greedy.count), pass: true)
            // One sample per prompt, at 0.7 or 1.
            let t: Float = i % 2 == 0 ? 0.7 : 1.0
            try check("honest T=\(t) \(i)", prompt, try generate(g, prompt, temperature: t, seed: 1 + UInt64(i) * 10), .init(temperature: t), pass: true)
            try check("greedy claimed as sampled at 1.0 \(i)", prompt, greedy, .init(temperature: 1.0), pass: false)
            if i == 0 {
                try check("sampled at 1.5 claimed as 0.7", prompt, try generate(g, prompt, temperature: 1.5, seed: 7), .init(temperature: 0.7), pass: false)
            }
            var rng = Xoshiro256(seed: 99 + UInt64(i))
            let random = (0..<32).map { _ in Int32(rng.next() % 40_000) + 100 }
            try check("random T=0 \(i)", prompt, random, .init(temperature: 0), pass: false)
            try check("random T=0.7 \(i)", prompt, random, .init(temperature: 0.7), pass: false)
            try check("billed twice \(i)", prompt, greedy, .init(temperature: 0, billedTokens: greedy.count * 2), pass: false, mentions: "billing")
        }
        for i in 0..<prompts.count {
            let other = try v.promptTokens(prompts[(i + 1) % prompts.count], chat: false)
            try check("answer \(i) replayed for prompt \((i + 1) % prompts.count)", other, answers[i], .init(temperature: 0), pass: false)
        }
        let prompt = try v.promptTokens(prompts[0], chat: false)
        try check("stop claimed after 10 tokens", prompt, Array(answers[0].prefix(10)), .init(temperature: 0, finishReason: "stop"), pass: false,
                  mentions: "finish")
        return out
    }

    /// Pairs scored in one pass get the scores each gets alone (the relevance pass rides along with the check). The
    /// verifier's model keeps its weights in panels, as `InferenceVerifier(path:)` loads it, where each product's sums
    /// do not depend on the other rows of the pass; OpenBLAS's (where there are no panels) may, in the last bits
    /// (up to 0.003 nats after 30 layers on a Zen 3), hence the wider bound there.
    @Test func pairsScoredTogetherMatchEachAlone() async throws {
        try await onOwnThread {
            let file = try RealModels.file.get()
            guard let tokenizer = try LanguageModelLoader.tokenizer(for: file) else { throw InferenceError(.invalidRequest, "no tokenizer") }
            let v = try InferenceVerifier(model: try LlamaModel(file: file, keepWeightPanels: true), tokenizer: tokenizer)
            let bound = FloatPanels.available ? 1e-3 : 1e-2
            let g = TextGenerator(model: try LlamaModel(file: file), tokenizer: tokenizer)
            let first = try v.promptTokens(Self.prompts[0], chat: true), second = try v.promptTokens(Self.prompts[1], chat: true)
            let a = try Self.generate(g, first, temperature: 0.7, seed: 3), b = try Self.generate(g, second, temperature: 0.7, seed: 4, tokens: 20)
            let together = try v.scorer.score([(first, a), (second, b), (v.emptyQuestion, a)], temperature: 0.7, endTokens: v.endTokens)
            for (k, pair) in [(first, a), (second, b), (v.emptyQuestion, a)].enumerated() {
                let alone = try v.scorer.score(prompt: pair.0, output: pair.1, temperature: 0.7, endTokens: v.endTokens)
                #expect(together[k].positions.count == pair.1.count)
                #expect(together[k].positions.map(\.emitted) == alone.positions.map(\.emitted))
                #expect(together[k].positions.map(\.top) == alone.positions.map(\.top))
                for (x, y) in zip(together[k].positions, alone.positions) {
                    #expect(abs(x.logProbability - y.logProbability) < bound && abs(x.entropy - y.entropy) < bound,
                            "pair \(k): \(x.logProbability) against \(y.logProbability), entropy \(x.entropy) against \(y.entropy)")
                }
                #expect(abs(together[k].endProbabilityAfter - alone.endProbabilityAfter) < bound / 10)
            }
        }
    }

    /// The verifier keeps the empty question every relevance pass starts with: a pair after it copies its keys and values,
    /// evaluates only the rest, and gets the scores a scorer that keeps nothing gives (a prompt no longer than the kept
    /// beginning, or another prompt, is evaluated whole).
    @Test func aKeptPrefixGivesTheScoresOfTheWholePrompt() async throws {
        try await onOwnThread {
            let file = try RealModels.file.get()
            guard let tokenizer = try LanguageModelLoader.tokenizer(for: file) else { throw InferenceError(.invalidRequest, "no tokenizer") }
            let v = try InferenceVerifier(model: try LlamaModel(file: file), tokenizer: tokenizer)
            let plain = TeacherForcedScorer(model: try LlamaModel(file: file))
            let g = TextGenerator(model: try LlamaModel(file: file), tokenizer: tokenizer)
            let prompt = try v.promptTokens(Self.prompts[0], chat: true)
            let answer = try Self.generate(g, prompt, temperature: 0.7, seed: 5)
            let prefix = v.emptyQuestion.count - 1
            for (context, reused) in [(v.emptyQuestion, prefix), (prompt, 0), (Array(v.emptyQuestion.dropLast()), 0)] {
                let before = v.scorer.reusedPrefixTokens
                let kept = try v.scorer.score(prompt: context, output: answer, temperature: 0.7, endTokens: v.endTokens)
                #expect(v.scorer.reusedPrefixTokens - before == reused)
                let whole = try plain.score(prompt: context, output: answer, temperature: 0.7, endTokens: v.endTokens)
                #expect(kept.positions.map(\.top) == whole.positions.map(\.top))
                // A prompt evaluated in two pieces rounds differently from one pass, as a conversation's next turn does
                // (0.002 apart at most here).
                let apart = zip(kept.positions, whole.positions).map { max(abs($0.logProbability - $1.logProbability), abs($0.entropy - $1.entropy)) }
                print("kept prefix of \(reused) tokens: log-probabilities and entropies at most \(apart.max() ?? 0) apart")
                #expect(apart.allSatisfy { $0 < 0.01 })
                if reused == 0 { #expect(apart.allSatisfy { $0 == 0 }) }
                #expect(abs(kept.endProbabilityAfter - whole.endProbabilityAfter) < 1e-3)
            }
            #expect(plain.reusedPrefixTokens == 0)
        }
    }

    @Test func honestOutputsPassAndCheatsFail() async throws {
        let cases = try await onOwnThread { try Self.cases() }
        #expect(cases.count == 23)
        for c in cases {
            let v = c.verdict
            #expect(v.passed == c.shouldPass, "\(c.label): \(v)")
            if let word = c.reasonMentions { #expect(v.reason.contains(word), "\(c.label): \(v.reason)") }
        }
        print(cases.map { c in
            "\(c.label): \(c.verdict.verdict) tokens \(c.verdict.tokens) mismatches \(c.verdict.mismatches) z \(c.verdict.zScore.map { String(format: "%.2f", $0) } ?? "-") — \(c.verdict.reason)"
        }.joined(separator: "\n"))
    }
}
