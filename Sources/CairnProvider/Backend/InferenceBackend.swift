public import CairnWire
public import CairnPrimitives
public import CairnMarket
public import CairnInference

/// A model as a provider serves it: the name clients ask for, its registry entry, its price and its context.
public struct ServedModel: Sendable, Equatable {
    /// The name in `model` fields of requests and in `/v1/models`.
    public var name: String
    /// The price, whose `modelID` is the model's id in the chain's registry.
    public var price: ModelPrice
    /// The most tokens of prompt plus completion (or of one embedding input).
    public var contextLength: Int
    /// Whether the model writes text (chat and completions).
    public var generates: Bool
    /// Whether the model embeds text.
    public var embeds: Bool
    /// Other names requests may use (the operator's local name of the model).
    public var aliases: [String]
    /// The hash of the weights file served (the registry entry's), which receipts carry.
    public var weightsHash: Hash

    /// The model's id in the chain's registry.
    public var modelID: UInt64 { price.modelID }

    public init(name: String, price: ModelPrice, contextLength: Int, generates: Bool, embeds: Bool, aliases: [String] = [],
                weightsHash: Hash = .zero) {
        self.name = name
        self.price = price
        self.contextLength = contextLength
        self.generates = generates
        self.embeds = embeds
        self.aliases = aliases
        self.weightsHash = weightsHash
    }

    /// Whether a request's `model` names this model.
    public func answers(to requested: String) -> Bool { requested == name || aliases.contains(requested) }

    /// Completion tokens allowed when a request does not set `max_tokens`.
    public static let defaultMaxTokens = 256
}

/// A request to write text: a chat or a plain prompt, and how to sample.
public struct GenerationRequest: Sendable, Equatable {
    /// What the model continues.
    public enum Prompt: Sendable, Equatable {
        /// Chat messages, rendered with the model's chat template.
        case chat([ChatMessage])
        /// Raw text, continued as is.
        case text(String)
    }

    public var model: ServedModel
    public var prompt: Prompt
    /// The most tokens to generate (nil: ``ServedModel/defaultMaxTokens`` or what the context leaves).
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var seed: UInt64?
    /// Generation stops before any of these texts.
    public var stop: [String]
    /// nil: no log-probabilities; k: each token's and the k most likely of its step.
    public var logprobs: Int?
    /// Choices to generate for the one prompt (choice i > 0 is sampled with seed + i); billed together.
    public var n: Int = 1
    /// The grammar the output must follow (`response_format` of type `json_object` or `json_schema`).
    public var grammar: Grammar?

    public init(model: ServedModel, prompt: Prompt, maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil,
                seed: UInt64? = nil, stop: [String] = [], logprobs: Int? = nil) {
        self.model = model
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.logprobs = logprobs
    }
}

/// A generation checked and measured before it runs: what it may cost at most is known from here.
public struct PreparedGeneration: Sendable {
    public var request: GenerationRequest
    /// The prompt's tokens: exact for the built-in engine, an upper bound for an external server.
    public var promptTokens: Int
    /// The most completion tokens the backend will generate.
    public var maxTokens: Int
    /// The prompt as token ids, when the backend tokenized it.
    package var tokens: [Int32]?

    package init(request: GenerationRequest, promptTokens: Int, maxTokens: Int, tokens: [Int32]? = nil) {
        self.request = request
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.tokens = tokens
    }

    /// The highest cost the request can reach: every prompt token and `maxTokens` completion tokens priced.
    public var maxCost: Amount {
        request.model.price.cost(promptTokens: TokenCount.clamp(promptTokens), completionTokens: TokenCount.clamp(maxTokens * request.n),
                                 embeddingTokens: 0)
    }
}

/// What a generation streams: text pieces, then the metered end.
public enum GenerationOutput: Sendable, Equatable {
    /// Newly generated text.
    case text(String)
    /// The log-probabilities of the next generated token (only when the request asked for them; before its text).
    case logprobs(TokenLogprob)
    /// The end: token counts as the backend metered them and why it stopped.
    case finished(GenerationUsage)
}

