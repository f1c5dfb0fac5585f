/// How to choose each next token and when to stop.
public struct SamplingParameters: Sendable, Equatable {
    /// Softmax temperature; 0 or less means greedy (always the most likely token).
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; 0 disables the filter.
    public var topK: Int
    /// Keep the smallest set of tokens whose probability reaches `topP`; 1 disables the filter.
    public var topP: Float
    /// Divide positive (multiply negative) logits of recently seen tokens by this; 1 disables it.
    public var repetitionPenalty: Float
    /// How many of the most recent tokens (prompt included) the repetition penalty looks at.
    public var repetitionWindow: Int
    /// The random seed; the same seed, input and machine give the same output.
    public var seed: UInt64
    /// The most tokens to generate; 0 generates nothing.
    public var maxTokens: Int
    /// Generation stops when the text produced contains one of these; the stop text itself is not emitted.
    public var stopSequences: [String]
    /// nil: no log-probabilities. k: each generated token's log-probability under the model's own distribution (before
    /// temperature and filters) and the k most likely tokens at its step, at most ``maxTopLogprobs``.
    public var logprobs: Int?
    /// When set, every token is chosen among those the grammar allows next, and the output ends where it may end
    /// (JSON that matches a schema, for `response_format`).
    public var grammar: Grammar?

    /// The most alternatives ``logprobs`` may ask for (OpenAI's limit).
    public static let maxTopLogprobs = 20

    /// Creates parameters; the defaults are greedy decoding of up to 256 tokens.
    public init(
        temperature: Float = 0, topK: Int = 0, topP: Float = 1, repetitionPenalty: Float = 1,
        repetitionWindow: Int = 64, seed: UInt64 = 0, maxTokens: Int = 256, stopSequences: [String] = [], logprobs: Int? = nil,
        grammar: Grammar? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
        self.maxTokens = maxTokens
        self.stopSequences = stopSequences
        self.logprobs = logprobs
        self.grammar = grammar
    }

    /// Greedy decoding of up to `maxTokens` tokens.
    public static func greedy(maxTokens: Int = 256) -> SamplingParameters {
        SamplingParameters(maxTokens: maxTokens)
    }

    /// Throws `.invalidRequest` for values outside their ranges.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw InferenceError(.invalidRequest, message) }
        }
        try check(temperature.isFinite, "temperature must be finite")
        try check(topK >= 0, "top-k must be at least 0")
        try check(topP > 0 && topP <= 1, "top-p must be in (0, 1]")
        try check(repetitionPenalty > 0 && repetitionPenalty.isFinite, "repetition penalty must be positive")
        try check(repetitionWindow >= 0, "repetition window must be at least 0")
        try check(maxTokens >= 0, "max tokens must be at least 0")
        try check(!stopSequences.contains(""), "stop sequences must not be empty")
        if let k = logprobs { try check((0...Self.maxTopLogprobs).contains(k), "top log-probabilities must be between 0 and \(Self.maxTopLogprobs)") }
    }
}
