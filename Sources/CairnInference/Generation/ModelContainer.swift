/// A `Sendable` home for one loaded language model that serves concurrent requests one at a time.
///
/// Requests queue on the actor; each runs to completion (or cancellation) before the next starts, so the
/// model's single KV cache is never shared. Tokens stream out through an `AsyncThrowingStream`.
public actor ModelContainer {
    private let generator: TextGenerator

    /// Takes ownership of `model` and its tokenizer.
    public init(model: sending LlamaModel, tokenizer: (any TextTokenizer)?) {
        generator = TextGenerator(model: model, tokenizer: tokenizer)
        self.tokenizer = tokenizer
    }

    /// The model's hyperparameters.
    public var config: LlamaConfig { generator.model.config }

    /// The tokenizer, if the container has one.
    public nonisolated let tokenizer: (any TextTokenizer)?

    /// Streams the continuation of `prompt` (text, tokenized by the container's tokenizer).
    public nonisolated func generate(prompt: String, parameters: SamplingParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        stream { generator, isCancelled, emit in
            try generator.generate(prompt: prompt, parameters: parameters, isCancelled: isCancelled, emit: emit)
        }
    }

    /// Streams the continuation of `promptTokens`.
    public nonisolated func generate(promptTokens: [Int32], parameters: SamplingParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        stream { generator, isCancelled, emit in
            try generator.generate(promptTokens: promptTokens, parameters: parameters, isCancelled: isCancelled, emit: emit)
        }
    }

    /// Generates to the end and returns the summary (with the full text), without streaming.
    public func complete(promptTokens: [Int32], parameters: SamplingParameters) throws -> GenerationSummary {
        try generator.generate(promptTokens: promptTokens, parameters: parameters) { _ in }
    }

    /// Runs `body` with exclusive access to the model (for benchmarks and tests).
    public func withModel<T: Sendable>(_ body: (LlamaModel) throws -> T) rethrows -> T {
        try body(generator.model)
    }

    private nonisolated func stream(
        _ body: @escaping @Sendable (TextGenerator, () -> Bool, (GenerationEvent) -> Void) throws -> GenerationSummary
    ) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                await self.run(body, continuation: continuation)
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func run(
        _ body: @Sendable (TextGenerator, () -> Bool, (GenerationEvent) -> Void) throws -> GenerationSummary,
        continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    ) {
        do {
            _ = try body(generator, { Task.isCancelled }) { continuation.yield($0) }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }
}
