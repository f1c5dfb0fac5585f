import CairnPrimitives
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
    /// What the prompt begins with, as a key: the request's `prompt_cache_key` when it names one, else the messages up to
    /// and including the first user message (a conversation keeps it from turn to turn), or the first 1,024 bytes of a
    /// completion's prompt; with the model. Nil for embeddings.
    var promptKey: UInt64?

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
        promptKey = Self.promptKey(object, kind: kind, model: name)
    }

    static func promptKey(_ object: [String: Any], kind: Kind, model: String) -> UInt64? {
        var material: Data
        if let key = object["prompt_cache_key"] as? String, !key.isEmpty {
            material = Data("key\u{0}".utf8) + Data(key.utf8)
        } else if kind == .chat, let messages = object["messages"] as? [Any] {
            var beginning: [Any] = []
            for m in messages {
                beginning.append(m)
                if (m as? [String: Any])?["role"] as? String == "user" { break }
            }
            guard let encoded = try? JSONSerialization.data(withJSONObject: beginning, options: [.sortedKeys]) else { return nil }
            material = Data("chat\u{0}".utf8) + encoded
        } else if kind == .completion, let prompt = object["prompt"] as? String {
            material = Data("text\u{0}".utf8) + Data(prompt.utf8.prefix(1_024))
        } else {
            return nil
        }
        material += Data("\u{0}".utf8) + Data(model.utf8)
        return Hash.sha256(Array(material)).bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