/// A finished generation's token counts and stop reason (OpenAI's `stop` or `length`).
public struct GenerationUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var finishReason: String
    /// The completion's token ids, when the backend knows them (this engine does; an external server does not say).
    public var tokenIDs: [Int32]?
    /// Prompt tokens taken from an earlier request's kept prompt rather than evaluated (counted in ``promptTokens``
    /// too), when the backend says.
    public var cachedPromptTokens: Int?

    public init(promptTokens: Int, completionTokens: Int, finishReason: String, tokenIDs: [Int32]? = nil, cachedPromptTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.finishReason = finishReason
        self.tokenIDs = tokenIDs
        self.cachedPromptTokens = cachedPromptTokens
    }
}

/// A request to embed texts.
public struct EmbeddingRequest: Sendable, Equatable {
    public var model: ServedModel
    public var inputs: [String]

    public init(model: ServedModel, inputs: [String]) {
        self.model = model
        self.inputs = inputs
    }
}

/// An embedding request checked and measured before it runs.
public struct PreparedEmbedding: Sendable {
    public var request: EmbeddingRequest
    /// The inputs' tokens: exact for the built-in engine, an upper bound for an external server.
    public var tokens: Int

    package init(request: EmbeddingRequest, tokens: Int) {
        self.request = request
        self.tokens = tokens
    }

    /// The highest cost the request can reach.
    public var maxCost: Amount {
        request.model.price.cost(promptTokens: 0, completionTokens: 0, embeddingTokens: TokenCount.clamp(tokens))
    }
}

/// Embedding vectors in input order and the tokens metered.
public struct EmbeddingResult: Sendable, Equatable {
    public var vectors: [[Float]]
    public var tokens: Int

    public init(vectors: [[Float]], tokens: Int) {
        self.vectors = vectors
        self.tokens = tokens
    }
}

/// Where inference runs: the built-in engine or an external OpenAI-compatible server.
///
/// A request is prepared first (checked against the context, its tokens counted or bounded) so the payment gate
/// knows its highest cost before any work is done; then it runs and reports what it metered.
public protocol InferenceBackend: Sendable {
    /// The models served, by name.
    var models: [ServedModel] { get }
    /// Checks a generation and measures its prompt.
    /// - Throws: `ProviderError` `.contextLengthExceeded` or `.invalidRequest`.
    func prepare(_ request: GenerationRequest) async throws -> PreparedGeneration
    /// Runs a prepared generation, streaming text and finishing with the metered usage.
    func generate(_ prepared: PreparedGeneration) -> AsyncThrowingStream<GenerationOutput, any Error>
    /// Runs the choices of one request (the same prompt, each with its own seed), one stream each; a backend that can
    /// evaluates their prompt once.
    func generate(choices: [PreparedGeneration]) -> [AsyncThrowingStream<GenerationOutput, any Error>]
    /// Checks an embedding request and measures its inputs.
    func prepare(_ request: EmbeddingRequest) async throws -> PreparedEmbedding
    /// Embeds the inputs of a prepared request.
    func embed(_ prepared: PreparedEmbedding) async throws -> EmbeddingResult
    /// The backend's own figures in the Prometheus text format (empty when it keeps none).
    func metrics() -> String
    /// How many requests for `model` the backend runs at once (1 when it cannot say).
    func capacity(of model: ServedModel) -> Int
}

extension InferenceBackend {
    public func generate(choices: [PreparedGeneration]) -> [AsyncThrowingStream<GenerationOutput, any Error>] { choices.map(generate) }
    public func metrics() -> String { "" }
    public func capacity(of model: ServedModel) -> Int { 1 }
}

/// Token counts as receipts carry them.
enum TokenCount {
    static func clamp(_ count: Int) -> UInt32 { UInt32(clamping: max(0, count)) }
}
