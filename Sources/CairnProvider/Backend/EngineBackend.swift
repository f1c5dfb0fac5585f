import CairnWire
public import CairnInference
import Foundation

/// The built-in Swift engine: Llama-family chat models (SmolLM2) and sentence-embedding models (MiniLM).
///
/// Token counts come from the engine's own tokenizers, so prompts are measured exactly before they run.
public struct EngineBackend: InferenceBackend {
    /// A model loaded into the engine.
    public enum Engine: Sendable {
        /// A language model with the chat template of its file.
        case language(ModelContainer, ChatTemplate, contextLength: Int)
        /// A sentence-embedding model.
        case embedding(EmbeddingModel)
    }

    struct Entry: Sendable {
        let served: ServedModel
        let engine: Engine
        /// Counts an embedding input's tokens past the model's truncation length, to refuse it rather than truncate.
        let counter: WordPieceTokenizer?
        /// Encodes concurrent embedding requests together.
        let batcher: EmbeddingBatcher?
    }

    let entries: [String: Entry]
    public let models: [ServedModel]

    /// Serves each engine under its model; `served.contextLength` is taken from the engine.
    public init(_ loaded: [(ServedModel, Engine)]) throws {
        var entries: [String: Entry] = [:]
        var models: [ServedModel] = []
        for (served, engine) in loaded {
            var served = served
            var counter: WordPieceTokenizer?
            var batcher: EmbeddingBatcher?
            switch engine {
            case .language(_, _, let context):
                served.contextLength = context
                served.generates = true
                served.embeds = false
            case .embedding(let model):
                served.contextLength = model.tokenizer.maxLength
                served.generates = false
                served.embeds = true
                let vocabulary = model.tokenizer.vocabulary.sorted { $0.value < $1.value }.map(\.key)
                counter = try WordPieceTokenizer(vocabulary: vocabulary, lowercase: true, maxLength: Int(Int32.max))
                batcher = EmbeddingBatcher(model: model)
            }
            guard entries[served.name] == nil else { throw ProviderError(.configuration, "model \(served.name) is listed twice") }
            entries[served.name] = Entry(served: served, engine: engine, counter: counter, batcher: batcher)
            models.append(served)
        }
        self.entries = entries
        self.models = models
    }

    /// Loads a GGUF language model with its tokenizer and chat template (SmolLM2's when the file has none).
    public static func loadLanguageModel(path: String, contextLength: Int? = nil) throws -> Engine {
        let container = try LanguageModelLoader.load(path: path, contextLength: contextLength)
        let file = try GGUFFile(path: path)
        let template = try file.chatTemplate.map { try ChatTemplate(jinja: $0) } ?? ChatTemplate.smolLM2
        // The same default as `LlamaModel`: the trained length, at most 2048 positions.
        let context = try contextLength ?? min(LlamaConfig(file: file).trainedContextLength, 2048)
        return .language(container, template, contextLength: context)
    }

    /// Loads a sentence-transformers folder.
    public static func loadEmbeddingModel(directory: String) throws -> Engine {
        .embedding(try EmbeddingModel(directory: directory))
    }

    func entry(_ model: ServedModel) throws -> Entry {
        guard let entry = entries[model.name] else { throw ProviderError(.invalidRequest, "model \(model.name) is not loaded") }
        return entry
    }

    public func prepare(_ request: GenerationRequest) async throws -> PreparedGeneration {
        let entry = try entry(request.model)
        guard case .language(let container, let template, let context) = entry.engine, let tokenizer = container.tokenizer else {
            throw ProviderError(.invalidRequest, "model \(request.model.name) does not generate text")
        }
        let text = switch request.prompt {
        case .chat(let messages): template.render(messages, addGenerationPrompt: true)
        case .text(let prompt): prompt
        }
        let tokens = try tokenizer.encode(text)
        let promptCount = max(tokens.count, 1)
        // The engine needs one free position after the prompt to generate anything.
        guard promptCount < context else {
            throw ProviderError(.contextLengthExceeded,
                                "this model's maximum context length is \(context) tokens; the prompt has \(promptCount) tokens")
        }
        let maxTokens = request.maxTokens ?? min(ServedModel.defaultMaxTokens, context - promptCount)
        guard promptCount + maxTokens <= context else {
            throw ProviderError(.contextLengthExceeded, "this model's maximum context length is \(context) tokens; the prompt has "
                                + "\(promptCount) tokens and max_tokens asks for \(maxTokens) more")
        }
        return PreparedGeneration(request: request, promptTokens: promptCount, maxTokens: maxTokens, tokens: tokens)
    }

