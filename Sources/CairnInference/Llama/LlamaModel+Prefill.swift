/// Batched prompt evaluation: each weight matrix is applied to a whole chunk of tokens with one sgemm.
extension LlamaModel {
    /// Evaluates `tokens` at positions `startPosition...` into the KV cache; ``logits`` then holds the last position's.
    ///
    /// - Throws: `.invalidRequest` if the tokens are empty, out of the vocabulary, or run past the context.
    public func prefill(tokens: [Int32], startPosition: Int = 0) throws {
        try prefill(tokens: tokens, startPosition: startPosition, hiddenRows: nil)
    }

    /// ``prefill(tokens:startPosition:)`` that also hands each chunk's final residual rows (before the output norm) to
    /// `hiddenRows`: the chunk's first position, its row count, and `count × dimension` floats valid during the call.
    func prefill(tokens: [Int32], startPosition: Int, hiddenRows: ((Int, Int, UnsafePointer<Float>) -> Void)?) throws {
        try prefill(tokens: tokens, startPosition: startPosition, hiddenRows: hiddenRows, into: state)
    }

    /// Prefill into the sequence whose cache and activations are `target` (the model's own state holds the scratch).
    func prefill(tokens: [Int32], startPosition: Int, hiddenRows: ((Int, Int, UnsafePointer<Float>) -> Void)?,
                 into target: LlamaRunState) throws {
        guard !tokens.isEmpty else { throw InferenceError(.invalidRequest, "prefill needs at least one token") }
        guard startPosition >= 0, tokens.count <= target.contextLength - startPosition else {
            throw InferenceError(
                .invalidRequest,
                "\(tokens.count) tokens from position \(startPosition) exceed the context of \(target.contextLength)")
        }
        for token in tokens { try checkToken(token) }
        var offset = 0
        while offset < tokens.count {
            let count = min(state.prefillChunk, tokens.count - offset)
            tokens.withUnsafeBufferPointer {
                evaluateChunk(UnsafeBufferPointer(rebasing: $0[offset..<offset + count]), start: startPosition + offset, hiddenRows: hiddenRows,
                              into: target)
            }
            offset += count
        }
    }

    private func evaluateChunk(_ tokens: UnsafeBufferPointer<Int32>, start: Int, hiddenRows: ((Int, Int, UnsafePointer<Float>) -> Void)?,
                               into target: LlamaRunState) {
        let c = config, b = state.prefillBuffers(config: config)
        let t = tokens.count, d = c.dimension, kvDim = c.kvDimension, hd = c.headDimension
        for (i, token) in tokens.enumerated() {
            weights.tokenEmbedding.dequantize(rows: Int(token)..<Int(token) + 1, into: b.x + i * d)
        }
        let cache = target.cache
        for (l, layer) in weights.layers.enumerated() {
            normRows(b.x, weight: layer.attentionNorm, into: b.xb, tokens: t)
            MatMul.multiply(layer.query, x: b.xb, tokens: t, output: b.q, tile: b.tile, pool: pool)
            MatMul.multiply(layer.key, x: b.xb, tokens: t, output: b.k, tile: b.tile, pool: pool)
            MatMul.multiply(layer.value, x: b.xb, tokens: t, output: b.v, tile: b.tile, pool: pool)
            pool.run(chunks: t) { i in
                rope.apply(b.q + i * d, heads: c.headCount, headDimension: hd, position: start + i)
                rope.apply(b.k + i * kvDim, heads: c.kvHeadCount, headDimension: hd, position: start + i)
                cache.store(layer: l, position: start + i, keys: b.k + i * kvDim, values: b.v + i * kvDim)
            }
            attendBatch(b, layer: l, tokens: t, start: start, cache: cache)
            MatMul.multiply(layer.output, x: b.xb, tokens: t, output: b.x, tile: b.tile, accumulate: true, pool: pool)
            normRows(b.x, weight: layer.feedForwardNorm, into: b.xb, tokens: t)
            MatMul.multiply(layer.gate, x: b.xb, tokens: t, output: b.hb, tile: b.tile, pool: pool)
            MatMul.multiply(layer.up, x: b.xb, tokens: t, output: b.hb2, tile: b.tile, pool: pool)
            let h = c.hiddenDimension
            pool.run(chunks: t) { i in FastMath.swiGLU(b.hb + i * h, up: b.hb2 + i * h, count: h) }
            MatMul.multiply(layer.down, x: b.hb, tokens: t, output: b.x, tile: b.tile, accumulate: true, pool: pool)
        }
        hiddenRows?(start, t, UnsafePointer(b.x))
        // Only the last position's logits are needed; the residual row is copied so decode can reuse it.
        target.x.update(from: b.x + (t - 1) * d, count: d)
        weights.outputNorm.withUnsafeBufferPointer {
            VectorOps.rmsNorm(target.x, weight: $0.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: target.xb)
        }
        MatVec.multiply(weights.output, x: target.xb, input: target.matVecInput, output: target.logits, pool: pool)
    }

    private func normRows(_ x: UnsafeMutablePointer<Float>, weight: [Float], into out: UnsafeMutablePointer<Float>, tokens: Int) {
        let d = config.dimension, epsilon = config.rmsEpsilon
        weight.withUnsafeBufferPointer { w in
            for i in 0..<tokens {
                VectorOps.rmsNorm(x + i * d, weight: w.baseAddress!, epsilon: epsilon, count: d, into: out + i * d)
            }
        }
    }

    /// Causal attention of the chunk's queries (`b.q`) over the cached positions `0..<start + tokens` of
    /// `layer`, into `b.xb`.
    private func attendBatch(_ b: LlamaRunState.PrefillBuffers, layer: Int, tokens t: Int, start: Int, cache: KVCache) {
        let c = config, d = c.dimension, hd = c.headDimension
        let group = c.headCount / c.kvHeadCount
        let span = start + t
        let scale = 1 / Float(hd).squareRoot()
        // Each KV head's cached keys and values as Float rows, for sgemm.
        pool.run(chunks: c.kvHeadCount) { g in
            cache.load(layer: layer, head: g, count: span, keys: b.cachedKeys + g * contextLength * hd,
                       values: b.cachedValues + g * contextLength * hd)
        }
        pool.run(chunks: c.headCount) { h in
            let keys = b.cachedKeys + (h / group) * contextLength * hd
            let values = b.cachedValues + (h / group) * contextLength * hd
            let scores = b.scores + h * t * span
            // scores[i][j] = q_i · k_j / sqrt(hd) for j < span
            MatMul.sgemm(
                a: b.q + h * hd, b: keys, c: scores, m: t, n: span, k: hd, transposeB: true,
                alpha: scale, lda: d, ldb: hd, ldc: span)
            for i in 0..<t {
                let row = scores + i * span
                let visible = start + i + 1
                FastMath.softmax(row, count: visible)
                if visible < span { (row + visible).update(repeating: 0, count: span - visible) }
            }
            // out_h = scores · V_h, written into head h's columns of xb.
            MatMul.sgemm(
                a: scores, b: values, c: b.xb + h * hd, m: t, n: hd, k: span, transposeB: false,
                lda: span, ldb: hd, ldc: d)
        }
    }
}
