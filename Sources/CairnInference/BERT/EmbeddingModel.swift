import Synchronization

/// A sentence-embedding model (sentence-transformers layout): WordPiece tokenizer, BERT encoder, mean pooling
/// over the real tokens, then L2 normalization, as `all-MiniLM-L6-v2` is defined.
///
/// Safe to share between tasks: calls are serialised, so concurrent requests queue and each runs with every
/// core of the pool behind it.
public final class EmbeddingModel: Sendable {
    /// The tokenizer (truncating to the model's maximum sequence length).
    public let tokenizer: WordPieceTokenizer
    /// The encoder.
    public let encoder: BERTEncoder
    /// The length of every embedding.
    public var dimension: Int { encoder.config.hiddenSize }
    private let gate = Mutex<Void>(())

    /// Creates a model from its parts.
    public init(tokenizer: WordPieceTokenizer, encoder: BERTEncoder) {
        self.tokenizer = tokenizer
        self.encoder = encoder
    }

    /// Loads a sentence-transformers folder: `config.json`, `model.safetensors`, `vocab.txt` and optionally
    /// `sentence_bert_config.json` (for `max_seq_length`; 256 if absent).
    /// - Parameter pool: threads to compute on (default: the process-wide pool, sized by `CAIRN_THREADS` or the
    ///   number of cores).
    /// - Throws: `.modelNotFound` if a required file is missing, plus the loaders' errors.
    /// - Parameter layers: run only the first this many encoder layers (a cheaper, degraded model, for the verification
    ///   benchmark); nil runs them all.
    public convenience init(directory: String, pool: ComputePool = .shared, layers: Int? = nil) throws {
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        for name in ["config.json", "model.safetensors", "vocab.txt"] where !ModelLocator.exists(folder + name) {
            throw InferenceError(
                .modelNotFound, "\(folder + name) is missing; install the models with `\(ModelLocator.installCommand)`")
        }
        var config = try BERTConfig(configFile: folder + "config.json")
        if let layers {
            guard (1...config.layerCount).contains(layers) else { throw InferenceError(.invalidRequest, "layers must be 1 to \(config.layerCount)") }
            config.layerCount = layers
        }
        let maxLength = min(try Self.maxSequenceLength(folder: folder) ?? 256, config.maxPositions)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: folder + "vocab.txt", lowercase: true, maxLength: maxLength)
        let encoder = try BERTEncoder(
            config: config, weights: SafetensorsFile(path: folder + "model.safetensors"), pool: pool)
        self.init(tokenizer: tokenizer, encoder: encoder)
    }

    /// `max_seq_length` from `sentence_bert_config.json`, if the file exists.
    private static func maxSequenceLength(folder: String) throws -> Int? {
        let path = folder + "sentence_bert_config.json"
        guard ModelLocator.exists(path) else { return nil }
        let file = try MappedFile(path: path)
        let text = withExtendedLifetime(file) { String(decoding: file.bytes, as: UTF8.self) }
        // A one-key lookup does not justify a JSON model type: find `"max_seq_length": N`.
        guard let key = text.firstRange(of: "\"max_seq_length\"") else { return nil }
        let digits = text[key.upperBound...].drop { $0 == ":" || $0 == " " }.prefix { $0.isNumber }
        return Int(digits)
    }

    /// The unit-length embedding of every text, in order.
    /// - Parameter batchSize: texts encoded per forward pass (results do not depend on it).
    public func embed(_ texts: [String], batchSize: Int = 32) throws -> [[Float]] {
        let sequences = texts.map(tokenizer.encode)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        try gate.withLock { _ in
            var start = 0
            while start < sequences.count {
                let end = min(start + max(1, batchSize), sequences.count)
                let batch = BERTBatch(sequences: Array(sequences[start..<end]), padID: tokenizer.padID)
                vectors += try encoder.meanPooled(batch).map(Self.normalized)
                start = end
            }
        }
        return vectors
    }

    /// The embedding of one text.
    public func embed(_ text: String) throws -> [Float] { try embed([text])[0] }

    /// `vector / max(‖vector‖, 1e-12)`, as `torch.nn.functional.normalize`.
    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let inverse = 1 / max(norm, 1e-12)
        return vector.map { $0 * inverse }
    }

    /// The cosine similarity of two vectors (their dot product divided by both lengths).
    public static func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different lengths")
        var dot: Float = 0, aa: Float = 0, bb: Float = 0
        for i in a.indices {
            dot += a[i] * b[i]
            aa += a[i] * a[i]
            bb += b[i] * b[i]
        }
        return dot / max(aa.squareRoot() * bb.squareRoot(), 1e-12)
    }
}
