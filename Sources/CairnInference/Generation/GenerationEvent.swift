/// One event of a streamed generation.
public enum GenerationEvent: Sendable, Equatable {
    /// A generated token and the text it completed (empty while a character or a possible stop sequence is held).
    case token(id: Int32, text: String)
    /// Text held back earlier (a partial character or a possible stop-sequence prefix) released at the end.
    case text(String)
    /// The end of generation, with token counts and timings.
    case finished(GenerationSummary)
}

/// Why generation ended.
public enum FinishReason: String, Sendable, Equatable {
    /// `maxTokens` tokens were generated.
    case length
    /// The model produced an end-of-sequence token.
    case endOfSequence
    /// The text produced contained a stop sequence.
    case stopSequence
    /// The KV cache is full.
    case contextFull
    /// The consumer stopped listening.
    case cancelled
}

/// Totals reported at the end of a generation.
public struct GenerationSummary: Sendable, Equatable {
    /// Tokens evaluated as the prompt.
    public var promptTokenCount: Int
    /// Tokens generated (an end-of-sequence token is not counted).
    public var completionTokenCount: Int
    /// Why generation ended.
    public var finishReason: FinishReason
    /// Seconds spent evaluating the prompt (time to first logits).
    public var prefillSeconds: Double
    /// Seconds spent decoding after the prompt.
    public var decodeSeconds: Double
    /// The whole generated text (stop sequence excluded).
    public var text: String

    /// Creates a summary.
    public init(
        promptTokenCount: Int, completionTokenCount: Int, finishReason: FinishReason,
        prefillSeconds: Double = 0, decodeSeconds: Double = 0, text: String = ""
    ) {
        self.promptTokenCount = promptTokenCount
        self.completionTokenCount = completionTokenCount
        self.finishReason = finishReason
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
        self.text = text
    }
}
