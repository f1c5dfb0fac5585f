public import Foundation

/// `usage` of a response.
public struct OpenAIUsage: Sendable, Equatable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    /// `prompt_tokens_details`, when the server knows them.
    public var promptTokensDetails: PromptTokensDetails?

    /// `prompt_tokens_details`: the prompt tokens whose evaluation an earlier request's prompt spared (`cached_tokens`).
    public struct PromptTokensDetails: Sendable, Equatable, Codable {
        public var cachedTokens: Int

        public init(cachedTokens: Int) { self.cachedTokens = cachedTokens }

        enum CodingKeys: String, CodingKey {
            case cachedTokens = "cached_tokens"
        }
    }

    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        totalTokens = promptTokens + completionTokens
        promptTokensDetails = cachedTokens.map(PromptTokensDetails.init)
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }
}

/// A `chat.completion`, a `chat.completion.chunk` or a `text_completion` (whole or chunk): one choice, OpenAI's
/// field names, and explicit nulls where OpenAI writes them.
public struct CompletionBody: Sendable, Encodable {
    /// Which of OpenAI's objects this is.
    public enum Kind: String, Sendable {
        case chat = "chat.completion"
        case chatChunk = "chat.completion.chunk"
        case text = "text_completion"
        case textChunk = "text_completion.chunk"
    }

    public var kind: Kind
    public var id: String
    public var created: Int
    public var model: String
    /// The chunk's or message's text (nil: a chunk without content, such as the role chunk or the usage chunk).
    public var text: String?
    /// Set on a chat chunk that opens the assistant's message.
    public var role: String?
    public var finishReason: String?
    /// False for the usage-only last chunk, which has no choices.
    public var hasChoice: Bool
    public var usage: OpenAIUsage?
    /// The log-probabilities of the tokens this body carries (nil: not asked for; written as null).
    public var logprobs: [TokenLogprob]?
    /// Text completions: the character offset of the first of `logprobs`' tokens in the completion.
    public var textOffset: Int = 0
    /// The choice's index (`n` > 1 asks for several).
    public var index: Int = 0
    /// A whole answer with `n` > 1: the choices after this body's own, each with its `index`.
    public var others: [CompletionBody] = []
    /// Chat: the assistant's calls of offered functions (its content is then null).
    public var toolCalls: [ToolCall]?

    public init(kind: Kind, id: String, created: Int, model: String, text: String? = nil, role: String? = nil,
                finishReason: String? = nil, hasChoice: Bool = true, usage: OpenAIUsage? = nil, logprobs: [TokenLogprob]? = nil) {
        self.kind = kind
        self.id = id
        self.created = created
        self.model = model
        self.text = text
        self.role = role
        self.finishReason = finishReason
        self.hasChoice = hasChoice
        self.usage = usage
        self.logprobs = logprobs
    }

    enum Keys: String, CodingKey {
        case id, object, created, model, choices, usage, index, message, delta, role, content, text, logprobs, refusal, type, function
        case finishReason = "finish_reason"
        case toolCalls = "tool_calls"
    }

    struct Choice: Encodable {
        let body: CompletionBody

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(body.index, forKey: .index)
            switch body.kind {
            case .chat:
                var m = c.nestedContainer(keyedBy: Keys.self, forKey: .message)
                try m.encode(body.role ?? "assistant", forKey: .role)
                if let calls = body.toolCalls {
                    try m.encodeNil(forKey: .content)
                    try m.encode(calls, forKey: .toolCalls)
                } else {
                    try m.encode(body.text ?? "", forKey: .content)
                }
            case .chatChunk:
                var d = c.nestedContainer(keyedBy: Keys.self, forKey: .delta)
                try d.encodeIfPresent(body.role, forKey: .role)
                try d.encodeIfPresent(body.text, forKey: .content)
                if let calls = body.toolCalls {
                    // Each call whole in one delta, with its position among the choice's calls.
                    var list = d.nestedUnkeyedContainer(forKey: .toolCalls)
                    for (i, call) in calls.enumerated() {
                        var e = list.nestedContainer(keyedBy: Keys.self)
                        try e.encode(i, forKey: .index)
                        try e.encode(call.id, forKey: .id)
                        try e.encode("function", forKey: .type)
                        var f = e.nestedContainer(keyedBy: ToolCall.FunctionKeys.self, forKey: .function)
                        try f.encode(call.name, forKey: .name)
                        try f.encode(call.arguments, forKey: .arguments)
                    }
                }
            case .text, .textChunk:
                try c.encode(body.text ?? "", forKey: .text)
            }
            if let logprobs = body.logprobs {
                switch body.kind {
                case .chat, .chatChunk: try c.encode(ChatLogprobs(content: logprobs), forKey: .logprobs)
                case .text, .textChunk: try c.encode(TextLogprobs(tokens: logprobs, offset: body.textOffset), forKey: .logprobs)
                }
            } else {
                try c.encodeNil(forKey: .logprobs)
            }
            if let reason = body.finishReason { try c.encode(reason, forKey: .finishReason) } else { try c.encodeNil(forKey: .finishReason) }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        // OpenAI streams text completions as `text_completion` objects too.
        try c.encode(kind == .textChunk ? Kind.text.rawValue : kind.rawValue, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(hasChoice ? [Choice(body: self)] + others.map { Choice(body: $0) } : [], forKey: .choices)
        try c.encodeIfPresent(usage, forKey: .usage)
    }
}

/// One generated token's log-probability (natural logarithm) and the most likely tokens of its step.
public struct TokenLogprob: Sendable, Equatable {
    /// A token as OpenAI shows it: its text and its bytes (a token may hold part of a character).
    public struct Candidate: Sendable, Equatable {
        public var bytes: [UInt8]
        public var logprob: Double

