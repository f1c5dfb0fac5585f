/// Times the transformer blocks' matrix-vector products of decode for one input and for a batch of inputs, over
/// the model's real weights: what batching saves per sequence, without attention, sampling or scheduling.
public enum BatchBenchmark {
    /// Seconds per decode step's products over every layer: for one input, and for `batch` inputs at once (the
    /// whole batch's time). The best of `runs`.
    public static func layerProducts(_ model: LlamaModel, batch: Int, runs: Int) -> (single: Double, batched: Double) {
        let c = model.config
        let states = (0..<max(1, batch)).map { _ in
            LlamaRunState(config: c, contextLength: 1, prefillChunk: 1, cache: model.state.cache.precision)
        }
        var rng = Xoshiro256(seed: 3)
        for s in states {
            for i in 0..<c.dimension { s.xb[i] = rng.nextUnitFloat() * 2 - 1 }
            for i in 0..<c.hiddenDimension { s.hb[i] = rng.nextUnitFloat() * 2 - 1 }
        }
        func pass(_ states: [LlamaRunState]) {
            for layer in model.weights.layers {
                BatchedMatVec.multiply([(layer.query, \.q), (layer.key, \.k), (layer.value, \.v)], input: \.xb, states: states, pool: model.pool)
                BatchedMatVec.multiply([(layer.output, \.xb2)], input: \.xb, states: states, pool: model.pool)
                BatchedMatVec.multiply([(layer.gate, \.hb), (layer.up, \.hb2)], input: \.xb, states: states, pool: model.pool)
                BatchedMatVec.multiply([(layer.down, \.xb2)], input: \.hb, states: states, pool: model.pool)
            }
        }
        var single = Double.infinity, batched = Double.infinity
        for _ in 0..<max(1, runs) {
            let t0 = TextGenerator.now()
            pass([states[0]])
            let t1 = TextGenerator.now()
            pass(states)
            let t2 = TextGenerator.now()
            single = min(single, t1 - t0)
            batched = min(batched, t2 - t1)
        }
        return (single, batched)
    }
}
