/// Loads a GGUF language model together with the tokenizer described by its metadata.
public enum LanguageModelLoader {
    /// Loads the model at `path` into a ``ModelContainer`` with its tokenizer.
    public static func load(path: String, contextLength: Int? = nil, limits: BatchLimits = BatchLimits()) throws -> ModelContainer {
        let file = try GGUFFile(path: path)
        let model = try LlamaModel(file: file, contextLength: contextLength)
        return ModelContainer(model: model, tokenizer: try tokenizer(for: file), limits: limits)
    }

    /// The byte-level BPE tokenizer built from `file`'s `tokenizer.ggml.*` metadata, or nil if it has no vocabulary.
    /// - Throws: `.unsupported` for a tokenizer model other than `gpt2` (byte-level BPE).
    public static func tokenizer(for file: GGUFFile) throws -> BPETokenizer? {
        guard let tokens = file.tokenizerTokens else { return nil }
        if let model = file.tokenizerModel, model != "gpt2" {
            throw InferenceError(.unsupported, "tokenizer model '\(model)' is not supported (only byte-level BPE 'gpt2')")
        }
        return try BPETokenizer(
            tokens: tokens, merges: file.tokenizerMerges ?? [], tokenTypes: file.tokenizerTokenTypes ?? [],
            bosID: file.bosTokenID, eosID: file.eosTokenID, preTokenizer: file.tokenizerPre ?? "gpt2")
    }
}
