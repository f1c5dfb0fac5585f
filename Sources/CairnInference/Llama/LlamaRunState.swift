/// Preallocated activations and KV cache for one sequence; decode touches only these buffers.
///
/// Shapes use `D = dimension`, `H = hiddenDimension`, `KV = kvDimension`, `C = contextLength`,
/// `L = layerCount`, `V = vocabularySize`, `N = headCount`, `T = prefillChunk`.
final class LlamaRunState {
    let contextLength: Int
    let prefillChunk: Int
    // Decode (one token):
    let x: UnsafeMutablePointer<Float>  // [D] residual stream
    let xb: UnsafeMutablePointer<Float>  // [D] normed input / attention output
    let xb2: UnsafeMutablePointer<Float>  // [D] projection output
    let q: UnsafeMutablePointer<Float>  // [D] query of the current token
    let hb: UnsafeMutablePointer<Float>  // [H] gate, then SwiGLU output
    let hb2: UnsafeMutablePointer<Float>  // [H] up
    let scores: UnsafeMutablePointer<Float>  // [N][C] attention weights per head
    let matVecInput: MatVecInput  // [max(D, H)] a matvec input prepared for the kernels
    let logits: UnsafeMutablePointer<Float>  // [V]
    // KV cache:
    let keyCache: UnsafeMutablePointer<Float>  // [L][C][KV]
    let valueCache: UnsafeMutablePointer<Float>  // [L][C][KV]
    // Prefill (allocated on first use, T tokens at a time):
    private(set) var batch: PrefillBuffers?

    /// Batched activations for prefill.
    final class PrefillBuffers {
        let x: UnsafeMutablePointer<Float>  // [T][D] residual stream
        let xb: UnsafeMutablePointer<Float>  // [T][D] normed input / attention output
        let q: UnsafeMutablePointer<Float>  // [T][D] queries
        let hb: UnsafeMutablePointer<Float>  // [T][H] gate, then SwiGLU output
        let hb2: UnsafeMutablePointer<Float>  // [T][H] up
        let scores: UnsafeMutablePointer<Float>  // [N][T][C] attention weights (rows packed to the span in use)
        let tile: UnsafeMutablePointer<Float>  // [max rows × columns] one weight matrix decoded to F32

        init(config c: LlamaConfig, tokens t: Int, context: Int) {
            x = .allocate(capacity: t * c.dimension)
            xb = .allocate(capacity: t * c.dimension)
            q = .allocate(capacity: t * c.dimension)
            hb = .allocate(capacity: t * c.hiddenDimension)
            hb2 = .allocate(capacity: t * c.hiddenDimension)
            scores = .allocate(capacity: c.headCount * t * context)
            tile = .allocate(capacity: max(c.dimension, c.hiddenDimension) * max(c.dimension, c.hiddenDimension))
        }

        deinit {
            for p in [x, xb, q, hb, hb2, scores, tile] { p.deallocate() }
        }
    }

    init(config c: LlamaConfig, contextLength: Int, prefillChunk: Int) {
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
        hb = zeroed(c.hiddenDimension)
        hb2 = zeroed(c.hiddenDimension)
        scores = zeroed(c.headCount * contextLength)
        matVecInput = MatVecInput(capacity: max(c.dimension, c.hiddenDimension))
        logits = zeroed(c.vocabularySize)
        // The cache is left uninitialised: positions are written before they are read, and untouched pages
        // of a short conversation never become resident.
        keyCache = .allocate(capacity: c.layerCount * contextLength * c.kvDimension)
        valueCache = .allocate(capacity: c.layerCount * contextLength * c.kvDimension)
    }

    func prefillBuffers(config: LlamaConfig) -> PrefillBuffers {
        if let batch { return batch }
        let made = PrefillBuffers(config: config, tokens: prefillChunk, context: contextLength)
        batch = made
        return made
    }

    deinit {
        for p in [x, xb, xb2, q, hb, hb2, scores, logits, keyCache, valueCache] { p.deallocate() }
    }
}
