import Foundation
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
    private let trieLock = NSLock()
    private var builtTrie: TokenTrie?

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
        let prompt = try checkedPrompt(promptTokens, parameters: parameters)
        if parameters.maxTokens == 0 {
            let summary = GenerationSummary(promptTokenCount: prompt.count, completionTokenCount: 0, finishReason: .length)
            emit(.finished(summary))
            return summary
        }
        return try withoutActuallyEscaping(isCancelled) { isCancelled in
            try withoutActuallyEscaping(emit) { emit in
                let sequence = GenerationSequence(prompt: prompt, parameters: parameters, state: model.state, vocabularySize: model.config.vocabularySize,
                                                  tokenizer: tokenizer, endTokens: endTokens, trie: try trie(for: parameters),
                                                  isCancelled: isCancelled, emit: emit)
                try model.prefill(tokens: prompt, startPosition: 0, hiddenRows: nil, into: model.state)
                sequence.prefillDone()
                while let token = sequence.advance() {
                    try model.decode(token: token, position: sequence.position, into: model.state)
                }
                return sequence.finish()
            }
        }
    }

    /// The vocabulary's trie when `parameters` constrain the output to a grammar (built on first use, then kept).
    func trie(for parameters: SamplingParameters) throws -> TokenTrie? {
        guard parameters.grammar != nil else { return nil }
        guard let tokenizer else { throw InferenceError(.invalidRequest, "constrained output needs the model's tokenizer") }
        trieLock.lock()
        defer { trieLock.unlock() }
        if let builtTrie { return builtTrie }
        let trie = TokenTrie(tokenizer: tokenizer, vocabularySize: model.config.vocabularySize, excluded: endTokens)
        builtTrie = trie
        return trie
    }

    /// `promptTokens` checked for a generation with `parameters`: the parameters valid, an empty prompt replaced by
    /// BOS, and at least one position left in the context.
    func checkedPrompt(_ promptTokens: [Int32], parameters: SamplingParameters) throws -> [Int32] {
        try parameters.validate()
        var prompt = promptTokens
        if prompt.isEmpty {
            guard let bosToken else { throw InferenceError(.invalidRequest, "empty prompt and the model has no BOS token") }
            prompt = [bosToken]
        }
        for token in prompt { try model.checkToken(token) }
        guard prompt.count < model.contextLength else {
            throw InferenceError(
                .invalidRequest, "prompt of \(prompt.count) tokens does not fit the context of \(model.contextLength) tokens")
        }
        return prompt
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