        public init(bytes: [UInt8], logprob: Double) {
            self.bytes = bytes
            self.logprob = logprob
        }

        /// The token's text; bytes that are not whole UTF-8 characters become U+FFFD.
        public var token: String { String(decoding: bytes, as: UTF8.self) }

        /// The text, or `bytes:\xNN...` when the bytes are not valid UTF-8 (legacy completions' keys).
        public var legacyToken: String {
            if let text = String(validating: bytes, as: UTF8.self) { return text }
            return "bytes:" + bytes.map { "\\x" + String($0, radix: 16).leftPadded(to: 2) }.joined()
        }
    }

    public var chosen: Candidate
    public var top: [Candidate]

    public init(chosen: Candidate, top: [Candidate]) {
        self.chosen = chosen
        self.top = top
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// A coding key made at run time: object keys that are data (a token's text, a provider's address).
public struct DynamicKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Chat's `logprobs`: `{"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}], "refusal": null}`.
struct ChatLogprobs: Encodable {
    let content: [TokenLogprob]

    enum Keys: String, CodingKey {
        case content, refusal, token, logprob, bytes
        case topLogprobs = "top_logprobs"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        var list = c.nestedUnkeyedContainer(forKey: .content)
        for entry in content {
            var item = list.nestedContainer(keyedBy: Keys.self)
            try Self.write(entry.chosen, into: &item)
            var top = item.nestedUnkeyedContainer(forKey: .topLogprobs)
            for candidate in entry.top {
                var t = top.nestedContainer(keyedBy: Keys.self)
                try Self.write(candidate, into: &t)
            }
        }
        try c.encodeNil(forKey: .refusal)
    }

    static func write(_ candidate: TokenLogprob.Candidate, into c: inout KeyedEncodingContainer<Keys>) throws {
        try c.encode(candidate.token, forKey: .token)
        try c.encode(candidate.logprob, forKey: .logprob)
        try c.encode(candidate.bytes.map(Int.init), forKey: .bytes)
    }
}

/// Legacy completions' `logprobs`: parallel lists `tokens`, `token_logprobs`, `top_logprobs` (one object per token,
/// text to log-probability) and `text_offset`.
struct TextLogprobs: Encodable {
    let tokens: [TokenLogprob]
    let offset: Int

    enum Keys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(tokens.map(\.chosen.legacyToken), forKey: .tokens)
        try c.encode(tokens.map(\.chosen.logprob), forKey: .tokenLogprobs)
        var top = c.nestedUnkeyedContainer(forKey: .topLogprobs)
        for entry in tokens {
            var object = top.nestedContainer(keyedBy: DynamicKey.self)
            var seen = Set<String>()
            for candidate in entry.top where seen.insert(candidate.legacyToken).inserted {
                try object.encode(candidate.logprob, forKey: DynamicKey(candidate.legacyToken))
            }
        }
        var offsets: [Int] = []
        var at = offset
        for entry in tokens {
            offsets.append(at)
            at += entry.chosen.token.unicodeScalars.count
        }
        try c.encode(offsets, forKey: .textOffset)
    }
}

/// `POST /v1/embeddings` answer.
public struct EmbeddingsBody: Sendable, Encodable {
    public var model: String
    public var vectors: [[Float]]
    public var promptTokens: Int
    /// Vectors as base64 of little-endian F32 instead of number arrays.
    public var base64: Bool