    public func generate(_ prepared: PreparedGeneration) -> AsyncThrowingStream<GenerationOutput, any Error> {
        generate(choices: [prepared])[0]
    }

    /// The choices go to the model's batch together, so their prompt is evaluated once.
    public func generate(choices: [PreparedGeneration]) -> [AsyncThrowingStream<GenerationOutput, any Error>] {
        guard let first = choices.first else { return [] }
        let request = first.request
        guard let entry = entries[request.model.name], case .language(let container, _, _) = entry.engine else {
            return choices.map { _ in
                AsyncThrowingStream { $0.finish(throwing: ProviderError(.invalidRequest, "model \(request.model.name) does not generate text")) }
            }
        }
        let parameters = choices.map { choice in
            let request = choice.request
            return SamplingParameters(
                temperature: Float(request.temperature ?? 1), topP: Float(request.topP ?? 1), seed: request.seed ?? 0,
                maxTokens: choice.maxTokens, stopSequences: request.stop, logprobs: request.logprobs, grammar: request.grammar)
        }
        let streams = container.generate(promptTokens: first.tokens ?? [], choices: parameters)
        return streams.map { Self.outputs($0, tokenizer: container.tokenizer) }
    }

    /// The engine's events as the provider's outputs: text, log-probabilities and the metered usage.
    static func outputs(_ events: AsyncThrowingStream<GenerationEvent, any Error>, tokenizer: (any TextTokenizer)?)
        -> AsyncThrowingStream<GenerationOutput, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var ids: [Int32] = []
                    for try await event in events {
                        switch event {
                        case .token(let id, let text):
                            ids.append(id)
                            if !text.isEmpty { continuation.yield(.text(text)) }
                        case .text(let text):
                            if !text.isEmpty { continuation.yield(.text(text)) }
                        case .logprobs(let measured):
                            func candidate(_ c: TokenLogprobs.Candidate) -> TokenLogprob.Candidate {
                                TokenLogprob.Candidate(bytes: tokenizer?.tokenBytes(c.id) ?? [], logprob: Double(c.logprob))
                            }
                            continuation.yield(.logprobs(TokenLogprob(chosen: candidate(measured.chosen), top: measured.top.map(candidate))))
                        case .finished(let summary):
                            continuation.yield(.finished(GenerationUsage(
                                promptTokens: summary.promptTokenCount, completionTokens: summary.completionTokenCount,
                                finishReason: Self.finishReason(summary.finishReason), tokenIDs: ids,
                                cachedPromptTokens: summary.cachedPromptTokenCount)))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Each language model's batch: running and waiting requests, the memory they hold and its budget, tokens generated,
    /// decode steps and the sequences they carried (their ratio is the mean batch size), and the kept prompts.
    public func metrics() -> String {
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String, _ value: (BatchStatus, BatchLimits) -> Int) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for model in models {
                guard let entry = entries[model.name], case .language(let container, _, _) = entry.engine else { continue }
                lines.append("\(name){model=\"\(model.name)\"} \(value(container.status, container.limits))")
            }
        }
        family("cairn_provider_batch_running", "gauge", "Requests being evaluated or decoded together.") { s, _ in s.running }
        family("cairn_provider_batch_waiting", "gauge", "Requests waiting for room in the batch.") { s, _ in s.waiting }
        family("cairn_provider_batch_max_sequences", "gauge", "The most requests decoded together.") { _, l in l.maxSequences }
        family("cairn_provider_batch_memory_bytes", "gauge", "Memory held by the running requests' caches and activations.") { s, _ in s.memoryInUse }
        family("cairn_provider_batch_memory_budget_bytes", "gauge", "The memory the running requests may hold.") { _, l in l.memoryBudget }
        family("cairn_provider_generated_tokens_total", "counter", "Tokens generated since the model was loaded.") { s, _ in s.generatedTokens }
        family("cairn_provider_decode_steps_total", "counter", "Batched decode steps run.") { s, _ in s.steps }
        family("cairn_provider_decode_step_sequences_total", "counter", "Sequences carried by the decode steps.") { s, _ in s.stepSequences }
        family("cairn_provider_prompt_passes_total", "counter", "Prompt evaluation passes run.") { s, _ in s.promptPasses }
        family("cairn_provider_prompt_pass_sequences_total", "counter", "Prompts carried by the prompt passes.") { s, _ in s.promptSequences }
        family("cairn_provider_kept_prompts", "gauge", "Evaluated prompts kept for later prompts that begin the same way.") { s, _ in s.cachedPrompts }
        family("cairn_provider_kept_prompt_memory_bytes", "gauge", "Memory held by the kept prompts (within the budget).") { s, _ in s.cachedMemory }
        family("cairn_provider_prompt_cache_hits_total", "counter", "Requests that started after a prompt kept or running before them.") { s, _ in
            s.promptCacheHits
        }
        family("cairn_provider_prompt_tokens_cached_total", "counter", "Prompt tokens taken from kept or running prompts instead of evaluated.") { s, _ in
            s.reusedPromptTokens
        }
        family("cairn_provider_shared_prompts_total", "counter", "Choices (n > 1) that took their prompt from the request's first choice.") { s, _ in
            s.sharedPrompts
        }
        family("cairn_provider_prompt_tokens_shared_total", "counter", "Prompt tokens of choices taken from the request's first choice.") { s, _ in
            s.sharedPromptTokens
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// OpenAI's name for why generation ended.
    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .endOfSequence, .stopSequence, .cancelled: "stop"
        case .length, .contextFull: "length"
        }
    }

