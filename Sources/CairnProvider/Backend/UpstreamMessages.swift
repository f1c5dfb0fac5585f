import CairnWire
// The OpenAI requests and answers exchanged with an external server (only the fields the provider uses).

/// A chat or text completion request, always streamed with usage.
struct UpstreamGeneration: Encodable {
    struct Message: Encodable {
        var role: String
        var content: String
    }

    var model: String
    var messages: [Message]?
    var prompt: String?
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    /// llama.cpp's and vLLM's extensions, sent as 0 (off): their servers otherwise truncate to the top 40 tokens and
    /// drop those under 5% of the top's probability by default, which is not the distribution the OpenAI API defines
    /// for a temperature and top-p (nor the one verifiers check the output against).
    var topK: Int? = 0
    var minP: Double? = 0
    var seed: Int64?
    var stop: [String]?
    var stream = true
    var streamOptions = StreamOptions(includeUsage: true)

    init(model: String, messages: [Message]) {
        self.model = model
        self.messages = messages
    }

    init(model: String, prompt: String) {
        self.model = model
        self.prompt = prompt
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, prompt, temperature, seed, stop, stream
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case streamOptions = "stream_options"
    }
}

/// `usage` as servers report it (completion tokens absent for embeddings).
struct UpstreamUsage: Decodable {
    var promptTokens: Int
    var completionTokens: Int?
    /// `prompt_tokens_details.cached_tokens`, where the server reports it.
    var promptTokensDetails: Details?

    struct Details: Decodable {
        var cachedTokens: Int?

        enum CodingKeys: String, CodingKey {
            case cachedTokens = "cached_tokens"
        }
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }
}

/// One streamed chunk of a chat (`delta.content`) or text (`text`) completion, or an error event.
struct UpstreamChunk: Decodable {
    struct Delta: Decodable { var content: String? }
    struct Choice: Decodable {
        var delta: Delta?
        var text: String?
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case delta, text
            case finishReason = "finish_reason"
        }
    }
    struct Failure: Decodable { var message: String? }

    var choices: [Choice]?
    var usage: UpstreamUsage?
    var error: Failure?
}

/// An embeddings request.
struct UpstreamEmbedding: Encodable {
    var model: String
    var input: [String]
    var encodingFormat = "float"

    enum CodingKeys: String, CodingKey {
        case model, input
        case encodingFormat = "encoding_format"
    }
}

/// An embeddings answer.
struct UpstreamEmbeddingReply: Decodable {
    struct Item: Decodable {
        var index: Int
        var embedding: [Float]
    }

    var data: [Item]
    var usage: UpstreamUsage?
}