    public init(model: String, vectors: [[Float]], promptTokens: Int, base64: Bool) {
        self.model = model
        self.vectors = vectors
        self.promptTokens = promptTokens
        self.base64 = base64
    }

    enum Keys: String, CodingKey {
        case object, data, model, usage, index, embedding
        case promptTokens = "prompt_tokens"
        case totalTokens = "total_tokens"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode("list", forKey: .object)
        var data = c.nestedUnkeyedContainer(forKey: .data)
        for (index, vector) in vectors.enumerated() {
            var item = data.nestedContainer(keyedBy: Keys.self)
            try item.encode("embedding", forKey: .object)
            try item.encode(index, forKey: .index)
            if base64 {
                try item.encode(Data(EmbeddingBytes.littleEndian(vector)).base64EncodedString(), forKey: .embedding)
            } else {
                try item.encode(vector, forKey: .embedding)
            }
        }
        try c.encode(model, forKey: .model)
        var usage = c.nestedContainer(keyedBy: Keys.self, forKey: .usage)
        try usage.encode(promptTokens, forKey: .promptTokens)
        try usage.encode(promptTokens, forKey: .totalTokens)
    }
}

/// Embedding vectors as bytes: little-endian IEEE 754 single precision, in order (what receipts hash).
public enum EmbeddingBytes {
    public static func littleEndian(_ vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }
}

/// `GET /v1/models` answer, with each model's registry id, price and context under `cairn`.
public struct ModelListBody: Sendable, Encodable {
    public struct Item: Sendable, Encodable {
        public var id: String
        public var object = "model"
        public var created: Int
        public var ownedBy: String
        public var cairn: Details

        public init(id: String, created: Int, ownedBy: String, cairn: Details) {
            self.id = id
            self.created = created
            self.ownedBy = ownedBy
            self.cairn = cairn
        }

        enum CodingKeys: String, CodingKey {
            case id, object, created, cairn
            case ownedBy = "owned_by"
        }
    }

    /// What a Cairn client needs beyond OpenAI's fields (prices in ucairn per million tokens).
    public struct Details: Sendable, Encodable {
        public var modelID: UInt64
        public var contextLength: Int
        public var promptPerMillion: String
        public var completionPerMillion: String
        public var embeddingPerMillion: String

        public init(modelID: UInt64, contextLength: Int, promptPerMillion: String, completionPerMillion: String,
                    embeddingPerMillion: String) {
            self.modelID = modelID
            self.contextLength = contextLength
            self.promptPerMillion = promptPerMillion
            self.completionPerMillion = completionPerMillion
            self.embeddingPerMillion = embeddingPerMillion
        }
    }

    public var object = "list"
    public var data: [Item]

    public init(data: [Item]) { self.data = data }
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}` with nulls kept.
public struct OpenAIErrorBody: Sendable, Codable, Equatable {
    public struct Detail: Sendable, Codable, Equatable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            if let param { try c.encode(param, forKey: .param) } else { try c.encodeNil(forKey: .param) }
            if let code { try c.encode(code, forKey: .code) } else { try c.encodeNil(forKey: .code) }
        }
    }

    public var error: Detail

    public init(message: String, type: String, param: String? = nil, code: String? = nil) {
        error = Detail(message: message, type: type, param: param, code: code)
    }
}

/// The answer to `POST /v1/cairn/classify`: for each input, its most probable label and every label's probability.
public struct ClassifyBody: Sendable, Codable, Equatable {
    public struct Item: Sendable, Codable, Equatable {
        public var index: Int
        public var label: String
        /// Every label's probability, in the head's label order.
        public var probabilities: [LabelProbability]

        public init(index: Int, label: String, probabilities: [LabelProbability]) {
            self.index = index
            self.label = label
            self.probabilities = probabilities
        }
    }

    public struct LabelProbability: Sendable, Codable, Equatable {
        public var label: String
        public var probability: Double

        public init(label: String, probability: Double) {
            self.label = label
            self.probability = probability
        }
    }

    public struct Usage: Sendable, Codable, Equatable {
        public var promptTokens: Int
        public var totalTokens: Int

        public init(promptTokens: Int, totalTokens: Int) {
            self.promptTokens = promptTokens
            self.totalTokens = totalTokens
        }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    public var object = "list"
    public var model: String
    public var data: [Item]
    public var usage: Usage

    public init(model: String, data: [Item], tokens: Int) {
        self.model = model
        self.data = data
        usage = Usage(promptTokens: tokens, totalTokens: tokens)
    }
}