    public func prepare(_ request: EmbeddingRequest) async throws -> PreparedEmbedding {
        let entry = try entry(request.model)
        guard case .embedding(let model) = entry.engine, let counter = entry.counter else {
            throw ProviderError(.invalidRequest, "model \(request.model.name) does not embed text")
        }
        let limit = model.tokenizer.maxLength
        var total = 0
        for (index, input) in request.inputs.enumerated() {
            // Counting stops one past the limit: enough to refuse, without tokenizing a huge input to its end.
            let count = counter.pieceIDs(input, limit: limit - 1).count + 2
            guard count <= limit else {
                throw ProviderError(.contextLengthExceeded,
                                    "this model's maximum context length is \(limit) tokens; input \(index) is longer")
            }
            total += count
        }
        return PreparedEmbedding(request: request, tokens: total)
    }

    /// A language model's sequence limit (its batch), an embedding model's texts per batch.
    public func capacity(of model: ServedModel) -> Int {
        guard let entry = entries[model.name] else { return 1 }
        switch entry.engine {
        case .language(let container, _, _): return container.limits.maxSequences
        case .embedding: return entry.batcher?.maxTexts ?? 1
        }
    }

    public func embed(_ prepared: PreparedEmbedding) async throws -> EmbeddingResult {
        let entry = try entry(prepared.request.model)
        guard let batcher = entry.batcher else { throw ProviderError(.invalidRequest, "model \(prepared.request.model.name) does not embed text") }
        // Requests that arrive together are encoded together, on the batcher's own thread.
        let vectors = try await batcher.embed(prepared.request.inputs)
        return EmbeddingResult(vectors: vectors, tokens: prepared.tokens)
    }
}
