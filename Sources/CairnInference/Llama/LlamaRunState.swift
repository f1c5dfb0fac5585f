/// Preallocated activations and KV cache for one sequence; decode touches only these buffers.
///
/// Shapes use `D = dimension`, `H = hiddenDimension`, `KV = kvDimension`, `C = contextLength`,
/// `L = layerCount`, `V = vocabularySize`, `N = headCount`, `T = prefillChunk`, `HD = headDimension`,
/// `S = maximumAttentionSegments`, `KVH = kvHeadCount`.
final class LlamaRunState {
    let contextLength: Int
    let prefillChunk: Int
    // Decode (one token):
    let x: UnsafeMutablePointer<Float>  // [D] residual stream
    let xb: UnsafeMutablePointer<Float>  // [D] normed input / attention output
    let xb2: UnsafeMutablePointer<Float>  // [D] projection output
    let q: UnsafeMutablePointer<Float>  // [D] query of the current token
    let k: UnsafeMutablePointer<Float>  // [KV] key of the current token
    let v: UnsafeMutablePointer<Float>  // [KV] value of the current token
    let hb: UnsafeMutablePointer<Float>  // [H] gate, then SwiGLU output
    let hb2: UnsafeMutablePointer<Float>  // [H] up
    let scores: UnsafeMutablePointer<Float>  // [N][C] attention weights per head
    let partialOutputs: UnsafeMutablePointer<Float>  // [N][S][HD] attention output per segment, unnormalised
    let partialMaxima: UnsafeMutablePointer<Float>  // [N][S] the largest score per segment
    let partialSums: UnsafeMutablePointer<Float>  // [N][S] the softmax denominator per segment
    let matVecInput: MatVecInput  // [max(D, H)] a matvec input prepared for the kernels
    let logits: UnsafeMutablePointer<Float>  // [V]
    let cache: KVCache
    // Prefill (allocated on first use, T tokens at a time):
    private(set) var batch: PrefillBuffers?

    /// Batched activations for prefill.
    final class PrefillBuffers {
        let x: UnsafeMutablePointer<Float>  // [T][D] residual stream
        let xb: UnsafeMutablePointer<Float>  // [T][D] normed input / attention output
        let q: UnsafeMutablePointer<Float>  // [T][D] queries
        let k: UnsafeMutablePointer<Float>  // [T][KV] keys
        let v: UnsafeMutablePointer<Float>  // [T][KV] values
        let cachedKeys: UnsafeMutablePointer<Float>  // [KVH][C][HD] the cache's keys as Float, per KV head
        let cachedValues: UnsafeMutablePointer<Float>  // [KVH][C][HD] the cache's values as Float
        let hb: UnsafeMutablePointer<Float>  // [T][H] gate, then SwiGLU output
        let hb2: UnsafeMutablePointer<Float>  // [T][H] up
        let scores: UnsafeMutablePointer<Float>  // [N][T][C] attention weights (rows packed to the span in use)
        let tile: UnsafeMutablePointer<Float>  // [max rows × columns] one weight matrix decoded to F32

        init(config c: LlamaConfig, tokens t: Int, context: Int) {
            x = .allocate(capacity: t * c.dimension)
            xb = .allocate(capacity: t * c.dimension)
            q = .allocate(capacity: t * c.dimension)
            k = .allocate(capacity: t * c.kvDimension)
            v = .allocate(capacity: t * c.kvDimension)
            cachedKeys = .allocate(capacity: c.kvDimension * context)
            cachedValues = .allocate(capacity: c.kvDimension * context)
            hb = .allocate(capacity: t * c.hiddenDimension)
            hb2 = .allocate(capacity: t * c.hiddenDimension)
            scores = .allocate(capacity: c.headCount * t * context)
            tile = .allocate(capacity: max(c.dimension, c.hiddenDimension) * max(c.dimension, c.hiddenDimension))
        }

        deinit {
            for p in [x, xb, q, k, v, cachedKeys, cachedValues, hb, hb2, scores, tile] { p.deallocate() }
        }
    }

    init(config c: LlamaConfig, contextLength: Int, prefillChunk: Int, cache precision: KVCachePrecision) {
        self.contextLength = contextLength
        self.prefillChunk = prefillChunk
        func zeroed(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        x = zeroed(c.dimension)
        xb = zeroed(c.dimension)
        xb2 = zeroed(c.dimension)
        q = zeroed(c.dimension)
        k = zeroed(c.kvDimension)
        v = zeroed(c.kvDimension)
        hb = zeroed(c.hiddenDimension)
        hb2 = zeroed(c.hiddenDimension)
        scores = zeroed(c.headCount * contextLength)
        partialOutputs = zeroed(c.headCount * Self.maximumAttentionSegments * c.headDimension)
        partialMaxima = zeroed(c.headCount * Self.maximumAttentionSegments)
        partialSums = zeroed(c.headCount * Self.maximumAttentionSegments)
        matVecInput = MatVecInput(capacity: max(c.dimension, c.hiddenDimension))
        logits = zeroed(c.vocabularySize)
        cache = KVCache(
            precision: precision, layers: c.layerCount, heads: c.kvHeadCount, positions: contextLength,
            headDimension: c.headDimension)
    }

    /// The most segments decode attention splits the cached positions into.
    static let maximumAttentionSegments = 8

    /// The segments per KV head for `positions` cached positions: enough for about two work items per thread,
    /// but segments of at least 64 positions, and at most ``maximumAttentionSegments``. Fewer, longer segments
    /// stream the cache better (measured: two segments per KV head decode 8% faster than eight at 400 positions).
    static func attentionSegments(positions: Int, kvHeads: Int, threads: Int) -> Int {
        let wanted = (2 * threads + kvHeads - 1) / kvHeads
        return max(1, min(maximumAttentionSegments, wanted, positions / 64))
    }

    func prefillBuffers(config: LlamaConfig) -> PrefillBuffers {
        if let batch { return batch }
        let made = PrefillBuffers(config: config, tokens: prefillChunk, context: contextLength)
        batch = made
        return made
    }

    deinit {
        for p in [x, xb, xb2, q, k, v, hb, hb2, scores, partialOutputs, partialMaxima, partialSums, logits] {
            p.deallocate()
        }
    }
}
