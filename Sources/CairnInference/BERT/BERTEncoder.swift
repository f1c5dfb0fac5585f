/// A BERT encoder (MiniLM and kin): embeddings, then `layerCount` post-LayerNorm transformer layers.
///
/// Batches are computed packed: only the real tokens of a ``BERTBatch`` are gathered, so the dense layers are
/// one matrix product over every real token of the batch and no work is spent on padding; attention runs per
/// sequence over that sequence's unmasked tokens, which is what the padded attention mask means. Positions are
/// the tokens' columns in the padded batch, as in Hugging Face. The weights are immutable, every call uses its
/// own scratch memory, and the type is `Sendable`. Work is spread over a ``ComputePool`` (one thread per core)
/// with OpenBLAS kept single-threaded, as the Llama decoder does, so the two can share a process.
public final class BERTEncoder: Sendable {
    /// The model's shape.
    public let config: BERTConfig
    let weights: BERTWeights
    /// The threads the matrix products and attention heads are spread over.
    let pool: ComputePool

    /// Loads the encoder from a safetensors file.
    /// - Parameter pool: threads to compute on (default: the process-wide pool, one thread per core).
    /// - Throws: `.missingField` for an absent or misshapen tensor, plus the file's own errors.
    public init(config: BERTConfig, weights file: SafetensorsFile, pool: ComputePool = .shared) throws {
        self.config = config
        self.weights = try BERTWeights(file: file, config: config)
        self.pool = pool
        MatMul.setBLASThreads(1)
    }

    /// The mean of each sequence's final hidden states over its unmasked tokens: `[batchSize][hiddenSize]`.
    /// A sequence with no unmasked token gives a zero vector.
    /// - Throws: `.invalidRequest` for token ids, token types or positions outside the model's tables.
    public func meanPooled(_ batch: BERTBatch) throws -> [[Float]] {
        let h = config.hiddenSize
        var spans: [Range<Int>] = []
        var ids: [Int32] = [], positions: [Int], types: [Int32] = []
        positions = []
        for row in 0..<batch.batchSize {
            let start = ids.count
            for column in 0..<batch.length where batch.attentionMask[row * batch.length + column] == 1 {
                ids.append(batch.inputIDs[row * batch.length + column])
                types.append(batch.tokenTypeIDs[row * batch.length + column])
                positions.append(column)
            }
            spans.append(start..<ids.count)
        }
        try validate(ids: ids, types: types, positions: positions)
        let states = hiddenStates(ids: ids, types: types, positions: positions, spans: spans)
        return spans.map { span in
            var mean = [Float](repeating: 0, count: h)
            guard !span.isEmpty else { return mean }
            for token in span {
                for i in 0..<h { mean[i] += states[token * h + i] }
            }
            let inverse = 1 / Float(span.count)
            for i in 0..<h { mean[i] *= inverse }
            return mean
        }
    }

