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
        try prefill(sequences: [(tokens, startPosition, target)], finalLogits: true,
                    hiddenRows: hiddenRows.map { rows in { _, start, count, pointer in rows(start, count, pointer) } })
    }

    /// Prefills several sequences at once, each into its own cache: their rows share every weight product (one
    /// sgemm over all of them, so each weight matrix is decoded and packed once per chunk for all), and attend only
    /// within their own sequence. `hiddenRows` hears each piece's final residual rows: the sequence's index, the
    /// piece's first position, its row count and the rows. With `finalLogits`, each sequence's state afterwards holds
    /// its last position's logits, as after ``prefill(tokens:startPosition:)``.
    func prefill(sequences: [(tokens: [Int32], startPosition: Int, target: LlamaRunState)], finalLogits: Bool,
                 hiddenRows: ((Int, Int, Int, UnsafePointer<Float>) -> Void)?) throws {
        for s in sequences {
            guard !s.tokens.isEmpty else { throw InferenceError(.invalidRequest, "prefill needs at least one token") }
            guard s.startPosition >= 0, s.tokens.count <= s.target.contextLength - s.startPosition, s.target.contextLength <= contextLength else {
                throw InferenceError(
                    .invalidRequest,
                    "\(s.tokens.count) tokens from position \(s.startPosition) exceed the context of \(s.target.contextLength)")
            }
            for token in s.tokens { try checkToken(token) }
        }
        // Chunks of at most `prefillChunk` rows, filled with pieces of the sequences in order.
        var pieces: [Piece] = []
        var rows = 0
        func flush() {
            guard !pieces.isEmpty else { return }
            evaluate(pieces, finalLogits: finalLogits, hiddenRows: hiddenRows)
            pieces.removeAll(keepingCapacity: true)
            rows = 0
        }
        for (index, s) in sequences.enumerated() {
            var offset = 0
            while offset < s.tokens.count {
                if rows == state.prefillChunk { flush() }
                let count = min(state.prefillChunk - rows, s.tokens.count - offset)
                pieces.append(Piece(sequence: index, tokens: Array(s.tokens[offset..<offset + count]), start: s.startPosition + offset,
                                    row: rows, target: s.target, last: offset + count == s.tokens.count))
                rows += count
                offset += count
            }
        }
        flush()
    }

    /// Consecutive tokens of one sequence inside a chunk: their first position, and their first row in the chunk.
    struct Piece {
        let sequence: Int
        let tokens: [Int32]
        let start: Int
        let row: Int
        let target: LlamaRunState
        /// Whether the piece ends its sequence.
        let last: Bool
    }

    private func evaluate(_ pieces: [Piece], finalLogits: Bool, hiddenRows: ((Int, Int, Int, UnsafePointer<Float>) -> Void)?) {
        let c = config, b = state.prefillBuffers(config: config)
        let d = c.dimension, kvDim = c.kvDimension, hd = c.headDimension
        let t = pieces.reduce(0) { $0 + $1.tokens.count }
        // The position and cache of every row.
        var positions = [Int](repeating: 0, count: t)
        var caches = [KVCache]()
        caches.reserveCapacity(t)
        for piece in pieces {
            for (i, token) in piece.tokens.enumerated() {
                weights.tokenEmbedding.dequantize(rows: Int(token)..<Int(token) + 1, into: b.x + (piece.row + i) * d)
                positions[piece.row + i] = piece.start + i
                caches.append(piece.target.cache)
            }
        }
        for (l, layer) in weights.layers.enumerated() {
            normRows(b.x, weight: layer.attentionNorm, into: b.xb, tokens: t)
            MatMul.multiply(layer.query, x: b.xb, tokens: t, output: b.q, tile: b.tile, pool: pool)
            MatMul.multiply(layer.key, x: b.xb, tokens: t, output: b.k, tile: b.tile, pool: pool)
            MatMul.multiply(layer.value, x: b.xb, tokens: t, output: b.v, tile: b.tile, pool: pool)
            positions.withUnsafeBufferPointer { position in
                caches.withUnsafeBufferPointer { cache in
                    pool.run(chunks: t) { i in
                        rope.apply(b.q + i * d, heads: c.headCount, headDimension: hd, position: position[i])
                        rope.apply(b.k + i * kvDim, heads: c.kvHeadCount, headDimension: hd, position: position[i])
                        cache[i].store(layer: l, position: position[i], keys: b.k + i * kvDim, values: b.v + i * kvDim)
                    }
                }
            }
            for piece in pieces {
                attendBatch(b, layer: l, row: piece.row, tokens: piece.tokens.count, start: piece.start, cache: piece.target.cache)
            }
            MatMul.multiply(layer.output, x: b.xb, tokens: t, output: b.x, tile: b.tile, accumulate: true, pool: pool)
            normRows(b.x, weight: layer.feedForwardNorm, into: b.xb, tokens: t)
            MatMul.multiply(layer.gate, x: b.xb, tokens: t, output: b.hb, tile: b.tile, pool: pool)
            MatMul.multiply(layer.up, x: b.xb, tokens: t, output: b.hb2, tile: b.tile, pool: pool)
            let h = c.hiddenDimension
            pool.run(chunks: t) { i in FastMath.swiGLU(b.hb + i * h, up: b.hb2 + i * h, count: h) }
            MatMul.multiply(layer.down, x: b.hb, tokens: t, output: b.x, tile: b.tile, accumulate: true, pool: pool)
        }
        for piece in pieces {
            hiddenRows?(piece.sequence, piece.start, piece.tokens.count, UnsafePointer(b.x + piece.row * d))
            // Only the last position's logits are needed; the residual row is copied so decode can reuse it.
            guard finalLogits, piece.last else { continue }
            let target = piece.target
            target.x.update(from: b.x + (piece.row + piece.tokens.count - 1) * d, count: d)
            weights.outputNorm.withUnsafeBufferPointer {
                VectorOps.rmsNorm(target.x, weight: $0.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: target.xb)
            }
            MatVec.multiply(weights.output, x: target.xb, input: target.matVecInput, output: target.logits, pool: pool)
        }
    }

    private func normRows(_ x: UnsafeMutablePointer<Float>, weight: [Float], into out: UnsafeMutablePointer<Float>, tokens: Int) {
        let d = config.dimension, epsilon = config.rmsEpsilon
        weight.withUnsafeBufferPointer { w in
            for i in 0..<tokens {
                VectorOps.rmsNorm(x + i * d, weight: w.baseAddress!, epsilon: epsilon, count: d, into: out + i * d)
            }
        }
    }

    /// Causal attention of the queries in rows `row..<row + tokens` of `b.q` over the cached positions
    /// `0..<start + tokens` of `layer`, into the same rows of `b.xb`.
    private func attendBatch(_ b: LlamaRunState.PrefillBuffers, layer: Int, row: Int, tokens t: Int, start: Int, cache: KVCache) {
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
                a: b.q + row * d + h * hd, b: keys, c: scores, m: t, n: span, k: hd, transposeB: true,
                alpha: scale, lda: d, ldb: hd, ldc: span)
            for i in 0..<t {
                let row = scores + i * span
                let visible = start + i + 1
                FastMath.softmax(row, count: visible)
                if visible < span { (row + visible).update(repeating: 0, count: span - visible) }
            }
            // out_h = scores · V_h, written into head h's columns of xb.
            MatMul.sgemm(
                a: scores, b: values, c: b.xb + row * d + h * hd, m: t, n: hd, k: span, transposeB: false,
                lda: span, ldb: hd, ldc: d)
        }
    }
}
