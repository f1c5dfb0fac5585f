/// Decode of several sequences at once: one step generates one token for each, and each weight matrix is streamed
/// from memory once per step for all of them.
///
/// Every sequence keeps its own ``LlamaRunState`` (KV cache and activations). Each product computes every row of a
/// tile of weight rows for each sequence in turn, with the same row kernels and the same row ranges as
/// ``decode(token:position:into:)``, so a sequence's numbers are bit for bit the ones it would get alone; only the
/// tile's first pass reads the rows from memory, the other sequences read them from cache.
extension LlamaModel {
    /// One sequence of a batched step: the token to run, its position and the sequence's state.
    struct BatchRow {
        let token: Int32
        let position: Int
        let state: LlamaRunState
    }

    /// Runs one token for each of `rows` (at most one row per state); each state's ``LlamaRunState/logits`` then
    /// holds its next-token logits.
    func decode(batch rows: [BatchRow]) throws {
        for row in rows {
            try checkToken(row.token)
            guard row.position >= 0, row.position < row.state.contextLength else {
                throw InferenceError(.invalidRequest, "position \(row.position) is outside the context of \(row.state.contextLength)")
            }
        }
        if rows.count == 1 {
            try decode(token: rows[0].token, position: rows[0].position, into: rows[0].state)
            return
        }
        guard !rows.isEmpty else { return }
        let c = config, d = c.dimension
        let states = rows.map(\.state)
        for row in rows {
            weights.tokenEmbedding.dequantize(rows: Int(row.token)..<Int(row.token) + 1, into: row.state.x)
        }
        func norm(_ weight: [Float]) {
            weight.withUnsafeBufferPointer { w in
                for s in states { VectorOps.rmsNorm(s.x, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: s.xb) }
            }
        }
        for (l, layer) in weights.layers.enumerated() {
            norm(layer.attentionNorm)
            BatchedMatVec.multiply([(layer.query, \.q), (layer.key, \.k), (layer.value, \.v)], input: \.xb, states: states, pool: pool)
            for row in rows {
                let s = row.state
                rope.apply(s.q, heads: c.headCount, headDimension: c.headDimension, position: row.position)
                rope.apply(s.k, heads: c.kvHeadCount, headDimension: c.headDimension, position: row.position)
                s.cache.store(layer: l, position: row.position, keys: s.k, values: s.v)
            }
            attend(layer: l, rows: rows)
            BatchedMatVec.multiply([(layer.output, \.xb2)], input: \.xb, states: states, pool: pool)
            for s in states { VectorOps.add(s.x, s.xb2, count: d) }
            norm(layer.feedForwardNorm)
            BatchedMatVec.multiply([(layer.gate, \.hb), (layer.up, \.hb2)], input: \.xb, states: states, pool: pool)
            for s in states { FastMath.swiGLU(s.hb, up: s.hb2, count: c.hiddenDimension) }
            BatchedMatVec.multiply([(layer.down, \.xb2)], input: \.hb, states: states, pool: pool)
            for s in states { VectorOps.add(s.x, s.xb2, count: d) }
        }
        norm(weights.outputNorm)
        BatchedMatVec.multiply([(weights.output, \.logits)], input: \.xb, states: states, pool: pool)
    }

    /// Decode attention of every row in one parallel section (the rows' items one after the other), then each row's
    /// merge: the same items and segments as a row alone.
    private func attend(layer: Int, rows: [BatchRow]) {
        var first: [Int] = []
        var segments: [Int] = []
        var total = 0
        for row in rows {
            let n = attentionSegments(position: row.position)
            first.append(total)
            segments.append(n)
            total += config.kvHeadCount * n
        }
        pool.run(chunks: total) { item in
            // The row whose items contain `item`: the last with a first item at or below it.
            var r = 0
            while r + 1 < first.count, first[r + 1] <= item { r += 1 }
            attendItem(item - first[r], layer: layer, position: rows[r].position, segments: segments[r], state: rows[r].state)
        }
        for (r, row) in rows.enumerated() { mergeAttention(position: row.position, segments: segments[r], state: row.state) }
    }
}

/// Matrix-vector products of several inputs (one per sequence) sharing each weight row's trip from memory.
enum BatchedMatVec {
    /// Rows per tile: each tile's rows are multiplied by every input before the next tile, so they stay in cache.
    /// A multiple of ``MatVec/rowAlignment``, so tiles start where the one-input products start their row pairs.
    static let tileRows = 64

    /// Computes `state[output] = matrix · state[input]` for every state and every (matrix, output) pair, the
    /// matrices' rows taken as one sequence cut into one range per thread as ``MatVec`` does.
    static func multiply(
        _ products: [(matrix: WeightMatrix, output: KeyPath<LlamaRunState, UnsafeMutablePointer<Float>>)],
        input: KeyPath<LlamaRunState, UnsafeMutablePointer<Float>>, states: [LlamaRunState], pool: ComputePool
    ) {
        let columns = products[0].matrix.columns
        var needs = (sums: false, quantize: false)
        for p in products {
            precondition(p.matrix.columns == columns)
            let n = MatVecInput.needs(p.matrix)
            needs = (needs.sums || n.sums, needs.quantize || n.quantize)
        }
        for s in states { s.matVecInput.prepare(s[keyPath: input], count: columns, sums: needs.sums, quantize: needs.quantize) }
        // Plain pointers for the workers: key paths cost a lookup each time they are applied.
        let batch = BatchedInputs(xs: states.map { $0[keyPath: input] }, inputs: states.map(\.matVecInput))
        let outputs = products.map { p in
            let list = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: states.count)
            for (j, s) in states.enumerated() { list[j] = s[keyPath: p.output] }
            return list
        }
        defer { for list in outputs { list.deallocate() } }
        let matrices = products.map(\.matrix)
        let total = matrices.reduce(0) { $0 + $1.rows }
        let parts = pool.threadCount
        pool.run(chunks: parts) { part in
            let range = MatVec.range(part, of: parts, rows: total)
            var start = 0
            for (m, matrix) in matrices.enumerated() {
                let lo = max(range.lowerBound, start), hi = min(range.upperBound, start + matrix.rows)
                var tile = lo
                while tile < hi {
                    let end = min(tile + tileRows, hi)
                    matrix.multiply(rows: tile - start..<end - start, batch: batch, into: outputs[m])
                    tile = end
                }
                start += matrix.rows
            }
        }
    }
}
