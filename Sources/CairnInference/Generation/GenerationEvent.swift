import Foundation

/// One event of a streamed generation.
public enum GenerationEvent: Sendable, Equatable {
    /// A generated token and the text it completed (empty while a character or a possible stop sequence is held).
    case token(id: Int32, text: String)
    /// The log-probabilities of the token the next `.token` event carries (only when the parameters ask for them).
    case logprobs(TokenLogprobs)
    /// Text held back earlier (a partial character or a possible stop-sequence prefix) released at the end.
    case text(String)
    /// The end of generation, with token counts and timings.
    case finished(GenerationSummary)
}

/// Why generation ended.
public enum FinishReason: String, Sendable, Equatable {
    /// `maxTokens` tokens were generated.
    case length
    /// The model produced an end-of-sequence token.
    case endOfSequence
    /// The text produced contained a stop sequence.
    case stopSequence
    /// The KV cache is full.
    case contextFull
    /// The consumer stopped listening.
    case cancelled
}

/// Totals reported at the end of a generation.
public struct GenerationSummary: Sendable, Equatable {
    /// Tokens evaluated as the prompt.
    public var promptTokenCount: Int
    /// Tokens generated (an end-of-sequence token is not counted).
    public var completionTokenCount: Int
    /// Why generation ended.
    public var finishReason: FinishReason
    /// Seconds spent evaluating the prompt (time to first logits).
    public var prefillSeconds: Double
    /// Seconds spent decoding after the prompt.
    public var decodeSeconds: Double
    /// The whole generated text (stop sequence excluded).
    public var text: String
    /// Prompt tokens whose keys and values came from an earlier request's prompt instead of being evaluated again
    /// (OpenAI's `cached_tokens`); counted in ``promptTokenCount`` too.
    public var cachedPromptTokenCount: Int = 0

    /// Creates a summary.
    public init(
        promptTokenCount: Int, completionTokenCount: Int, finishReason: FinishReason,
        prefillSeconds: Double = 0, decodeSeconds: Double = 0, text: String = ""
    ) {
        self.promptTokenCount = promptTokenCount
        self.completionTokenCount = completionTokenCount
        self.finishReason = finishReason
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
        self.text = text
    }
}

/// One generated token's log-probability and the most likely tokens of its step, from the model's logits before
/// temperature, penalties and filters (natural logarithms).
public struct TokenLogprobs: Sendable, Equatable {
    /// One candidate token and its log-probability.
    public struct Candidate: Sendable, Equatable {
        public var id: Int32
        public var logprob: Float

        public init(id: Int32, logprob: Float) {
            self.id = id
            self.logprob = logprob
        }
    }

    /// The generated token.
    public var chosen: Candidate
    /// The most likely tokens of the step, most likely first (ties: lower id first).
    public var top: [Candidate]

    public init(chosen: Candidate, top: [Candidate]) {
        self.chosen = chosen
        self.top = top
    }

    /// The log-softmax of `logits` at `token`, with the `k` most likely candidates.
    public static func measure(_ logits: UnsafeBufferPointer<Float>, token: Int32, k: Int) -> TokenLogprobs {
        var maximum = -Float.infinity
        for v in logits where v > maximum { maximum = v }
        var sum: Double = 0
        for v in logits { sum += Double(expf(v - maximum)) }
        let logNormalizer = maximum + Float(log(sum))
        // The k largest, kept sorted by a small insertion (k is at most 20).
        var top: [Candidate] = []
        top.reserveCapacity(k + 1)
        if k > 0 {
            for (i, v) in logits.enumerated() {
                if top.count == k, let last = top.last, !(v > last.logprob) { continue }
                var at = top.count
                while at > 0, v > top[at - 1].logprob { at -= 1 }
                top.insert(Candidate(id: Int32(i), logprob: v), at: at)
                if top.count > k { top.removeLast() }
            }
        }
        for i in top.indices { top[i].logprob -= logNormalizer }
        let chosen = Candidate(id: token, logprob: logits[Int(token)] - logNormalizer)
        return TokenLogprobs(chosen: chosen, top: top)
    }
}
