import Foundation
import Testing

@testable import CairnInference

#if canImport(Glibc)
import Glibc
#endif

/// Shape and edge-case tests on a tiny random-weight BERT written as a real safetensors file.
@Suite("BERT encoder on a tiny random model")
struct BERTEncoderTests {
    static let config = try! BERTConfig(
        hiddenSize: 8, layerCount: 2, headCount: 2, intermediateSize: 16, vocabularySize: 20, maxPositions: 12,
        typeVocabularySize: 2, layerNormEpsilon: 1e-12)

    /// A safetensors file with seeded random weights of `config`'s shapes.
    static func tinyEncoder() throws -> BERTEncoder {
        let h = config.hiddenSize, f = config.intermediateSize
        var shapes: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [config.vocabularySize, h]),
            ("embeddings.position_embeddings.weight", [config.maxPositions, h]),
            ("embeddings.token_type_embeddings.weight", [2, h]),
            ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h]),
        ]
        for layer in 0..<config.layerCount {
            let p = "encoder.layer.\(layer)."
            for name in ["query", "key", "value"] {
                shapes += [(p + "attention.self.\(name).weight", [h, h]), (p + "attention.self.\(name).bias", [h])]
            }
            shapes += [
                (p + "attention.output.dense.weight", [h, h]), (p + "attention.output.dense.bias", [h]),
                (p + "attention.output.LayerNorm.weight", [h]), (p + "attention.output.LayerNorm.bias", [h]),
                (p + "intermediate.dense.weight", [f, h]), (p + "intermediate.dense.bias", [f]),
                (p + "output.dense.weight", [h, f]), (p + "output.dense.bias", [h]),
                (p + "output.LayerNorm.weight", [h]), (p + "output.LayerNorm.bias", [h]),
            ]
        }
        var rng = Xoshiro256(seed: 7)
        var entries: [String] = []
        var data: [UInt8] = []
        for (name, shape) in shapes {
            let count = shape.reduce(1, *)
            let start = data.count
            for _ in 0..<count {
                let value = Float(rng.next() % 2001) / 1000 - 1
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 }
            }
            entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(start),\(data.count)]}")
        }
        let path = try SafetensorsTests.write(header: "{" + entries.joined(separator: ",") + "}", data: data)
        return try BERTEncoder(config: config, weights: SafetensorsFile(path: path))
    }

    @Test func paddingDoesNotChangeAnySequencesResult() throws {
        let encoder = try Self.tinyEncoder()
        let sequences: [[Int32]] = [[2, 5, 7, 3], [2, 9, 3], [2, 3], [2, 11, 12, 13, 14, 15, 16, 3]]
        let together = try encoder.meanPooled(BERTBatch(sequences: sequences, padID: 0))
        for (sequence, pooled) in zip(sequences, together) {
            let alone = try encoder.meanPooled(BERTBatch(sequences: [sequence], padID: 0))[0]
            #expect(zip(alone, pooled).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func maskedTokensAreIgnoredWhateverTheirIDs() throws {
        let encoder = try Self.tinyEncoder()
        let a = try BERTBatch(inputIDs: [2, 5, 3, 0, 0], attentionMask: [1, 1, 1, 0, 0], batchSize: 1, length: 5)
        let b = try BERTBatch(inputIDs: [2, 5, 3, 17, 9], attentionMask: [1, 1, 1, 0, 0], batchSize: 1, length: 5)
        #expect(try encoder.meanPooled(a) == encoder.meanPooled(b))
    }

    @Test func emptyBatchesAndFullyMaskedRowsAreHandled() throws {
        let encoder = try Self.tinyEncoder()
        #expect(try encoder.meanPooled(BERTBatch(sequences: [], padID: 0)).isEmpty)
        let masked = try BERTBatch(inputIDs: [1, 1], attentionMask: [0, 0], batchSize: 1, length: 2)
        #expect(try encoder.meanPooled(masked) == [[Float](repeating: 0, count: 8)])
    }

    @Test func outOfRangeInputsAreRejected() throws {
        let encoder = try Self.tinyEncoder()
        let badID = #expect(throws: InferenceError.self) { try encoder.meanPooled(BERTBatch(sequences: [[2, 20]], padID: 0)) }
        #expect(badID?.code == .invalidRequest)
        let tooLong = [[Int32]](repeating: [Int32](repeating: 4, count: 13), count: 1)
        #expect(throws: InferenceError.self) { try encoder.meanPooled(BERTBatch(sequences: tooLong, padID: 0)) }
        #expect(throws: InferenceError.self) {
            try BERTBatch(inputIDs: [1, 2, 3], attentionMask: [1, 1], batchSize: 1, length: 3)
        }
    }

    @Test func missingTensorIsReported() throws {
        let path = try SafetensorsTests.write(header: "{}", data: [])
        let error = #expect(throws: InferenceError.self) {
            try BERTEncoder(config: Self.config, weights: SafetensorsFile(path: path))
        }
        #expect(error?.code == .missingField)
    }

    @Test func vectorizedErfMatchesLibm() {
        var worst: Float = 0
        var x: Float = -6
        while x <= 6 {
            var lanes = SIMD16<Float>()
            for lane in 0..<16 { lanes[lane] = x + Float(lane) * 0.0007 }
            let approximate = BERTKernels.erf(lanes)
            for lane in 0..<16 { worst = max(worst, abs(approximate[lane] - erff(lanes[lane]))) }
            x += 0.0112
        }
        #expect(worst < 1e-6, "max |erf error| \(worst)")
    }
}
