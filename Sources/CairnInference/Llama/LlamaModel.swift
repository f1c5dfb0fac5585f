/// A llama-architecture decoder with its KV cache: prefill a prompt in batches, then decode token by token.
///
/// Not thread-safe: one sequence at a time. Share it across tasks through ``ModelContainer``.
public final class LlamaModel {
    /// The hyperparameters.
    public let config: LlamaConfig
    /// The mapped weights.
    public let weights: LlamaWeights
    /// The number of positions the KV cache holds.
    public let contextLength: Int
    let state: LlamaRunState
    let rope: RoPETable
    let pool: ComputePool

    /// Loads the llama model in `file`.
    /// - Parameters:
    ///   - contextLength: KV cache positions; defaults to the trained length capped at 2048 to bound memory.
    ///   - prefillChunk: the most prompt tokens processed per batched pass.
    ///   - kernels: the matrix-vector kernels of the transformer blocks in decode; `.integer` (the default where
    ///     the processor has AVX2) quantizes their inputs to int8 as llama.cpp does, `.floatingPoint` keeps
    ///     float32 inputs. The logits always come from float32 inputs.
    ///   - cache: how the KV cache stores keys and values; float16 (the default, as llama.cpp's) halves what
    ///     decode attention reads per cached position.
    ///   - keepWeightPanels: keep the blocks' matrices decoded to float32 panels (``FloatPanels``; four bytes a
    ///     weight), so that batched passes (prefill, and a verifier's re-scoring) neither decode nor pack them: a short
    ///     pass runs about as fast per token as a long one. Their sums round differently from OpenBLAS's in the last
    ///     bits. Ignored where the processor lacks AVX-512F and AVX2; decode never reads the panels.
    public init(
        file: GGUFFile, contextLength: Int? = nil, prefillChunk: Int = 512, pool: ComputePool = .shared,
        kernels: MatVecKernels = .preferred, cache: KVCachePrecision = .float16, keepWeightPanels: Bool = false
    ) throws {
        config = try LlamaConfig(file: file)
        weights = try LlamaWeights(file: file, config: config, kernels: kernels, panels: keepWeightPanels)
        let context = contextLength ?? min(config.trainedContextLength, 2048)
        guard context > 0 else { throw InferenceError(.invalidRequest, "context length must be positive") }
        self.contextLength = context
        state = LlamaRunState(config: config, contextLength: context, prefillChunk: max(1, prefillChunk), cache: cache)
        rope = RoPETable(positions: context, rotaryDimensions: config.ropeDimensions, base: config.ropeBase)
        self.pool = pool
        MatMul.setBLASThreads(1)
    }

    /// Loads the llama model at `path`.
    public convenience init(path: String, contextLength: Int? = nil) throws {
        try self.init(file: GGUFFile(path: path), contextLength: contextLength)
    }

    /// The logits of the last evaluated position, `vocabularySize` floats.
    ///
    /// The buffer belongs to the model: it is overwritten by the next ``decode(token:position:)`` or
    /// ``prefill(tokens:startPosition:)`` and must not be used after the model is released.
    public var logits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: state.logits, count: config.vocabularySize)
    }

    func checkToken(_ token: Int32) throws {
        guard token >= 0, Int(token) < config.vocabularySize else {
            throw InferenceError(.invalidRequest, "token id \(token) is outside the vocabulary of \(config.vocabularySize)")
        }
    }

    /// Runs one token at `position` (all earlier positions must already be in the cache); read ``logits`` after.
    ///
    /// Allocation-free: every buffer lives in the preallocated run state.
    public func decode(token: Int32, position: Int) throws {
        try decode(token: token, position: position, into: state)
    }

    /// ``decode(token:position:)`` for the sequence whose cache and activations are `s`; its logits land in `s.logits`.
    func decode(token: Int32, position: Int, into s: LlamaRunState) throws {
        try checkToken(token)
        guard position >= 0, position < s.contextLength else {
            throw InferenceError(.invalidRequest, "position \(position) is outside the context of \(s.contextLength)")
        }
        let c = config
        let d = c.dimension
        weights.tokenEmbedding.dequantize(rows: Int(token)..<Int(token) + 1, into: s.x)
        for (l, layer) in weights.layers.enumerated() {
            layer.attentionNorm.withUnsafeBufferPointer {
                VectorOps.rmsNorm(s.x, weight: $0.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: s.xb)
            }
            MatVec.multiply(
                layer.query, into: s.q, layer.key, into: s.k, layer.value, into: s.v, x: s.xb, input: s.matVecInput,
                pool: pool)
            rope.apply(s.q, heads: c.headCount, headDimension: c.headDimension, position: position)
            rope.apply(s.k, heads: c.kvHeadCount, headDimension: c.headDimension, position: position)
            s.cache.store(layer: l, position: position, keys: s.k, values: s.v)
            attend(layer: l, position: position, state: s)
            MatVec.multiply(layer.output, x: s.xb, input: s.matVecInput, output: s.xb2, pool: pool)
            VectorOps.add(s.x, s.xb2, count: d)
            layer.feedForwardNorm.withUnsafeBufferPointer {
                VectorOps.rmsNorm(s.x, weight: $0.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: s.xb)
            }
            MatVec.multiply(layer.gate, into: s.hb, layer.up, into: s.hb2, x: s.xb, input: s.matVecInput, pool: pool)
            FastMath.swiGLU(s.hb, up: s.hb2, count: c.hiddenDimension)
            MatVec.multiply(layer.down, x: s.hb, input: s.matVecInput, output: s.xb2, pool: pool)
            VectorOps.add(s.x, s.xb2, count: d)
        }
        weights.outputNorm.withUnsafeBufferPointer {
            VectorOps.rmsNorm(s.x, weight: $0.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: s.xb)
        }
        MatVec.multiply(weights.output, x: s.xb, input: s.matVecInput, output: s.logits, pool: pool)
    }
}
