/// The weights of one transformer block: views into the mapped file plus decoded norm vectors.
public struct LlamaLayerWeights: Sendable {
    /// RMSNorm weight before attention, `[dimension]`.
    public let attentionNorm: [Float]
    /// Query projection, `dimension × dimension`.
    public let query: WeightMatrix
    /// Key projection, `kvDimension × dimension`.
    public let key: WeightMatrix
    /// Value projection, `kvDimension × dimension`.
    public let value: WeightMatrix
    /// Attention output projection, `dimension × dimension`.
    public let output: WeightMatrix
    /// RMSNorm weight before the feed-forward block, `[dimension]`.
    public let feedForwardNorm: [Float]
    /// SwiGLU gate projection, `hiddenDimension × dimension`.
    public let gate: WeightMatrix
    /// SwiGLU up projection, `hiddenDimension × dimension`.
    public let up: WeightMatrix
    /// SwiGLU down projection, `dimension × hiddenDimension`.
    public let down: WeightMatrix

    /// The seven projection matrices.
    public var matrices: [WeightMatrix] { [query, key, value, output, gate, up, down] }

    /// This layer with `transform` applied to each projection matrix.
    func mapMatrices(_ transform: (WeightMatrix) -> WeightMatrix) -> LlamaLayerWeights {
        LlamaLayerWeights(
            attentionNorm: attentionNorm, query: transform(query), key: transform(key), value: transform(value),
            output: transform(output), feedForwardNorm: feedForwardNorm, gate: transform(gate), up: transform(up),
            down: transform(down))
    }
}

/// All weights of a llama model, memory-mapped from a GGUF file (only the small norm vectors are copied), or,
/// with the integer kernels, the quantized matrices rearranged into the planar layout they read.
public struct LlamaWeights: Sendable {
    /// Token embedding, `vocabularySize × dimension`.
    public let tokenEmbedding: WeightMatrix
    /// The transformer blocks.
    public let layers: [LlamaLayerWeights]
    /// Final RMSNorm weight, `[dimension]`.
    public let outputNorm: [Float]
    /// The classifier, `vocabularySize × dimension` (the token embedding when the file ties them).
    public let output: WeightMatrix
    /// The parsed file, kept alive because every matrix points into its mapping.
    public let file: GGUFFile
    /// The rearranged matrices, when there are any.
    public let planarStorage: PlanarStorage?
    /// The blocks' matrices decoded to float32 panels, when they are kept (`keepWeightPanels` of ``LlamaModel``).
    public let panelStorage: PlanarStorage?

    /// Binds the standard llama tensor names of `file`, checking every shape against `config`.
    ///
    /// With `kernels` `.integer`, every Q4_1 and Q8_0 matrix of the transformer blocks is copied into the planar
    /// layout and the file's pages it came from are released, so resident memory stays about the size of the
    /// model; the token embedding and classifier stay in the file. With `panels` (where ``FloatPanels`` is available),
    /// the blocks' matrices are also decoded to float32 panels once and kept, four bytes a weight (425 MB for
    /// SmolLM2-135M), for batched products that neither decode nor pack.
    public init(file: GGUFFile, config c: LlamaConfig, kernels: MatVecKernels = .preferred, panels: Bool = false) throws {
        self.file = file
        func matrix(_ name: String, rows: Int, columns: Int) throws -> WeightMatrix {
            let t = try file.requireTensor(name)
            guard t.dimensions == [columns, rows] else {
                throw InferenceError(.corrupt, "tensor \(name) has shape \(t.dimensions), expected [\(columns), \(rows)]")
            }
            guard t.type.blockSize == 1 || columns % 32 == 0 else {
                throw InferenceError(.corrupt, "tensor \(name) rows are not whole blocks")
            }
            return WeightMatrix(base: file.data(of: t), type: t.type, rows: rows, columns: columns)
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            let t = try file.requireTensor(name)
            guard t.elementCount == count else {
                throw InferenceError(.corrupt, "tensor \(name) has \(t.elementCount) elements, expected \(count)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer {
                BlockFormats.dequantize(t.type, file.data(of: t), count: count, into: $0.baseAddress!)
            }
            return values
        }
        let embedding = try matrix("token_embd.weight", rows: c.vocabularySize, columns: c.dimension)
        let tied = file.tensor(named: "output.weight") == nil
        let classifier = tied ? embedding : try matrix("output.weight", rows: c.vocabularySize, columns: c.dimension)
        outputNorm = try vector("output_norm.weight", count: c.dimension)
        let blocks = try (0..<c.layerCount).map { i in
            let p = "blk.\(i)."
            return LlamaLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", count: c.dimension),
                query: try matrix(p + "attn_q.weight", rows: c.dimension, columns: c.dimension),
                key: try matrix(p + "attn_k.weight", rows: c.kvDimension, columns: c.dimension),
                value: try matrix(p + "attn_v.weight", rows: c.kvDimension, columns: c.dimension),
                output: try matrix(p + "attn_output.weight", rows: c.dimension, columns: c.dimension),
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: c.dimension),
                gate: try matrix(p + "ffn_gate.weight", rows: c.hiddenDimension, columns: c.dimension),
                up: try matrix(p + "ffn_up.weight", rows: c.hiddenDimension, columns: c.dimension),
                down: try matrix(p + "ffn_down.weight", rows: c.dimension, columns: c.hiddenDimension))
        }
        var storage: PlanarStorage?
        var layers = blocks
        if kernels == .integer {
            // The classifier keeps float32 inputs: quantizing the final hidden state moves the logits by up to 0.14
            // on the reference prompts, while the float Q8_0 kernel streams it about as fast.
            let planarStorage = PlanarStorage(capacity: PlanarStorage.byteCount(of: blocks.flatMap(\.matrices)))
            func planar(_ m: WeightMatrix) -> WeightMatrix {
                let rearranged = m.planar(into: planarStorage)
                if rearranged.layout == .planar { file.release(m.base, byteCount: m.byteCount) }
                return rearranged
            }
            layers = blocks.map { $0.mapMatrices(planar) }
            storage = planarStorage
        }
        if panels, FloatPanels.available {
            let bytes = layers.flatMap(\.matrices).reduce(0) { $0 + FloatPanels.count(rows: $1.rows, columns: $1.columns) * MemoryLayout<Float>.stride + 64 }
            let kept = PlanarStorage(capacity: bytes)
            layers = layers.map { $0.mapMatrices { $0.withPanels(in: kept) } }
            panelStorage = kept
        } else {
            panelStorage = nil
        }
        tokenEmbedding = embedding
        output = classifier
        self.layers = layers
        planarStorage = storage
    }
}