    private func validate(ids: [Int32], types: [Int32], positions: [Int]) throws {
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            throw InferenceError(.invalidRequest, "token id \(bad) is outside the vocabulary of \(config.vocabularySize)")
        }
        if let bad = types.first(where: { $0 < 0 || Int($0) >= config.typeVocabularySize }) {
            throw InferenceError(.invalidRequest, "token type \(bad) is outside 0..<\(config.typeVocabularySize)")
        }
        if let last = positions.max(), last >= config.maxPositions {
            throw InferenceError(
                .invalidRequest, "sequence of \(last + 1) tokens exceeds the model's \(config.maxPositions) positions")
        }
    }

    /// Per-call activations, carved from one allocation.
    private struct Scratch {
        let x: UnsafeMutablePointer<Float>  // [t, h] hidden states
        let qkv: UnsafeMutablePointer<Float>  // [t, 3h] query | key | value
        let context: UnsafeMutablePointer<Float>  // [t, h] attention output before projection
        let projected: UnsafeMutablePointer<Float>  // [t, h] a sublayer's output before the residual
        let inner: UnsafeMutablePointer<Float>  // [t, f] feed-forward activations
        let scores: UnsafeMutablePointer<Float>  // [heads, longest, longest]: one matrix per head, run in parallel
    }

    /// Final hidden states of packed tokens, `[ids.count, hiddenSize]`; `spans` are the sequences' token ranges.
    func hiddenStates(ids: [Int32], types: [Int32], positions: [Int], spans: [Range<Int>]) -> [Float] {
        let t = ids.count, h = config.hiddenSize, f = config.intermediateSize, heads = config.headCount
        guard t > 0 else { return [] }
        let longest = spans.map(\.count).max() ?? 0
        let sizes = [t * h, t * 3 * h, t * h, t * h, t * f, heads * longest * longest]
        let memory = UnsafeMutablePointer<Float>.allocate(capacity: sizes.reduce(0, +))
        defer { memory.deallocate() }
        var offsets = [0]
        for size in sizes { offsets.append(offsets.last! + size) }
        let scratch = Scratch(
            x: memory + offsets[0], qkv: memory + offsets[1], context: memory + offsets[2],
            projected: memory + offsets[3], inner: memory + offsets[4], scores: memory + offsets[5])
        embed(ids: ids, types: types, positions: positions, into: scratch.x)
        for layer in weights.layers {
            run(layer, tokens: t, spans: spans, longest: longest, scratch: scratch)
        }
        return Array(UnsafeBufferPointer(start: scratch.x, count: t * h))
    }

    /// One post-LayerNorm transformer layer over all packed tokens, in place on `scratch.x`.
    private func run(_ layer: BERTWeights.Layer, tokens t: Int, spans: [Range<Int>], longest: Int, scratch s: Scratch) {
        let h = config.hiddenSize, f = config.intermediateSize, heads = config.headCount
        let epsilon = config.layerNormEpsilon
        BERTLinear.apply(
            s.x, rows: t, inFeatures: h, weight: layer.qkvWeight, bias: layer.qkvBias, outFeatures: 3 * h,
            into: s.qkv, pool: pool)
        pool.run(chunks: heads) { head in
            for span in spans where !span.isEmpty {
                BERTKernels.attention(
                    qkv: s.qkv + span.lowerBound * 3 * h, count: span.count, hidden: h, heads: heads, head: head,
                    scores: s.scores + head * longest * longest, context: s.context + span.lowerBound * h)
            }
        }
        BERTLinear.apply(
            s.context, rows: t, inFeatures: h, weight: layer.attentionOutWeight, bias: layer.attentionOutBias,
            outFeatures: h, into: s.projected, pool: pool)
        BERTKernels.addLayerNorm(
            s.x, residual: s.projected, rows: t, width: h, weight: layer.attentionNormWeight,
            bias: layer.attentionNormBias, epsilon: epsilon)
        BERTLinear.apply(
            s.x, rows: t, inFeatures: h, weight: layer.intermediateWeight, bias: layer.intermediateBias,
            outFeatures: f, into: s.inner, pool: pool)
        let rowsPerChunk = max(1, 4096 / f)
        pool.run(chunks: (t + rowsPerChunk - 1) / rowsPerChunk) { chunk in
            let lo = chunk * rowsPerChunk
            BERTKernels.gelu(s.inner + lo * f, count: (min(lo + rowsPerChunk, t) - lo) * f)
        }
        BERTLinear.apply(
            s.inner, rows: t, inFeatures: f, weight: layer.outputWeight, bias: layer.outputBias, outFeatures: h,
            into: s.projected, pool: pool)
        BERTKernels.addLayerNorm(
            s.x, residual: s.projected, rows: t, width: h, weight: layer.outputNormWeight,
            bias: layer.outputNormBias, epsilon: epsilon)
    }

    /// `x = LayerNorm(word[id] + position[p] + tokenType[type])` for every packed token.
    private func embed(ids: [Int32], types: [Int32], positions: [Int], into x: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize
        weights.wordEmbeddings.withUnsafeBufferPointer { word in
            weights.positionEmbeddings.withUnsafeBufferPointer { position in
                weights.tokenTypeEmbeddings.withUnsafeBufferPointer { type in
                    for token in ids.indices {
                        let w = Int(ids[token]) * h, p = positions[token] * h, y = Int(types[token]) * h
                        for i in 0..<h { x[token * h + i] = word[w + i] + position[p + i] + type[y + i] }
                    }
                }
            }
        }
        BERTKernels.addLayerNorm(
            x, residual: nil, rows: ids.count, width: h, weight: weights.embeddingNormWeight,
            bias: weights.embeddingNormBias, epsilon: config.layerNormEpsilon)
    }
}
