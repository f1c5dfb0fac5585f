import Foundation
import Testing
@testable import CairnInference

/// A tiny random-weight llama model written to a temporary GGUF file, plus a naive reference forward pass.
enum TinyLlama {
    /// The hyperparameters of a tiny model.
    struct Shape {
        var dimension: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, vocabulary: Int, context: Int

        /// Heads of 16 dimensions, two query heads per KV head.
        static let small = Shape(dimension: 64, hidden: 96, layers: 2, heads: 4, kvHeads: 2, vocabulary: 64, context: 32)
        /// SmolLM2's head layout (64 dimensions, three query heads per KV head) and a context long enough for
        /// decode attention to split the positions into segments.
        static let wide = Shape(dimension: 384, hidden: 128, layers: 1, heads: 6, kvHeads: 2, vocabulary: 64, context: 640)
    }

    static let vocabulary = Shape.small.vocabulary, context = Shape.small.context

    /// Writes the model (mixed Q8_0 / Q4_1 / F16 / F32 tensors, untied output) and returns its path.
    static func write(seed: UInt64 = 7, shape: Shape = .small, extraMetadata: [(String, GGUFValue)] = []) throws -> String {
        let (dimension, hidden, layers) = (shape.dimension, shape.hidden, shape.layers)
        let (heads, kvHeads, vocabulary, context) = (shape.heads, shape.kvHeads, shape.vocabulary, shape.context)
        var rng = Xoshiro256(seed: seed)
        func random(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
        }
        var writer = GGUFWriter()
        writer.metadata = [
            ("general.architecture", .string("llama")),
            ("llama.block_count", .uint32(UInt32(layers))),
            ("llama.context_length", .uint32(UInt32(context))),
            ("llama.embedding_length", .uint32(UInt32(dimension))),
            ("llama.feed_forward_length", .uint32(UInt32(hidden))),
            ("llama.attention.head_count", .uint32(UInt32(heads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("llama.rope.freq_base", .float32(10_000)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
        ] + extraMetadata
        func add(_ name: String, _ rows: Int, _ columns: Int, _ type: GGMLType, scale: Float = 0.3) {
            let values = random(rows * columns, scale: scale)
            let dims = rows == 1 ? [columns] : [columns, rows]
            writer.tensors.append(.init(name: name, dimensions: dims, type: type, data: BlockFormats.quantize(values, as: type)))
        }
        /// An RMSNorm weight near 1.
        func norm(_ name: String) {
            writer.tensors.append(.init(name: name, dimensions: [dimension], type: .f32,
                                        data: BlockFormats.quantize(random(dimension, scale: 0.2).map { $0 + 1 }, as: .f32)))
        }
        let kv = dimension / heads * kvHeads
        add("token_embd.weight", vocabulary, dimension, .q8_0, scale: 1)
        for l in 0..<layers {
            let p = "blk.\(l)."
            norm(p + "attn_norm.weight")
            add(p + "attn_q.weight", dimension, dimension, .q4_1)
            add(p + "attn_k.weight", kv, dimension, .q4_1)
            add(p + "attn_v.weight", kv, dimension, .q8_0)
            add(p + "attn_output.weight", dimension, dimension, .f16)
            norm(p + "ffn_norm.weight")
            add(p + "ffn_gate.weight", hidden, dimension, .q4_1)
            add(p + "ffn_up.weight", hidden, dimension, .q4_1)
            add(p + "ffn_down.weight", dimension, hidden, .q4_1)
        }
        writer.tensors.append(.init(
            name: "output_norm.weight", dimensions: [dimension], type: .f32,
            data: BlockFormats.quantize([Float](repeating: 1, count: dimension), as: .f32)))
        add("output.weight", vocabulary, dimension, .f32)
        return try TempFiles.write(writer.serialized(), name: "tiny-\(seed)-\(UUID().uuidString).gguf")
    }

    /// Last-position logits by a direct, unoptimised transcription of the llama forward pass.
    static func referenceLogits(file: GGUFFile, tokens: [Int32]) throws -> [Float] {
        let c = try LlamaConfig(file: file)
        func matrix(_ name: String) throws -> (rows: Int, cols: Int, w: [Float]) {
            let t = try file.requireTensor(name)
            var w = [Float](repeating: 0, count: t.elementCount)
            w.withUnsafeMutableBufferPointer { BlockFormats.dequantize(t.type, file.data(of: t), count: t.elementCount, into: $0.baseAddress!) }
            return (t.rows, t.columns, w)
        }
        func matvec(_ m: (rows: Int, cols: Int, w: [Float]), _ x: [Float]) -> [Float] {
            (0..<m.rows).map { r in (0..<m.cols).reduce(Float(0)) { $0 + m.w[r * m.cols + $1] * x[$1] } }
        }
        func rmsNorm(_ x: [Float], _ w: [Float]) -> [Float] {
            let ms = x.reduce(0) { $0 + $1 * $1 } / Float(x.count)
            return zip(x, w).map { $0 / (ms + c.rmsEpsilon).squareRoot() * $1 }
        }
        func rope(_ v: inout [Float], heads: Int, position: Int) {
            let hd = c.headDimension
            for h in 0..<heads {
                for i in 0..<hd / 2 {
                    let theta = Float(position) * pow(c.ropeBase, -Float(2 * i) / Float(hd))
                    let a = v[h * hd + 2 * i], b = v[h * hd + 2 * i + 1]
                    v[h * hd + 2 * i] = a * cos(theta) - b * sin(theta)
                    v[h * hd + 2 * i + 1] = a * sin(theta) + b * cos(theta)
                }
            }
        }
        let embedding = try matrix("token_embd.weight")
        var keys = [[[Float]]](repeating: [], count: c.layerCount), values = keys
        var x: [Float] = []
        for (position, token) in tokens.enumerated() {
            x = Array(embedding.w[Int(token) * c.dimension..<(Int(token) + 1) * c.dimension])
            for l in 0..<c.layerCount {
                let p = "blk.\(l)."
                let xn = rmsNorm(x, try matrix(p + "attn_norm.weight").w)
                var q = matvec(try matrix(p + "attn_q.weight"), xn), k = matvec(try matrix(p + "attn_k.weight"), xn)
                rope(&q, heads: c.headCount, position: position)
                rope(&k, heads: c.kvHeadCount, position: position)
                keys[l].append(k)
                values[l].append(matvec(try matrix(p + "attn_v.weight"), xn))
                var attention = [Float](repeating: 0, count: c.dimension)
                let hd = c.headDimension, group = c.headCount / c.kvHeadCount
                for h in 0..<c.headCount {
                    let kvh = h / group
                    var scores = keys[l].map { key in
                        (0..<hd).reduce(Float(0)) { $0 + q[h * hd + $1] * key[kvh * hd + $1] } / Float(hd).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let sum = scores.reduce(0, +)
                    for (t, s) in scores.enumerated() {
                        for i in 0..<hd { attention[h * hd + i] += s / sum * values[l][t][kvh * hd + i] }
                    }
                }
                x = zip(x, matvec(try matrix(p + "attn_output.weight"), attention)).map(+)
                let xf = rmsNorm(x, try matrix(p + "ffn_norm.weight").w)
                let gate = matvec(try matrix(p + "ffn_gate.weight"), xf), up = matvec(try matrix(p + "ffn_up.weight"), xf)
                let h = zip(gate, up).map { $0 / (1 + exp(-$0)) * $1 }
                x = zip(x, matvec(try matrix(p + "ffn_down.weight"), h)).map(+)
            }
        }
        return matvec(try matrix("output.weight"), rmsNorm(x, try matrix("output_norm.weight").w))
    }
}

/// Temporary files for tests, in a per-process folder.
enum TempFiles {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "cairn-inference-tests-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = directory + "/" + name
        // Atomic: a file still mapped by a concurrently running test is replaced, never truncated under it.
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}

func maxAbsDifference(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct LlamaTinyModelTests {
    /// Every decode configuration: both kernels with the default float16 cache, and the floating-point kernels
    /// with the exact float32 cache.
    static let configurations: [(MatVecKernels, KVCachePrecision)] =
        MatVecKernels.available.map { ($0, .float16) } + [(.floatingPoint, .float32)]

    /// Logits against the float64 reference: float32 kernels with the float32 cache agree to summation order.
    /// The float16 cache rounds keys and values to 11 significant bits (observed differences up to 0.005 on these
    /// models); the integer kernels quantize matrix-vector inputs to int8 per block of 32 (observed up to 0.07).
    static func tolerance(_ kernels: MatVecKernels, _ cache: KVCachePrecision) -> Float {
        kernels == .integer ? 0.15 : cache == .float16 ? 0.02 : 1e-3
    }

    @Test(arguments: [KVCachePrecision.float32, .float16])
    func prefillMatchesNaiveReference(cache: KVCachePrecision) throws {
        let file = try GGUFFile(path: try TinyLlama.write())
        let model = try LlamaModel(file: file, cache: cache)
        let tokens: [Int32] = [1, 5, 9, 33, 2, 60, 17]
        try model.prefill(tokens: tokens)
        let logits = Array(model.logits)
        let reference = try TinyLlama.referenceLogits(file: file, tokens: tokens)
        #expect(logits.count == TinyLlama.vocabulary)
        #expect(maxAbsDifference(logits, reference) < Self.tolerance(.floatingPoint, cache))
    }

    @Test(arguments: configurations)
    func decodeStepByStepMatchesReferenceAtEveryPosition(kernels: MatVecKernels, cache: KVCachePrecision) throws {
        let file = try GGUFFile(path: try TinyLlama.write(seed: 11))
        let model = try LlamaModel(file: file, kernels: kernels, cache: cache)
        let tokens: [Int32] = [3, 14, 15, 9, 26, 53]
        for (position, token) in tokens.enumerated() {
            try model.decode(token: token, position: position)
            let logits = Array(model.logits)
            let reference = try TinyLlama.referenceLogits(file: file, tokens: Array(tokens[...position]))
            #expect(maxAbsDifference(logits, reference) < Self.tolerance(kernels, cache), "position \(position)")
        }
    }

    @Test func chunkedPrefillEqualsSinglePass() throws {
        let file = try GGUFFile(path: try TinyLlama.write(seed: 3))
        let tokens: [Int32] = (0..<20).map { Int32($0 * 7 % TinyLlama.vocabulary) }
        let wholeModel = try LlamaModel(file: file, cache: .float32)
        let chunkedModel = try LlamaModel(file: file, prefillChunk: 6, cache: .float32)
        try wholeModel.prefill(tokens: tokens)
        try chunkedModel.prefill(tokens: tokens)
        let whole = Array(wholeModel.logits), chunked = Array(chunkedModel.logits)
        #expect(maxAbsDifference(whole, try TinyLlama.referenceLogits(file: file, tokens: tokens)) < 1e-3)
        #expect(maxAbsDifference(whole, chunked) < 1e-4)
    }

    @Test(arguments: configurations)
    func prefillThenDecodeContinuesTheCache(kernels: MatVecKernels, cache: KVCachePrecision) throws {
        let file = try GGUFFile(path: try TinyLlama.write(seed: 5))
        let model = try LlamaModel(file: file, kernels: kernels, cache: cache)
        try model.prefill(tokens: [1, 2, 3, 4])
        try model.decode(token: 5, position: 4)
        let logits = Array(model.logits)
        let reference = try TinyLlama.referenceLogits(file: file, tokens: [1, 2, 3, 4, 5])
        #expect(maxAbsDifference(logits, reference) < Self.tolerance(kernels, cache))
    }

    /// Heads of 64 dimensions sharing KV heads by three, over up to 600 positions: decode attention (split into
    /// segments per KV head, run on the pool from 16 positions) against prefill's (sgemm over the whole span) at
    /// positions on both sides of every segment-count change.
    @Test(arguments: [KVCachePrecision.float32, .float16])
    func longContextDecodeAttentionMatchesPrefill(cache: KVCachePrecision) throws {
        let file = try GGUFFile(path: try TinyLlama.write(seed: 13, shape: .wide))
        let decoder = try LlamaModel(file: file, kernels: .floatingPoint, cache: cache)
        let reference = try LlamaModel(file: file, kernels: .floatingPoint, cache: .float32)
        var rng = Xoshiro256(seed: 21)
        let tokens = (0..<600).map { _ in Int32(rng.next() % UInt64(TinyLlama.Shape.wide.vocabulary)) }
        let checked: Set<Int> = [0, 14, 15, 16, 63, 64, 127, 128, 200, 511, 512, 599]
        for (position, token) in tokens.enumerated() {
            try decoder.decode(token: token, position: position)
            guard checked.contains(position) else { continue }
            try reference.prefill(tokens: Array(tokens[...position]))
            #expect(maxAbsDifference(decoder.logits, reference.logits) < (cache == .float32 ? 1e-3 : 0.02), "position \(position)")
        }
    }

    @Test func outOfRangeTokensAndPositionsAreRejected() throws {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write()))
        #expect(throws: InferenceError.self) { try model.decode(token: Int32(TinyLlama.vocabulary), position: 0) }
        #expect(throws: InferenceError.self) { try model.decode(token: -1, position: 0) }
        #expect(throws: InferenceError.self) { try model.decode(token: 1, position: TinyLlama.context) }
        #expect(throws: InferenceError.self) { try model.prefill(tokens: []) }
        #expect(throws: InferenceError.self) { try model.prefill(tokens: [Int32](repeating: 1, count: TinyLlama.context + 1)) }
    }
}
