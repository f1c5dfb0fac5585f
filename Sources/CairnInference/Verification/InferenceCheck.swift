import Foundation

/// The verdict on one job: does the output fit the claimed model and sampling settings?
///
/// Greedy requests (temperature 0): the emitted token must be the model's top choice wherever the choice is clear
/// (the top logit more than `greedyDeficit` above the emitted one). Sampled requests: every token must lie in the set
/// the settings sample from, and the output's log-probability must fit the claimed temperature (a z-score of its sum
/// against the per-step expectations and variances), and a chat answer must be more likely after its own question than
/// after an empty one (its relevance; a replayed answer to another question is not). Billed tokens and the finish reason
/// are checked too. Each verdict also carries the sums ``PooledEvidence`` adds up over a provider's checked jobs, which
/// judges cheats too subtle for one job.
public struct InferenceCheck: Sendable {
    public struct Thresholds: Sendable, Equatable {
        /// A greedy step whose top logit is more than this above the emitted token's is a mismatch.
        public var greedyDeficit: Float
        /// Mismatches a greedy job may have (honest engines disagree only on near ties).
        public var greedyMismatches: Int
        /// Tokens outside the sampled set a sampled job may have (numerics at the set's edge).
        public var outOfSet: Int
        /// A sampled job fails when its log-probability or its count of top tokens lies more than this many standard
        /// deviations above their expectations (sharper sampling than claimed, greedy output)...
        public var zScore: Double
        /// ...or its log-probability more than this many below (hotter sampling, another model or text). A sum of
        /// log-probabilities is skewed towards unlikely tokens, so the lower bound is the wider.
        public var lowZScore: Double
        /// The pooled z bound, applied once a provider has `pooledMinimumJobs` sampled jobs (a sum of log-probabilities is
        /// skewed towards unlikely tokens; pooled over jobs it comes closer to a normal one).
        public var pooledZScore: Double
        public var pooledMinimumJobs: Int
        /// Pooled over at least `pooledMinimumJobs` chat answers, a mean relevance below this fails.
        public var pooledRelevance: Double
        /// A claimed end of sequence less likely than this fails.
        public var endProbability: Double
        /// Billed completion tokens may exceed the re-tokenized count by this share plus 2.
        public var billingSlack: Double
        /// A sampled chat answer whose relevance (nats) is below this fails.
        public var relevance: Double
        /// Greedy steps whose top logit is more than this above the emitted token's count as close mismatches (pooled).
        public var closeDeficit: Float
        /// Close mismatches per greedy token honest engines show (pooled; the allowance grows with the tokens checked).
        public var closeMismatchRate: Double

        public init(greedyDeficit: Float, greedyMismatches: Int, outOfSet: Int, zScore: Double, lowZScore: Double, endProbability: Double,
                    billingSlack: Double,
                    relevance: Double, closeDeficit: Float, closeMismatchRate: Double, pooledZScore: Double, pooledMinimumJobs: Int,
                    pooledRelevance: Double) {
            self.greedyDeficit = greedyDeficit
            self.greedyMismatches = greedyMismatches
            self.outOfSet = outOfSet
            self.zScore = zScore
            self.lowZScore = lowZScore
            self.endProbability = endProbability
            self.billingSlack = billingSlack
            self.relevance = relevance
            self.closeDeficit = closeDeficit
            self.closeMismatchRate = closeMismatchRate
            self.pooledZScore = pooledZScore
            self.pooledMinimumJobs = pooledMinimumJobs
            self.pooledRelevance = pooledRelevance
        }

        /// From measurement (README, "Verified inference").
        /// llama.cpp's honest answers (`scripts/verify-reference.sh`, 1,333 sampled of 2,000) reached z = −4.8 and a relevance
        /// of −7.9, so one job fails only well beyond those; no honest job came near +4.5.
        public static let standard = Thresholds(greedyDeficit: 1.5, greedyMismatches: 0, outOfSet: 1, zScore: 4.5, lowZScore: 6, endProbability: 1e-4,
                                                billingSlack: 0.05, relevance: -20, closeDeficit: 0.5, closeMismatchRate: 0.002,
                                                pooledZScore: 5, pooledMinimumJobs: 5, pooledRelevance: -5)
    }

    /// What the provider claimed beside the output.
    public struct Claim: Sendable, Equatable {
        public var temperature: Float
        public var topK: Int
        public var topP: Float
        /// Completion tokens billed (nil: not checked).
        public var billedTokens: Int?
        /// "stop" (end of sequence) or "length" (nil: not checked).
        public var finishReason: String?
        /// The request's max_tokens, for a "length" finish.
        public var maxTokens: Int?

        public init(temperature: Float, topK: Int = 0, topP: Float = 1, billedTokens: Int? = nil, finishReason: String? = nil, maxTokens: Int? = nil) {
            self.temperature = temperature
            self.topK = topK
            self.topP = topP
            self.billedTokens = billedTokens
            self.finishReason = finishReason
            self.maxTokens = maxTokens
        }
    }

