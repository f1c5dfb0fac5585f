import CairnWire
import Foundation

/// What the gateway reads of an OpenAI request before forwarding it unchanged: the model, whether it streams, and an
/// upper bound of its size (which prices it for the provider choice and the channel's deposit).
struct RequestSummary: Sendable {
    enum Kind: String, Sendable {
        case chat = "/v1/chat/completions"
        case completion = "/v1/completions"
        case embedding = "/v1/embeddings"
        case classify = "/v1/cairn/classify"
    }

    var kind: Kind
    var model: String
    var stream: Bool
    var promptTokens: UInt32
    var completionTokens: UInt32
    var embeddingTokens: UInt32

    /// Room for a chat template around the messages.
    static let templateTokens = 128
    /// The completion bound when a request names no `max_tokens` (the longest context served).
    static let defaultCompletionTokens = 4096

    /// Reads `body`; a 400 in OpenAI's shape when it is not a JSON object with a `model` string.
    init(_ body: Data, kind: Kind) throws(OpenAIError) {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw .invalidRequest("the request body is not a JSON object")
        }
        guard let model = object["model"] else { throw .invalidRequest("missing required parameter 'model'", param: "model") }
        guard let name = model as? String, !name.isEmpty else { throw .invalidRequest("'model' must be a non-empty string", param: "model") }
        self.kind = kind
        self.model = name
        stream = (object["stream"] as? Bool) ?? false
        // Byte-level tokenizers never make more tokens than bytes: the body's length bounds the prompt.
        let bound = UInt32(clamping: body.count + Self.templateTokens)
        let maxTokens = (object["max_tokens"] as? Int) ?? (object["max_completion_tokens"] as? Int)
        switch kind {
        case .embedding, .classify:
            promptTokens = 0
            completionTokens = 0
            embeddingTokens = bound
        case .chat, .completion:
            promptTokens = bound
            // `n` choices each write up to `max_tokens`.
            let choices = max(1, (object["n"] as? Int) ?? 1)
            completionTokens = UInt32(clamping: max(0, maxTokens ?? Self.defaultCompletionTokens).multipliedReportingOverflow(by: choices).partialValue)
            embeddingTokens = 0
        }
    }
}
