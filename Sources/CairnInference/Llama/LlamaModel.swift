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
    ///     the processor has AVX-VNNI) quantizes their inputs to int8 as llama.cpp does, `.floatingPoint` keeps
    ///     float32 inputs. The logits always come from float32 inputs.
    public init(
        file: GGUFFile, contextLength: Int? = nil, prefillChunk: Int = 512, pool: ComputePool = .shared,
        kernels: MatVecKernels = .preferred
    ) throws {
        config = try LlamaConfig(file: file)
        weights = try LlamaWeights(file: file, config: config, kernels: kernels)
        let context = contextLength ?? min(config.trainedContextLength, 2048)
        guard context > 0 else { throw InferenceError(.invalidRequest, "context length must be positive") }
        self.contextLength = context
        state = LlamaRunState(config: config, contextLength: context, prefillChunk: max(1, prefillChunk))
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
        try checkToken(token)
        guard position >= 0, position < contextLength else {
            throw InferenceError(.invalidRequest, "position \(position) is outside the context of \(contextLength)")
        }
        let c = config, s = state
        let d = c.dimension, kvDim = c.kvDimension
        weights.tokenEmbedding.dequantize(rows: Int(token)..<Int(token) + 1, into: s.x)
        for (l, layer) in weights.layers.enumerated() {
            let keys = s.keyCache + l * contextLength * kvDim
            let values = s.valueCache + l * contextLength * kvDim
            layer.attentionNorm.withUnsafeBufferPointer {
                VectorOps.rmsNorm(s.x, weight: $0.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: s.xb)
            }
            MatVec.multiply(
                layer.query, into: s.q, layer.key, into: keys + position * kvDim,
                layer.value, into: values + position * kvDim, x: s.xb, input: s.matVecInput, pool: pool)
            rope.apply(s.q, heads: c.headCount, headDimension: c.headDimension, position: position)
            rope.apply(keys + position * kvDim, heads: c.kvHeadCount, headDimension: c.headDimension, position: position)
            attend(keys: keys, values: values, position: position)
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

    /// One head of 64 dimensions: the query and the output stay in registers across all positions.
    @inline(__always)
    static func attendHead64(
        q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        positions: Int, scale: Float, scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let q0 = DotKernels.load16(q) * scale, q1 = DotKernels.load16(q + 16) * scale
        let q2 = DotKernels.load16(q + 32) * scale, q3 = DotKernels.load16(q + 48) * scale
        for t in 0..<positions {
            let k = keys + t * stride
            let sum = (q0 * DotKernels.load16(k)).addingProduct(q1, DotKernels.load16(k + 16))
                .addingProduct(q2, DotKernels.load16(k + 32)).addingProduct(q3, DotKernels.load16(k + 48))
            scores[t] = DotKernels.hsum(sum)
        }
        FastMath.softmax(scores, count: positions)
        var o0 = SIMD16<Float>(), o1 = SIMD16<Float>(), o2 = SIMD16<Float>(), o3 = SIMD16<Float>()
        for t in 0..<positions {
            let v = values + t * stride, a = SIMD16<Float>(repeating: scores[t])
            o0 = o0.addingProduct(a, DotKernels.load16(v))
            o1 = o1.addingProduct(a, DotKernels.load16(v + 16))
            o2 = o2.addingProduct(a, DotKernels.load16(v + 32))
            o3 = o3.addingProduct(a, DotKernels.load16(v + 48))
        }
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: o0, as: SIMD16<Float>.self)
        raw.storeBytes(of: o1, toByteOffset: 64, as: SIMD16<Float>.self)
        raw.storeBytes(of: o2, toByteOffset: 128, as: SIMD16<Float>.self)
        raw.storeBytes(of: o3, toByteOffset: 192, as: SIMD16<Float>.self)
    }

    /// Attention of the current query `state.q` over cached positions `0...position`, written to `state.xb`.
    private func attend(keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>, position: Int) {
        let c = config, s = state
        let headDim = c.headDimension, kvDim = c.kvDimension, group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(headDim).squareRoot()
        let context = contextLength
        let body = { (h: Int) in
            let q = s.q + h * headDim
            let kvOffset = (h / group) * headDim
            let att = s.scores + h * context
            let out = s.xb + h * headDim
            if headDim == 64 {
                Self.attendHead64(q: q, keys: keys + kvOffset, values: values + kvOffset, stride: kvDim,
                                  positions: position + 1, scale: scale, scores: att, into: out)
                return
            }
            for t in 0...position {
                att[t] = DotKernels.f32(q, keys + t * kvDim + kvOffset, count: headDim) * scale
            }
            FastMath.softmax(att, count: position + 1)
            out.update(repeating: 0, count: headDim)
            for t in 0...position {
                VectorOps.axpy(out, att[t], values + t * kvDim + kvOffset, count: headDim)
            }
        }
        // Very short contexts cost less than a parallel section's synchronisation.
        if position < 16 {
            for h in 0..<c.headCount { body(h) }
        } else {
            pool.run(chunks: c.headCount, body)
        }
    }
}
