/// Typed metadata accessors, including the `tokenizer.ggml.*` keys a tokenizer is built from.
extension GGUFFile {
    /// The model architecture (`general.architecture`), such as `llama`.
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// The integer at `key`, or nil if it is absent or not an integer.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }

    /// The number at `key`, or nil if it is absent or not numeric.
    public func double(_ key: String) -> Double? { metadata[key]?.doubleValue }

    /// The string at `key`, or nil if it is absent or not a string.
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }

    /// The boolean at `key`, or nil if it is absent or not a boolean.
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }

    /// The string array at `key`, or nil if it is absent or of another type.
    public func strings(_ key: String) -> [String]? {
        if case .array(.string(let values)) = metadata[key] { values } else { nil }
    }

    /// The integer array at `key` as `Int32`, or nil if it is absent or not integers.
    public func int32s(_ key: String) -> [Int32]? {
        if case .array(let array) = metadata[key] { array.int32Values } else { nil }
    }

    /// The integer at `key`, throwing a `.missingField` error naming the key when absent.
    public func requireInt(_ key: String) throws -> Int {
        guard let value = int(key) else {
            throw InferenceError(.missingField, "GGUF metadata lacks integer '\(key)'")
        }
        return value
    }

    /// The tensor named `name`, throwing a `.missingField` error when absent.
    public func requireTensor(_ name: String) throws -> GGUFTensor {
        guard let tensor = tensor(named: name) else {
            throw InferenceError(.missingField, "GGUF file lacks tensor '\(name)'")
        }
        return tensor
    }

    /// The vocabulary (`tokenizer.ggml.tokens`), indexed by token id.
    public var tokenizerTokens: [String]? { strings("tokenizer.ggml.tokens") }
    /// The BPE merges (`tokenizer.ggml.merges`), highest priority first, each "left right".
    public var tokenizerMerges: [String]? { strings("tokenizer.ggml.merges") }
    /// The token types (`tokenizer.ggml.token_type`): 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte.
    public var tokenizerTokenTypes: [Int32]? { int32s("tokenizer.ggml.token_type") }
    /// The tokenizer model (`tokenizer.ggml.model`), such as `gpt2`.
    public var tokenizerModel: String? { string("tokenizer.ggml.model") }
    /// The pre-tokenizer name (`tokenizer.ggml.pre`), such as `smollm`.
    public var tokenizerPre: String? { string("tokenizer.ggml.pre") }
    /// The beginning-of-sequence token id.
    public var bosTokenID: Int32? { int("tokenizer.ggml.bos_token_id").flatMap { Int32(exactly: $0) } }
    /// The end-of-sequence token id.
    public var eosTokenID: Int32? { int("tokenizer.ggml.eos_token_id").flatMap { Int32(exactly: $0) } }
    /// Whether the tokenizer prepends BOS (`tokenizer.ggml.add_bos_token`).
    public var addsBOSToken: Bool? { bool("tokenizer.ggml.add_bos_token") }
    /// The Jinja chat template (`tokenizer.chat_template`).
    public var chatTemplate: String? { string("tokenizer.chat_template") }
}
