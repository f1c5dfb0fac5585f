/// `stop`: one string or a list of up to four.
public struct StopSequences: Sendable, Equatable, Decodable {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            values = []
        } else if let one = try? c.decode(String.self) {
            values = [one]
        } else {
            values = try c.decode([String].self)
        }
    }
}

/// `stream_options`.
public struct StreamOptions: Sendable, Equatable, Codable {
    /// Send a last chunk with the request's `usage` (and no choices) before `[DONE]`.
    public var includeUsage: Bool?

    public init(includeUsage: Bool?) { self.includeUsage = includeUsage }

    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// A chat message of a request; `content` is a string or a list of text parts.
public struct ChatRequestMessage: Sendable, Equatable, Decodable {
    public var role: String
    /// The text (empty for an assistant message that only calls tools).
    public var content: String
    /// An assistant message's calls of the functions the request offers.
    public var toolCalls: [ToolCall]
    /// A `tool` message: the call it answers.
    public var toolCallID: String?

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    struct Part: Decodable {
        var type: String
        var text: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(String.self, forKey: .role)
        toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls) ?? []
        toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
        if try !c.contains(.content) || c.decodeNil(forKey: .content) {
            content = ""
        } else if let text = try? c.decode(String.self, forKey: .content) {
            content = text
        } else {
            let parts = try c.decode([Part].self, forKey: .content)
            guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                throw DecodingError.dataCorruptedError(forKey: .content, in: c, debugDescription: "only text content parts are supported")
            }
            content = parts.compactMap(\.text).joined()
        }
    }
}

/// A call of a function the request offered: in an assistant message of the request's history, and in a response.
public struct ToolCall: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// The arguments as JSON text (an object).
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    enum CodingKeys: String, CodingKey { case id, type, function }
    enum FunctionKeys: String, CodingKey { case name, arguments }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        let type = try c.decodeIfPresent(String.self, forKey: .type) ?? "function"
        guard type == "function" else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "only function tool calls are supported")
        }
        let f = try c.nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
        name = try f.decode(String.self, forKey: .name)
        arguments = try f.decodeIfPresent(String.self, forKey: .arguments) ?? "{}"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("function", forKey: .type)
        var f = c.nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
        try f.encode(name, forKey: .name)
        try f.encode(arguments, forKey: .arguments)
    }
}

/// The sampling fields shared by chat and text completions.
public protocol SamplingFields {
    var model: String { get }
    var maxTokens: Int? { get }
    var temperature: Double? { get }
    var topP: Double? { get }
    var seed: Int64? { get }
    var stop: StopSequences? { get }
    var n: Int? { get }
    var stream: Bool? { get }
    var streamOptions: StreamOptions? { get }
}

/// `POST /v1/chat/completions`.
public struct ChatCompletionRequest: Sendable, Decodable, SamplingFields {
    public var model: String
    public var messages: [ChatRequestMessage]
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var seed: Int64?
    public var stop: StopSequences?
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    /// Return each generated token's log-probability.
    public var logprobs: Bool?
    /// With `logprobs`: the most likely tokens of each step to return too (0 to 20).
    public var topLogprobs: Int?
    /// `response_format.type` (`text`, `json_object`, `json_schema`), when given.
    public var responseFormat: String?
    /// The functions offered under `tools` (or the older `functions`): how many, and under which field.
    public var offeredFunctions: (field: String, count: Int)?

    struct ResponseFormat: Decodable { var type: String }
    /// Any JSON value, to count the elements of a list whose contents are not read.
    struct Ignored: Decodable { init(from decoder: any Decoder) throws {} }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, n, stream, logprobs
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case streamOptions = "stream_options"
        case topLogprobs = "top_logprobs"
        case responseFormat = "response_format"
        case tools, functions
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        messages = try c.decode([ChatRequestMessage].self, forKey: .messages)
        // `max_completion_tokens` is the newer name of `max_tokens`.
        maxCompletionTokens = try c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? maxCompletionTokens
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        seed = try c.decodeIfPresent(Int64.self, forKey: .seed)
        stop = try c.decodeIfPresent(StopSequences.self, forKey: .stop)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        responseFormat = try c.decodeIfPresent(ResponseFormat.self, forKey: .responseFormat)?.type
        for key in [CodingKeys.tools, .functions] {
            if let list = try c.decodeIfPresent([Ignored].self, forKey: key), !list.isEmpty { offeredFunctions = (key.stringValue, list.count) }
        }
    }
}

/// `POST /v1/completions`: `prompt` is a string or a list of one string.
public struct TextCompletionRequest: Sendable, Decodable, SamplingFields {
    public var model: String
    public var prompt: String
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var seed: Int64?
    public var stop: StopSequences?
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    /// The log-probabilities of each generated token and of this many most likely tokens of its step (0 to 5).
    public var logprobs: Int?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, seed, stop, n, stream, logprobs
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case streamOptions = "stream_options"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        if let text = try? c.decode(String.self, forKey: .prompt) {
            prompt = text
        } else {
            let list = try c.decode([String].self, forKey: .prompt)
            guard list.count == 1 else {
                throw DecodingError.dataCorruptedError(forKey: .prompt, in: c, debugDescription: "exactly one prompt per request is supported")
            }
            prompt = list[0]
        }
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        seed = try c.decodeIfPresent(Int64.self, forKey: .seed)
        stop = try c.decodeIfPresent(StopSequences.self, forKey: .stop)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
    }
}

/// `POST /v1/embeddings`: `input` is a string or a list of strings; vectors as floats or base64.
public struct EmbeddingsRequest: Sendable, Decodable {
    public var model: String
    public var input: [String]
    /// `float` (default) or `base64` (little-endian F32).
    public var encodingFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, input
        case encodingFormat = "encoding_format"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        if let one = try? c.decode(String.self, forKey: .input) {
            input = [one]
        } else if let list = try? c.decode([String].self, forKey: .input) {
            input = list
        } else {
            throw DecodingError.dataCorruptedError(forKey: .input, in: c, debugDescription: "'input' must be a string or an array of strings")
        }
        encodingFormat = try c.decodeIfPresent(String.self, forKey: .encodingFormat)
    }
}

/// `POST /v1/cairn/classify`: texts to label with a trained classifier head (a model registered by a training job).
public struct ClassifyRequest: Sendable, Codable {
    public var model: String
    public var input: [String]

    public init(model: String, input: [String]) {
        self.model = model
        self.input = input
    }

    enum CodingKeys: String, CodingKey { case model, input }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        if let one = try? c.decode(String.self, forKey: .input) {
            input = [one]
        } else if let list = try? c.decode([String].self, forKey: .input) {
            input = list
        } else {
            throw DecodingError.dataCorruptedError(forKey: .input, in: c, debugDescription: "'input' must be a string or an array of strings")
        }
    }
}
