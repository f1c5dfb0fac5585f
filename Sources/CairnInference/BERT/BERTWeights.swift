/// The weights of a BERT encoder, copied out of a safetensors file into the layout the kernels want.
///
/// Linear weights are stored transposed from PyTorch's `[out, in]` to `[in, out]` row-major, so a row of
/// the matrix holds consecutive output features and ``BERTLinear`` can vectorize along them. Each layer's
/// query, key and value projections are concatenated into one `[hidden, 3 * hidden]` matrix so one matrix
/// product computes all three.
struct BERTWeights: Sendable {
    struct Layer: Sendable {
        var qkvWeight: [Float]  // [hidden, 3 * hidden]: query columns, then key columns, then value columns
        var qkvBias: [Float]  // [3 * hidden]
        var attentionOutWeight: [Float]  // [hidden, hidden], [in, out]
        var attentionOutBias: [Float]  // [hidden]
        var attentionNormWeight: [Float]  // [hidden]
        var attentionNormBias: [Float]  // [hidden]
        var intermediateWeight: [Float]  // [hidden, intermediate]
        var intermediateBias: [Float]  // [intermediate]
        var outputWeight: [Float]  // [intermediate, hidden]
        var outputBias: [Float]  // [hidden]
        var outputNormWeight: [Float]  // [hidden]
        var outputNormBias: [Float]  // [hidden]
    }

    var wordEmbeddings: [Float]  // [vocabulary, hidden]
    var positionEmbeddings: [Float]  // [maxPositions, hidden]
    var tokenTypeEmbeddings: [Float]  // [typeVocabulary, hidden]
    var embeddingNormWeight: [Float]  // [hidden]
    var embeddingNormBias: [Float]  // [hidden]
    var layers: [Layer]

    /// Reads every tensor the encoder needs, checking its shape against `config`.
    /// Tensor names may carry a `bert.` prefix (checkpoints saved from `BertForXxx` heads) or not.
    init(file: SafetensorsFile, config: BERTConfig) throws {
        let prefix = file.tensors["embeddings.word_embeddings.weight"] == nil && file.tensors["bert.embeddings.word_embeddings.weight"] != nil
            ? "bert." : ""
        let h = config.hiddenSize, f = config.intermediateSize
        func load(_ name: String, _ shape: [Int]) throws -> [Float] { try file.floats(prefix + name, shape: shape) }
        /// A PyTorch `[out, in]` linear weight, transposed to `[in, out]`.
        func linear(_ name: String, out: Int, in inputs: Int) throws -> [Float] {
            Self.transpose(try load(name, [out, inputs]), rows: out, columns: inputs)
        }
        wordEmbeddings = try load("embeddings.word_embeddings.weight", [config.vocabularySize, h])
        positionEmbeddings = try load("embeddings.position_embeddings.weight", [config.maxPositions, h])
        tokenTypeEmbeddings = try load("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, h])
        embeddingNormWeight = try load("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try load("embeddings.LayerNorm.bias", [h])
        layers = try (0..<config.layerCount).map { index in
            let p = "encoder.layer.\(index)."
            return Layer(
                qkvWeight: Self.transpose(
                    try load(p + "attention.self.query.weight", [h, h]) + load(p + "attention.self.key.weight", [h, h])
                        + load(p + "attention.self.value.weight", [h, h]),
                    rows: 3 * h, columns: h),
                qkvBias: try load(p + "attention.self.query.bias", [h]) + load(p + "attention.self.key.bias", [h])
                    + load(p + "attention.self.value.bias", [h]),
                attentionOutWeight: try linear(p + "attention.output.dense.weight", out: h, in: h),
                attentionOutBias: try load(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try load(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try load(p + "attention.output.LayerNorm.bias", [h]),
                intermediateWeight: try linear(p + "intermediate.dense.weight", out: f, in: h),
                intermediateBias: try load(p + "intermediate.dense.bias", [f]),
                outputWeight: try linear(p + "output.dense.weight", out: h, in: f),
                outputBias: try load(p + "output.dense.bias", [h]),
                outputNormWeight: try load(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try load(p + "output.LayerNorm.bias", [h]))
        }
    }

    /// `matrix` (`rows × columns`, row-major) transposed.
    static func transpose(_ matrix: [Float], rows: Int, columns: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: matrix.count) { out, initialized in
            for r in 0..<rows {
                for c in 0..<columns { out[c * rows + r] = matrix[r * columns + c] }
            }
            initialized = matrix.count
        }
    }
}
