/// A `Sendable` home for one loaded language model that serves concurrent requests together.
///
/// Generations go to a ``BatchScheduler``: every running request decodes one token per step in one batch, new
/// requests join between steps, and each has its own KV cache, so a request's output is what it would be alone.
/// Tokens stream out through an `AsyncThrowingStream`.
public actor ModelContainer {
    private let generator: TextGenerator
    private let scheduler: BatchScheduler

    /// Takes ownership of `model` and its tokenizer; `limits` bound the requests running at once.
    public init(model: sending LlamaModel, tokenizer: (any TextTokenizer)?, limits: BatchLimits = BatchLimits()) {
        let generator = TextGenerator(model: model, tokenizer: tokenizer)
        self.generator = generator
        scheduler = BatchScheduler(generator: generator, limits: limits)
        self.tokenizer = tokenizer
    }

    deinit { scheduler.stop() }

    /// The model's hyperparameters.
    public var config: LlamaConfig { generator.model.config }

    /// The tokenizer, if the container has one.
    public nonisolated let tokenizer: (any TextTokenizer)?

    /// The limits of the running set.
    public nonisolated var limits: BatchLimits { scheduler.limits }

    /// What the scheduler is doing now: running and waiting requests, memory, tokens generated.
    public nonisolated var status: BatchStatus { scheduler.status }

    /// The memory one more running request of `positions` positions (prompt and completion) takes.
    public nonisolated func memory(positions: Int) -> Int { scheduler.memory(positions: positions) }

    /// Streams the continuation of `prompt` (text, tokenized by the container's tokenizer).
    public nonisolated func generate(prompt: String, parameters: SamplingParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        guard let tokenizer else {
            return AsyncThrowingStream { $0.finish(throwing: InferenceError(.invalidRequest, "this model has no tokenizer for text prompts")) }
        }
        let tokens: [Int32]
        do { tokens = try tokenizer.encode(prompt) } catch { return AsyncThrowingStream { $0.finish(throwing: error) } }
        return generate(promptTokens: tokens, parameters: parameters)
    }

    /// Streams the continuation of `promptTokens`.
    public nonisolated func generate(promptTokens: [Int32], parameters: SamplingParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            scheduler.submit(promptTokens: promptTokens, parameters: parameters, continuation: continuation)
        }
    }

    /// Streams `choices.count` continuations of `promptTokens`, one per sampling parameters (the choices of one
    /// request): the prompt is evaluated once for all of them, and each decodes on its own.
    public nonisolated func generate(promptTokens: [Int32], choices: [SamplingParameters]) -> [AsyncThrowingStream<GenerationEvent, any Error>] {
        let pairs = choices.map { ($0, AsyncThrowingStream<GenerationEvent, any Error>.makeStream()) }
        scheduler.submit(promptTokens: promptTokens, choices: pairs.map { (parameters: $0.0, continuation: $0.1.continuation) })
        return pairs.map(\.1.stream)
    }

    /// Generates to the end and returns the summary (with the full text), without streaming, with the model to itself.
    public func complete(promptTokens: [Int32], parameters: SamplingParameters) throws -> GenerationSummary {
        try scheduler.exclusive { try generator.generate(promptTokens: promptTokens, parameters: parameters) { _ in } }
    }

    /// Runs `body` with exclusive access to the model (for benchmarks and tests), between two batched steps.
    public func withModel<T: Sendable>(_ body: (LlamaModel) throws -> T) rethrows -> T {
        try scheduler.exclusive { try body(generator.model) }
    }
}