    public struct Verdict: Sendable, Equatable, Codable {
        /// "pass" or "fail".
        public var verdict: String
        /// Output tokens checked.
        public var tokens: Int
        /// Greedy: steps where a clear top choice was not emitted. Sampled: tokens outside the sampled set.
        public var mismatches: Int
        /// Why it failed, or what it passed on.
        public var reason: String
        /// Sampled: the output's log-probability against its expectation, in standard deviations.
        public var zScore: Double?
        /// Σ log p of the output under the claimed settings, and its expectation.
        public var logProbability: Double
        public var expectedLogProbability: Double
        /// The probability of ending right after the output.
        public var endProbability: Double
        /// Sampled chat answers: Σ log p of the output after its question less after an empty question (under the claimed
        /// settings, a token outside the sampled set counting −50).
        public var relevance: Double?
        /// For ``PooledEvidence``: the variance of `logProbability` (sampled), the times the top token was emitted, their
        /// expectation and variance (sampled), and greedy steps with the top more than `closeDeficit` above the emitted.
        public var logProbabilityVariance: Double?
        public var topTokens: Int?
        public var expectedTopTokens: Double?
        public var topVariance: Double?
        public var closeMismatches: Int?

        public var passed: Bool { verdict == "pass" }
    }

    public var thresholds: Thresholds

    public init(thresholds: Thresholds = .standard) { self.thresholds = thresholds }

    /// Σ log p of the emitted tokens, a token outside the sampled set counting −50.
    static func logProbability(_ scores: [PositionScore]) -> Double {
        scores.reduce(0.0) { $0 + ($1.logProbability.isFinite ? $1.logProbability : -50) }
    }

    /// Judges `scores` (from ``TeacherForcedScorer``) against `claim`; `relevance` as ``Verdict/relevance`` (nil: not measured).
    public func judge(_ scores: [PositionScore], endProbability: Double, claim: Claim, relevance: Double? = nil) -> Verdict {
        let t = thresholds
        let logP = Self.logProbability(scores)
        let expected = scores.reduce(0.0) { $0 - $1.entropy }
        let variance = scores.reduce(0.0) { $0 + max($1.secondMoment - $1.entropy * $1.entropy, 0) }
        var verdict = Verdict(verdict: "pass", tokens: scores.count, mismatches: 0, reason: "", zScore: nil, logProbability: logP,
                              expectedLogProbability: expected, endProbability: endProbability)
        var failures: [String] = []
        if claim.temperature <= 0 {
            let misses = scores.enumerated().filter { $0.element.emitted != $0.element.top && $0.element.deficit > t.greedyDeficit }
            verdict.mismatches = misses.count
            verdict.closeMismatches = scores.filter { $0.emitted != $0.top && $0.deficit > t.closeDeficit }.count
            if misses.count > t.greedyMismatches {
                let first = misses[0]
                failures.append("greedy: \(misses.count) of \(scores.count) tokens are not the model's clear top choice "
                                + "(first at token \(first.offset), \(String(format: "%.2f", first.element.deficit)) logits below it)")
            }
        } else {
            let out = scores.enumerated().filter { !$0.element.inSampledSet }
            verdict.mismatches = out.count
            if out.count > t.outOfSet {
                failures.append("sampled: \(out.count) of \(scores.count) tokens lie outside the set the settings sample from "
                                + "(first at token \(out[0].offset))")
            }
            // How often the top token was emitted, against how often sampling at the claimed temperature would emit it:
            // greedy output passed off as sampled emits it every time.
            let tops = scores.filter { $0.emitted == $0.top }.count
            let expectedTops = scores.reduce(0.0) { $0 + $1.topProbability }
            let topVariance = scores.reduce(0.0) { $0 + $1.topProbability * (1 - $1.topProbability) }
            verdict.topTokens = tops
            verdict.expectedTopTokens = expectedTops
            verdict.topVariance = topVariance
            verdict.logProbabilityVariance = variance
            if topVariance > 0 {
                let z = (Double(tops) - expectedTops) / topVariance.squareRoot()
                if z > t.zScore {
                    failures.append("sampled: the top token was emitted \(tops) times of \(scores.count), \(String(format: "%.1f", z)) standard "
                                    + "deviations above the \(String(format: "%.1f", expectedTops)) temperature \(claim.temperature) gives (greedy or sharper sampling)")
                }
            }
            if variance > 0 {
                let z = (logP - expected) / variance.squareRoot()
                verdict.zScore = z
                if z > t.zScore || z < -t.lowZScore {
                    failures.append("sampled: the output's log-probability is \(String(format: "%.1f", z)) standard deviations "
                                    + (z > 0 ? "above what temperature \(claim.temperature) gives (sharper sampling, or greedy)"
                                       : "below what temperature \(claim.temperature) gives (hotter sampling, another model or text)"))
                }
            }
            if let relevance {
                verdict.relevance = relevance
                if relevance < t.relevance {
                    failures.append("sampled: the answer is \(String(format: "%.1f", -relevance)) nats less likely after its question than after "
                                    + "an empty one (an answer to another question)")
                }
            }
        }
        if let billed = claim.billedTokens, Double(billed) > Double(scores.count) * (1 + t.billingSlack) + 2 {
            failures.append("billing: \(billed) completion tokens billed for an output of \(scores.count)")
        }
        switch claim.finishReason {
        case "stop"?:
            if endProbability < t.endProbability {
                failures.append("finish: a stop claimed where the end of sequence had probability \(String(format: "%.2g", endProbability))")
            }
        case "length"?:
            if let max = claim.maxTokens, scores.count + 2 < max {
                failures.append("finish: a length cut claimed after \(scores.count) tokens, under max_tokens \(max)")
            }
        default:
            break
        }
        if failures.isEmpty {
            verdict.reason = claim.temperature <= 0
                ? "every clear greedy choice was emitted"
                : "every token in the sampled set; log-probability \(String(format: "%.1f", verdict.zScore ?? 0)) standard deviations from its expectation"
        } else {
            verdict.verdict = "fail"
            verdict.reason = failures.joined(separator: "; ")
        }
        return verdict
    }
}

