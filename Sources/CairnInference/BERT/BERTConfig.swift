internal import Foundation

/// The shape of a BERT encoder, read from a Hugging Face `config.json`.
public struct BERTConfig: Sendable, Hashable {
    /// Width of every token vector (384 for MiniLM-L6).
    public var hiddenSize: Int
    /// Number of encoder layers.
    public var layerCount: Int
    /// Attention heads per layer; `hiddenSize` must be a multiple.
    public var headCount: Int
    /// Width of the feed-forward layer.
    public var intermediateSize: Int
    /// Vocabulary size (rows of the word embedding).
    public var vocabularySize: Int
    /// Positions with an embedding: the longest sequence the model accepts.
    public var maxPositions: Int
    /// Segment (token type) embeddings.
    public var typeVocabularySize: Int
    /// Epsilon of every LayerNorm.
    public var layerNormEpsilon: Float

    /// Width of one attention head.
    public var headSize: Int { hiddenSize / headCount }

    /// Creates a configuration.
    public init(
        hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, vocabularySize: Int,
        maxPositions: Int, typeVocabularySize: Int, layerNormEpsilon: Float
    ) throws {
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        try validate()
    }

    private struct HuggingFace: Decodable {
        let model_type: String?
        let hidden_size: Int
        let num_hidden_layers: Int
        let num_attention_heads: Int
        let intermediate_size: Int
        let vocab_size: Int
        let max_position_embeddings: Int
        let type_vocab_size: Int?
        let layer_norm_eps: Double?
        let hidden_act: String?
        let position_embedding_type: String?
    }

    /// Reads `config.json` from a model folder.
    /// - Throws: `.io` if unreadable, `.corrupt` if not a BERT config, `.unsupportedArchitecture` for a variant
    ///   this encoder does not implement (activation other than exact GELU, relative positions).
    public init(configFile path: String) throws {
        let file = try MappedFile(path: path)
        let raw: HuggingFace
        do {
            let data = withExtendedLifetime(file) { Data(file.bytes) }
            raw = try JSONDecoder().decode(HuggingFace.self, from: data)
        } catch {
            throw InferenceError(.corrupt, "\(path) is not a BERT config.json: \(error)")
        }
        if let type = raw.model_type, type != "bert" {
            throw InferenceError(.unsupportedArchitecture, "\(path): model_type '\(type)' is not 'bert'")
        }
        if let act = raw.hidden_act, act != "gelu" {
            throw InferenceError(.unsupportedArchitecture, "\(path): hidden_act '\(act)' is not supported (only 'gelu')")
        }
        if let positions = raw.position_embedding_type, positions != "absolute" {
            throw InferenceError(.unsupportedArchitecture, "\(path): position_embedding_type '\(positions)' is not supported")
        }
        try self.init(
            hiddenSize: raw.hidden_size, layerCount: raw.num_hidden_layers, headCount: raw.num_attention_heads,
            intermediateSize: raw.intermediate_size, vocabularySize: raw.vocab_size,
            maxPositions: raw.max_position_embeddings, typeVocabularySize: raw.type_vocab_size ?? 2,
            layerNormEpsilon: Float(raw.layer_norm_eps ?? 1e-12))
    }

    private func validate() throws {
        let sizes = [hiddenSize, layerCount, headCount, intermediateSize, vocabularySize, maxPositions, typeVocabularySize]
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }), hiddenSize % headCount == 0 else {
            throw InferenceError(.corrupt, "implausible BERT configuration \(self)")
        }
    }
}
