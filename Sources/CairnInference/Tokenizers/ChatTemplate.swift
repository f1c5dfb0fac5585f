/// One message of a chat: who said it and what.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// The speaker: `system`, `user` or `assistant` (any other role is rendered as written).
    public var role: String
    /// The message text, inserted verbatim.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// The ChatML chat template, rendered exactly as SmolLM2's `tokenizer.chat_template` Jinja renders it.
///
/// SmolLM2's template is:
/// ```
/// {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}
/// {{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}
/// {% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}
/// {% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
/// ```
/// (line breaks added here). Each message becomes `<|im_start|>ROLE\nCONTENT<|im_end|>\n`; when the first
/// message is not a system message, a default system message comes first; the generation prompt opens an
/// assistant turn. Rather than interpreting Jinja, ``init(jinja:)`` recognises this template family and takes
/// its default system prompt from the text, so a model shipping another default prompt renders its own.
public struct ChatTemplate: Sendable, Hashable {
    /// The system prompt inserted when the conversation does not start with a system message (nil: none).
    public let defaultSystemPrompt: String?

    /// SmolLM2's default system prompt.
    public static let smolLM2SystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    /// SmolLM2-Instruct's template.
    public static let smolLM2 = ChatTemplate(defaultSystemPrompt: smolLM2SystemPrompt)

    /// Creates a ChatML template with the given default system prompt.
    public init(defaultSystemPrompt: String?) {
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Recognises a ChatML Jinja template (such as GGUF `tokenizer.chat_template`).
    /// - Throws: `.unsupported` if the template is not ChatML of the shape this type renders.
    public init(jinja template: String) throws {
        let messageBlock = "'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'"
        let generationPrompt = "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
        guard Self.contains(template, Self.squeezed(messageBlock)), Self.contains(template, Self.squeezed(generationPrompt))
        else {
            throw InferenceError(.unsupported, "chat template is not the ChatML template this engine renders")
        }
        let opening = "'<|im_start|>system\n"
        let closing = "<|im_end|>\n'"
        if let start = template.firstRange(of: opening), let end = template[start.upperBound...].firstRange(of: closing),
            template.contains("messages[0]['role'] != 'system'")
        {
            defaultSystemPrompt = String(template[start.upperBound..<end.lowerBound])
        } else {
            defaultSystemPrompt = nil
        }
    }

    /// The prompt text for `messages`.
    /// - Parameter addGenerationPrompt: end with `<|im_start|>assistant\n` so the model writes the reply.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var text = ""
        if let first = messages.first, first.role != "system", let defaultSystemPrompt {
            text += "<|im_start|>system\n" + defaultSystemPrompt + "<|im_end|>\n"
        }
        for message in messages {
            text += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }

    /// The text with spaces removed, so that templates differing only in spacing compare equal.
    private static func squeezed(_ text: String) -> String { text.filter { $0 != " " } }

    private static func contains(_ template: String, _ squeezedPart: String) -> Bool {
        squeezed(template).contains(squeezedPart)
    }
}
