public import CairnInference
import CairnWire
import Foundation

/// What a provider ran for a request body, read the way its server reads it: the model, the prompt (chat messages as
/// the engine renders them, or raw text), the sampling settings. A verifier re-scores a job from it, so the check sees
/// the very prompt the provider generated from.
public struct JobReplay: Sendable {
    public enum Prompt: Sendable {
        case chat([ChatMessage])
        case text(String)
    }

    public var model: String
    public var prompt: Prompt
    public var temperature: Float
    public var topP: Float
    public var maxTokens: Int?
    /// Why the check cannot judge this job (decoding constrained by a grammar or tools, several choices), or nil.
    public var unjudgeable: String?

    /// Reads a chat completion or completion request body.
    public init(requestBody: [UInt8]) throws {
        let data = Data(requestBody)
        let decoder = JSONDecoder()
        if let chat = try? decoder.decode(ChatCompletionRequest.self, from: data), !chat.messages.isEmpty {
            model = chat.model
            prompt = .chat(chat.messages.map(\.chatMessage))
            temperature = Float(chat.temperature ?? 1)
            topP = Float(chat.topP ?? 1)
            maxTokens = chat.maxCompletionTokens ?? chat.maxTokens
            if chat.offeredFunctions != nil {
                unjudgeable = "the request offers tools: its output was constrained by them"
            } else if let format = chat.responseFormat, format != "text" {
                unjudgeable = "the request asks for response_format \(format): its output was constrained by a grammar"
            } else if (chat.n ?? 1) != 1 {
                unjudgeable = "the request asks for \(chat.n ?? 1) choices"
            }
            return
        }
        do {
            let text = try decoder.decode(TextCompletionRequest.self, from: data)
            model = text.model
            prompt = .text(text.prompt)
            temperature = Float(text.temperature ?? 1)
            topP = Float(text.topP ?? 1)
            maxTokens = text.maxTokens ?? 16
            if (text.n ?? 1) != 1 { unjudgeable = "the request asks for \(text.n ?? 1) choices" }
        } catch {
            throw ProviderError(.invalidRequest, "the request is neither a chat completion nor a completion: \(error)")
        }
    }

    /// The prompt's tokens as `verifier`'s model reads them (the chat template for messages).
    public func promptTokens(_ verifier: InferenceVerifier) throws -> [Int32] {
        switch prompt {
        case .chat(let messages): try verifier.tokenizer.encode(verifier.chatTemplate.render(messages, addGenerationPrompt: true))
        case .text(let text): try verifier.tokenizer.encode(text)
        }
    }
}