/// A model, its tokenizer and a scorer: checks jobs given as text, tokenized as the model's tokenizer does.
public final class InferenceVerifier {
    public let scorer: TeacherForcedScorer
    public let tokenizer: any TextTokenizer
    public let endTokens: Set<Int32>
    public let chatTemplate: ChatTemplate
    public var check: InferenceCheck
    /// The answer's tokens the relevance compares (its first): where an answer to another question shows, at a bounded
    /// cost however long the answer.
    public static let relevanceTokens = 32
    /// An empty user message in the chat template, the context ``InferenceCheck/Verdict/relevance`` compares with.
    public let emptyQuestion: [Int32]

    public init(model: LlamaModel, tokenizer: any TextTokenizer, check: InferenceCheck = InferenceCheck()) throws {
        scorer = TeacherForcedScorer(model: model)
        self.tokenizer = tokenizer
        endTokens = TextGenerator(model: model, tokenizer: tokenizer).endTokens
        chatTemplate = try model.weights.file.chatTemplate.map { try ChatTemplate(jinja: $0) } ?? .smolLM2
        emptyQuestion = try tokenizer.encode(chatTemplate.render([.user("")], addGenerationPrompt: true))
        self.check = check
        // Every relevance pass starts with the empty question: evaluated once, its pass scores only the answer's tokens.
        try scorer.keep(prefix: Array(emptyQuestion.dropLast()))
    }

    /// Loads the model at `path` with its tokenizer, its weights kept in float32 panels where the processor allows
    /// (``FloatPanels``): a check is a short batched pass, which they make about a fifth cheaper, for 425 MB more.
    public convenience init(path: String) throws {
        let file = try GGUFFile(path: path)
        guard let tokenizer = try LanguageModelLoader.tokenizer(for: file) else {
            throw InferenceError(.invalidRequest, "the model at \(path) has no tokenizer")
        }
        try self.init(model: LlamaModel(file: file, keepWeightPanels: true), tokenizer: tokenizer)
    }

    /// The prompt's tokens: raw text as `cairn run` takes it, or one user message in the model's chat template.
    public func promptTokens(_ prompt: String, chat: Bool) throws -> [Int32] {
        if chat { return try tokenizer.encode(chatTemplate.render([.user(prompt)], addGenerationPrompt: true)) }
        return try tokenizer.encode(prompt)
    }

    /// Checks `output` (token ids) after `prompt` (token ids) against `claim`. A sampled `chat` answer is also scored after
    /// an empty question, for its relevance.
    public func check(promptTokens: [Int32], outputTokens: [Int32], claim: InferenceCheck.Claim, chat: Bool = false) throws -> InferenceCheck.Verdict {
        var relevance: Double?
        let scored: (positions: [PositionScore], endProbabilityAfter: Double)
        if chat, claim.temperature > 0, !outputTokens.isEmpty {
            // The answer's first tokens after its question and after an empty one, in one pass.
            let head = Array(outputTokens.prefix(Self.relevanceTokens))
            let both = try scorer.score([(promptTokens, outputTokens), (emptyQuestion, head)], temperature: claim.temperature,
                                        topK: claim.topK, topP: claim.topP, endTokens: endTokens)
            scored = both[0]
            relevance = InferenceCheck.logProbability(Array(both[0].positions.prefix(head.count))) - InferenceCheck.logProbability(both[1].positions)
        } else {
            scored = try scorer.score(prompt: promptTokens, output: outputTokens, temperature: claim.temperature, topK: claim.topK,
                                      topP: claim.topP, endTokens: endTokens)
        }
        return check.judge(scored.positions, endProbability: scored.endProbabilityAfter, claim: claim, relevance: relevance)
    }


    /// Checks `output` text after `prompt` text.
    public func check(prompt: String, chat: Bool, output: String, claim: InferenceCheck.Claim) throws -> InferenceCheck.Verdict {
        try check(promptTokens: try promptTokens(prompt, chat: chat), outputTokens: try tokenizer.encode(output), claim: claim, chat: chat)
    }
}
