/// The hyperparameters of a llama-architecture model, read from GGUF metadata.
public struct LlamaConfig: Sendable, Equatable {
    /// Width of the residual stream.
    public var dimension: Int
    /// Width of the SwiGLU hidden layer.
    public var hiddenDimension: Int
    /// Number of transformer blocks.
    public var layerCount: Int
    /// Number of query heads.
    public var headCount: Int
    /// Number of key/value heads (grouped-query attention when fewer than `headCount`).
    public var kvHeadCount: Int
    /// Number of vocabulary entries (rows of the embedding and output matrices).
    public var vocabularySize: Int
    /// The context length the model was trained for.
    public var trainedContextLength: Int
    /// RoPE frequency base.
    public var ropeBase: Float
    /// Number of rotated dimensions per head (the head dimension unless the file says otherwise).
    public var ropeDimensions: Int
    /// RMSNorm epsilon.
    public var rmsEpsilon: Float

    /// Width of one attention head.
    public var headDimension: Int { dimension / headCount }
    /// Width of the key (and value) projection: `kvHeadCount × headDimension`.
    public var kvDimension: Int { kvHeadCount * headDimension }

    /// Reads the `llama.*` keys of `file`.
    /// - Throws: `.unsupportedArchitecture` for anything but `llama`; `.missingField` or `.corrupt` for bad values.
    public init(file: GGUFFile) throws {
        guard let architecture = file.architecture else {
            throw InferenceError(.missingField, "GGUF metadata lacks general.architecture")
        }
        guard architecture == "llama" else {
            throw InferenceError(.unsupportedArchitecture, "architecture '\(architecture)' is not supported (only 'llama')")
        }
        let p = "llama."
        dimension = try file.requireInt(p + "embedding_length")
        hiddenDimension = try file.requireInt(p + "feed_forward_length")
        layerCount = try file.requireInt(p + "block_count")
        headCount = try file.requireInt(p + "attention.head_count")
        kvHeadCount = file.int(p + "attention.head_count_kv") ?? headCount
        trainedContextLength = file.int(p + "context_length") ?? 2048
        ropeBase = Float(file.double(p + "rope.freq_base") ?? 10_000)
        rmsEpsilon = Float(file.double(p + "attention.layer_norm_rms_epsilon") ?? 1e-5)
        guard dimension > 0, headCount > 0, dimension % headCount == 0 else {
            throw InferenceError(.corrupt, "embedding length \(dimension) is not divisible by \(headCount) heads")
        }
        ropeDimensions = file.int(p + "rope.dimension_count") ?? dimension / headCount
        let embedding = try file.requireTensor("token_embd.weight")
        vocabularySize = file.int(p + "vocab_size") ?? embedding.rows
        try validate()
    }

    /// Creates a configuration from explicit values (used for tiny test models).
    public init(
        dimension: Int, hiddenDimension: Int, layerCount: Int, headCount: Int, kvHeadCount: Int,
        vocabularySize: Int, trainedContextLength: Int, ropeBase: Float = 10_000, rmsEpsilon: Float = 1e-5
    ) throws {
        self.dimension = dimension
        self.hiddenDimension = hiddenDimension
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.vocabularySize = vocabularySize
        self.trainedContextLength = trainedContextLength
        self.ropeBase = ropeBase
        self.rmsEpsilon = rmsEpsilon
        self.ropeDimensions = headCount > 0 ? dimension / headCount : 0
        try validate()
    }

    private func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw InferenceError(.corrupt, "invalid llama hyperparameters: \(message)") }
        }
        try check(layerCount > 0 && layerCount <= 1024, "block_count \(layerCount)")
        try check(hiddenDimension > 0 && dimension > 0, "embedding/feed-forward length")
        try check(headCount > 0 && dimension % headCount == 0, "head_count \(headCount)")
        try check(kvHeadCount > 0 && headCount % kvHeadCount == 0, "head_count_kv \(kvHeadCount)")
        try check(headDimension % 2 == 0, "odd head dimension \(headDimension)")
        try check(ropeDimensions > 0 && ropeDimensions <= headDimension && ropeDimensions % 2 == 0, "rope dims \(ropeDimensions)")
        try check(vocabularySize > 0 && trainedContextLength > 0, "vocabulary or context length")
        try check(ropeBase > 0 && rmsEpsilon >= 0, "rope base or epsilon")
    }
}
