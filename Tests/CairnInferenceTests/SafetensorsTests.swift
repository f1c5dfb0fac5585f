import Foundation
import Testing

@testable import CairnInference

@Suite("safetensors loader")
struct SafetensorsTests {
    /// Writes `header` (JSON text) and `data` as a safetensors file and returns its path.
    static func write(header: String, data: [UInt8], declaredLength: UInt64? = nil, truncateTo: Int? = nil) throws -> String {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { bytes += $0 }
        bytes += json + data
        if let truncateTo { bytes = Array(bytes.prefix(truncateTo)) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-st-\(UUID().uuidString).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    static let validHeader = """
        {"__metadata__":{"format":"pt"},
         "a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},
         "h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},
         "b":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]},
         "i":{"dtype":"I64","shape":[1],"data_offsets":[24,32]}}
        """
    static let validData: [UInt8] =
        le([Float(1), 2, -3, 0.5].map(\.bitPattern)) + le([Float16(1.5).bitPattern, Float16(-2).bitPattern])
        + le([UInt16(Float(3).bitPattern >> 16), UInt16(Float(-0.25).bitPattern >> 16)]) + le([Int64(7)])

    @Test func readsFloatTensorsOfEveryFloatType() throws {
        let file = try SafetensorsFile(path: Self.write(header: Self.validHeader, data: Self.validData))
        #expect(file.metadata == ["format": "pt"])
        #expect(try file.floats("a", shape: [2, 2]) == [1, 2, -3, 0.5])
        #expect(try file.floats("h") == [1.5, -2])
        #expect(try file.floats("b") == [3, -0.25])
        #expect(try file.tensor(named: "i").dtype == .i64)
        #expect(throws: InferenceError.self) { try file.floats("i") }
        #expect(throws: InferenceError.self) { try file.floats("a", shape: [4]) }
        let missing = #expect(throws: InferenceError.self) { try file.tensor(named: "nope") }
        #expect(missing?.code == .missingField)
    }

    static func failure(header: String = validHeader, data: [UInt8] = validData, declaredLength: UInt64? = nil,
                        truncateTo: Int? = nil) throws -> InferenceError? {
        let path = try write(header: header, data: data, declaredLength: declaredLength, truncateTo: truncateTo)
        return #expect(throws: InferenceError.self) { try SafetensorsFile(path: path) }
    }

    @Test func truncatedFilesGiveTruncatedErrors() throws {
        #expect(try Self.failure(truncateTo: 0)?.code == .truncated)
        #expect(try Self.failure(truncateTo: 5)?.code == .truncated)
        #expect(try Self.failure(truncateTo: 40)?.code == .truncated)  // inside the header
        let headerEnd = 8 + Self.validHeader.utf8.count
        let error = try Self.failure(truncateTo: headerEnd + 20)  // inside the data
        #expect(error?.code == .truncated)
        #expect(error?.message.contains("ends at data byte") == true)
    }

    @Test func corruptHeadersGiveClearErrors() throws {
        #expect(try Self.failure(declaredLength: 1 << 40)?.code == .corrupt)
        #expect(try Self.failure(header: "{not json")?.code == .corrupt)
        #expect(try Self.failure(header: "[1,2]")?.code == .corrupt)
        let mismatch = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        #expect(try Self.failure(header: mismatch)?.message.contains("needs 12 bytes") == true)
        let reversed = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#
        #expect(try Self.failure(header: reversed)?.code == .corrupt)
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(try Self.failure(header: overlap)?.message.contains("overlap") == true)
        let noShape = #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#
        #expect(try Self.failure(header: noShape)?.code == .corrupt)
        let negative = #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#
        #expect(try Self.failure(header: negative)?.code == .corrupt)
    }

    @Test func unknownDTypeIsUnsupported() throws {
        let header = #"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#
        #expect(try Self.failure(header: header)?.code == .unsupported)
    }

    @Test func missingFileIsAnIOError() {
        let error = #expect(throws: InferenceError.self) { try SafetensorsFile(path: "/nonexistent/model.safetensors") }
        #expect(error?.code == .io)
    }

    @Test func miniLMCheckpointLoads() throws {
        let file = try SafetensorsFile(path: ReferenceModels.miniLM() + "/model.safetensors")
        #expect(try file.tensor(named: "embeddings.word_embeddings.weight").shape == [30_522, 384])
        #expect(try file.tensor(named: "encoder.layer.5.output.dense.weight").dtype == .f32)
        #expect(file.tensors.count == 6 * 16 + 8)
    }
}
