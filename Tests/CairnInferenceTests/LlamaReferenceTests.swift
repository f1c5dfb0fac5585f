import Foundation
import CairnTestSupport
import Testing
@testable import CairnInference

/// `smollm2_reference.json`: transformers' float32 forward pass over the dequantized GGUF weights.
struct SmolLM2Reference: Decodable, Sendable {
    struct Logit: Decodable, Sendable {
        let id: Int32
        let logit: Float
    }

    struct Case: Decodable, Sendable {
        let name: String
        let promptIDs: [Int32]
        let lastTopLogits: [Logit]
        let greedyIDs: [Int32]
        let greedyTop2Margins: [Float]
    }

    let cases: [Case]
}

/// SmolLM2 against the reference: top-1 next token, top-10 logits, and the 32-token greedy continuation.
///
/// Every test runs with both decode kernels. Tolerance: last-position logits after prefill agree within 0.02
/// absolute (observed differences are ~1e-3; prefill and the classifier compute in float32 from the same
/// dequantized weights, only the summation order differs). With the floating-point kernels, greedy tokens must
/// match wherever the reference's top-2 margin exceeds 0.1; steps under that margin may legitimately flip and
/// are only reported. The integer kernels quantize the inputs of the blocks' matrix-vector products to int8
/// per block of 32, as llama.cpp does; over 30 layers that moves the top logits by up to about 0.9 from the
/// float32 pass (``integerDecodeStaysCloseToFloatDecode()`` measures it), so their greedy tokens must match
/// wherever the margin exceeds 0.3.
@Suite(.serialized) struct LlamaReferenceTests {
    static let logitTolerance: Float = 0.02

    static func marginThreshold(_ kernels: MatVecKernels) -> Float { kernels == .integer ? 0.3 : 0.1 }
    static let kernels = MatVecKernels.available

    /// A fresh model per test (the model is not thread-safe; mapping the file again is cheap).
    static func model(_ kernels: MatVecKernels) throws -> LlamaModel {
        try LlamaModel(file: RealModels.file.get(), kernels: kernels)
    }
    static let fixture: Result<SmolLM2Reference, any Error> = Result { try ReferenceFixtures.load("smollm2_reference") }

    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        Sampler.argmax(UnsafeMutableBufferPointer(mutating: logits))
    }

    @Test func fixtureCoversSixOrMorePrompts() throws {
        let cases = try Self.fixture.get().cases
        #expect(cases.count >= 6)
        #expect(cases.allSatisfy { $0.greedyIDs.count == 32 && $0.lastTopLogits.count >= 2 })
    }

    @Test(arguments: kernels)
    func topNextTokenAndLastLogitsMatch(kernels: MatVecKernels) async throws {
        try await onOwnThread { try Self.expectReferenceLogits(try Self.model(kernels)) }
    }

    /// Each fixture prompt evaluated by `model`: the reference's top next token, and its top logits within the tolerance.
    static func expectReferenceLogits(_ model: LlamaModel) throws {
        for c in try fixture.get().cases {
            try model.prefill(tokens: c.promptIDs)
            #expect(argmax(model.logits) == c.lastTopLogits[0].id, "\(c.name): top-1 next token")
            for entry in c.lastTopLogits {
                let ours = model.logits[Int(entry.id)]
                #expect(abs(ours - entry.logit) <= logitTolerance, "\(c.name): logit of \(entry.id) \(ours) vs \(entry.logit)")
            }
        }
    }

    /// A model that keeps its weights in float32 panels (a verifier's) evaluates prompts through ``FloatPanels``: the
    /// same top token and last logits within the same tolerance of the reference.
    @Test(.enabled(if: FloatPanels.available, "needs AVX-512F or AVX2"))
    func weightPanelsKeepTheReferenceLogits() async throws {
        try await onOwnThread {
            let model = try LlamaModel(file: RealModels.file.get(), keepWeightPanels: true)
            #expect(model.weights.layers.allSatisfy { $0.matrices.allSatisfy { $0.panels != nil } })
            try Self.expectReferenceLogits(model)
        }
    }

    /// Integer and floating-point decode of the same tokens, step by step: the integer kernels' logits stay
    /// within 1.5 of the float32 ones over the float pass's top 10 (observed at most 0.89 on the fixture's prompts).
    @Test(.enabled(if: MatVecKernels.integerAvailable, "needs AVX2, FMA and F16C"))
    func integerDecodeStaysCloseToFloatDecode() async throws {
        try await onOwnThread {
            let float = try Self.model(.floatingPoint), integer = try Self.model(.integer)
            var worst: Float = 0
            for c in try Self.fixture.get().cases.prefix(3) {
                try float.prefill(tokens: c.promptIDs)
                try integer.prefill(tokens: c.promptIDs)
                for (step, token) in c.greedyIDs.enumerated() {
                    try float.decode(token: token, position: c.promptIDs.count + step)
                    try integer.decode(token: token, position: c.promptIDs.count + step)
                    let top = float.logits.indices.sorted { float.logits[$0] > float.logits[$1] }.prefix(10)
                    worst = max(worst, top.map { abs(float.logits[$0] - integer.logits[$0]) }.max()!)
                }
            }
            print("largest top-10 logit difference, integer vs floating-point decode: \(worst)")
            #expect(worst > 0 && worst < 1.5)
        }
    }

    @Test(arguments: kernels)
    func teacherForcedGreedyTokensMatchWhereTheMarginIsClear(kernels: MatVecKernels) async throws {
        try await onOwnThread {
            let model = try Self.model(kernels)
            var lowMarginFlips: [String] = []
            for c in try Self.fixture.get().cases {
                try model.prefill(tokens: c.promptIDs)
                for (step, expected) in c.greedyIDs.enumerated() {
                    let ours = Self.argmax(model.logits)
                    if ours != expected {
                        if c.greedyTop2Margins[step] > Self.marginThreshold(kernels) {
                            Issue.record("\(c.name) step \(step): got \(ours), expected \(expected) (margin \(c.greedyTop2Margins[step]))")
                        } else {
                            lowMarginFlips.append("\(c.name)#\(step)")
                        }
                    }
                    try model.decode(token: expected, position: c.promptIDs.count + step)
                }
            }
            if !lowMarginFlips.isEmpty { print("low-margin steps that differ (allowed): \(lowMarginFlips)") }
        }
    }

    @Test(arguments: kernels)
    func freeRunningGreedyContinuationMatchesUntilALowMarginStep(kernels: MatVecKernels) async throws {
        try await onOwnThread {
            let model = try Self.model(kernels)
            for c in try Self.fixture.get().cases {
                try model.prefill(tokens: c.promptIDs)
                for (step, expected) in c.greedyIDs.enumerated() {
                    let ours = Self.argmax(model.logits)
                    if ours != expected {
                        #expect(c.greedyTop2Margins[step] <= Self.marginThreshold(kernels), "\(c.name) diverges at step \(step)")
                        break
                    }
                    try model.decode(token: ours, position: c.promptIDs.count + step)
                }
            }
        }
    }
}
