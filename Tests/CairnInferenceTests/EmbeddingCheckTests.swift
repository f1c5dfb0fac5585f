import CairnTestSupport
import Foundation
import Testing
@testable import CairnInference

/// The embeddings check on the real MiniLM: this engine's vectors at one thread and one input at a time pass against
/// the verifier's (all threads, one batch); MiniLM with a layer removed, another input's vector and a vector of the
/// wrong width fail; the receipt's byte layout reads back.
@Suite struct EmbeddingCheckTests {
    @Test func honestVectorsPassAndCheatsFail() async throws {
        let directory = try ReferenceModels.miniLM()
        let texts = ["What is the capital of France?", "A cat sleeps on the windowsill.", "Interest rates rose again this quarter."]
        let outcome = try await onOwnThread { () throws -> [String: EmbeddingCheck.Verdict] in
            let verifier = EmbeddingVerifier(model: try EmbeddingModel(directory: directory))
            let single = try EmbeddingModel(directory: directory, pool: ComputePool(threads: 1))
            let shallower = try EmbeddingModel(directory: directory, layers: 5)
            let mine = try verifier.model.embed(texts)
            return [
                "honest": try verifier.check(inputs: texts, claimed: try texts.map { try single.embed($0) }),
                "layer removed": try verifier.check(inputs: texts, claimed: try shallower.embed(texts)),
                "replayed": try verifier.check(inputs: texts, claimed: [mine[1], mine[2], mine[0]]),
                "narrow": try verifier.check(inputs: texts, claimed: mine.map { Array($0.prefix(128)) }),
                "missing": try verifier.check(inputs: texts, claimed: Array(mine.prefix(2))),
            ]
        }
        #expect(outcome["honest"]!.passed && outcome["honest"]!.minimumCosine > 0.99999, "\(outcome["honest"]!)")
        for cheat in ["layer removed", "replayed", "narrow", "missing"] {
            #expect(outcome[cheat]!.passed == false, "\(cheat): \(outcome[cheat]!)")
        }
        #expect(outcome["layer removed"]!.mismatches == 3)
        #expect(outcome["narrow"]!.reason.contains("dimensions"))
    }

    @Test func vectorsReadBackFromTheReceiptsBytes() throws {
        let verifier = EmbeddingVerifier(model: try EmbeddingModel(directory: try ReferenceModels.miniLM()))
        let vectors: [[Float]] = [(0..<384).map { Float($0) / 7 }, (0..<384).map { -Float($0) }]
        var bytes: [UInt8] = []
        for v in vectors { for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } } }
        #expect(try verifier.vectors(fromOutput: bytes) == vectors)
        #expect(throws: InferenceError.self) { try verifier.vectors(fromOutput: Array(bytes.dropLast())) }
        #expect(throws: InferenceError.self) { try verifier.vectors(fromOutput: []) }
        #expect(throws: InferenceError.self) { try EmbeddingModel(directory: try ReferenceModels.miniLM(), layers: 7) }
    }
}
