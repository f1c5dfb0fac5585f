#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The synchronous generation loop: prefill, then sample and decode until a stop condition.
///
/// Not thread-safe; ``ModelContainer`` owns one and serialises requests.
public final class TextGenerator {
    /// The model generating tokens.
    public let model: LlamaModel
    /// The tokenizer for text prompts and streamed text; without one, events carry ids and empty text.
    public let tokenizer: (any TextTokenizer)?
    /// Token ids that end generation (EOS and end-of-turn tokens).
    public let endTokens: Set<Int32>
    /// The token used to start an empty prompt.
    public let bosToken: Int32?

    /// Creates a generator; end tokens default to the file's EOS plus `<|endoftext|>` / `<|im_end|>` if present.
    public init(model: LlamaModel, tokenizer: (any TextTokenizer)?, endTokens: Set<Int32>? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        let file = model.weights.file
        bosToken = file.bosTokenID
        if let endTokens {
            self.endTokens = endTokens
        } else {
            var ends = Set<Int32>()
            if let eos = file.eosTokenID { ends.insert(eos) }
            if let tokens = file.tokenizerTokens {
                for name in ["<|endoftext|>", "<|im_end|>", "<|eot_id|>"] {
                    if let i = tokens.firstIndex(of: name) { ends.insert(Int32(i)) }
                }
            }
            self.endTokens = ends
        }
    }

    /// Tokenizes `prompt` and generates; see ``generate(promptTokens:parameters:isCancelled:emit:)``.
    public func generate(
        prompt: String, parameters: SamplingParameters, isCancelled: () -> Bool = { false },
        emit: (GenerationEvent) -> Void
    ) throws -> GenerationSummary {
        guard let tokenizer else { throw InferenceError(.invalidRequest, "this model has no tokenizer for text prompts") }
        return try generate(promptTokens: try tokenizer.encode(prompt), parameters: parameters, isCancelled: isCancelled, emit: emit)
    }

    /// Generates a continuation of `promptTokens`, calling `emit` for every token and finally with the summary.
    ///
    /// An empty prompt starts from the BOS token. Generation restarts the KV cache at position 0.
    /// - Throws: `.invalidRequest` for invalid parameters, an empty prompt without BOS, or a prompt that does
    ///   not fit the context (at least one position must remain for generation).
    public func generate(
        promptTokens: [Int32], parameters: SamplingParameters, isCancelled: () -> Bool = { false },
        emit: (GenerationEvent) -> Void
    ) throws -> GenerationSummary {
        try parameters.validate()
        var prompt = promptTokens
        if prompt.isEmpty {
            guard let bosToken else { throw InferenceError(.invalidRequest, "empty prompt and the model has no BOS token") }
            prompt = [bosToken]
        }
        guard prompt.count < model.contextLength else {
            throw InferenceError(
                .invalidRequest, "prompt of \(prompt.count) tokens does not fit the context of \(model.contextLength) tokens")
        }
        if parameters.maxTokens == 0 {
            let summary = GenerationSummary(promptTokenCount: prompt.count, completionTokenCount: 0, finishReason: .length)
            emit(.finished(summary))
            return summary
        }
        let start = Self.now()
        try model.prefill(tokens: prompt)
        let prefillSeconds = Self.now() - start
        var sampler = Sampler(parameters: parameters, vocabularySize: model.config.vocabularySize)
        var detokenizer = tokenizer.map { StreamingDetokenizer(tokenizer: $0) }
        var stops = StopSequenceMatcher(stops: parameters.stopSequences)
        var history = prompt
        history.reserveCapacity(prompt.count + parameters.maxTokens)
        var reason = FinishReason.length
        var generated = 0
        let logits = UnsafeMutableBufferPointer(mutating: model.logits)
        while generated < parameters.maxTokens {
            if isCancelled() {
                reason = .cancelled
                break
            }
            // The sampler may change the logits (the repetition penalty): log-probabilities are read from a copy.
            let before = parameters.logprobs == nil ? nil : Array(logits)
            let token = sampler.sample(logits: logits, history: history[...])
            if endTokens.contains(token) {
                reason = .endOfSequence
                break
            }
            history.append(token)
            generated += 1
            let piece = detokenizer?.append(token) ?? ""
            let (text, stopped) = stops.append(piece)
            if let before, let k = parameters.logprobs {
                emit(.logprobs(before.withUnsafeBufferPointer { TokenLogprobs.measure($0, token: token, k: k) }))
            }
            emit(.token(id: token, text: text))
            if stopped {
                reason = .stopSequence
                break
            }
            if generated == parameters.maxTokens { break }
            guard history.count < model.contextLength else {
                reason = .contextFull
                break
            }
            try model.decode(token: token, position: history.count - 1)
        }
        if reason != .stopSequence {
            let (text, stopped) = stops.append(detokenizer?.flush() ?? "")
            let tail = text + (stopped ? "" : stops.finish())
            if stopped { reason = .stopSequence }
            if !tail.isEmpty { emit(.text(tail)) }
        }
        let summary = GenerationSummary(
            promptTokenCount: prompt.count, completionTokenCount: generated, finishReason: reason,
            prefillSeconds: prefillSeconds, decodeSeconds: Self.now() - start - prefillSeconds, text: stops.emitted)
        emit(.finished(summary))
        return summary
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
