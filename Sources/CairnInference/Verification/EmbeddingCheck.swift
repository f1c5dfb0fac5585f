import Foundation

/// The verdict on an embeddings job: the verifier embeds the same inputs with the claimed model and every vector the
/// provider returned must point the same way as its own (cosine at least `minimumCosine`; honest runs of this engine at
/// other thread counts and batch sizes agree to about 10⁻⁷).
public struct EmbeddingCheck: Sendable {
    public struct Verdict: Sendable, Equatable, Codable {
        /// "pass" or "fail".
        public var verdict: String
        public var inputs: Int
        /// Inputs whose vector fell below the bound.
        public var mismatches: Int
        /// The lowest cosine over the inputs.
        public var minimumCosine: Double
        public var reason: String

        public var passed: Bool { verdict == "pass" }
    }

    public var minimumCosine: Double

    public init(minimumCosine: Double = 0.999) { self.minimumCosine = minimumCosine }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return -1 }
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            aa += Double(a[i]) * Double(a[i])
            bb += Double(b[i]) * Double(b[i])
        }
        guard aa > 0, bb > 0 else { return -1 }
        return dot / (aa * bb).squareRoot()
    }

    /// Judges the provider's `claimed` vectors against the verifier's own (`mine`, in the same order).
    public func judge(claimed: [[Float]], mine: [[Float]]) -> Verdict {
        guard claimed.count == mine.count else {
            return Verdict(verdict: "fail", inputs: mine.count, mismatches: mine.count, minimumCosine: -1,
                           reason: "\(claimed.count) vectors returned for \(mine.count) inputs")
        }
        if let i = claimed.indices.first(where: { claimed[$0].count != mine[$0].count }) {
            return Verdict(verdict: "fail", inputs: mine.count, mismatches: mine.count, minimumCosine: -1,
                           reason: "vector \(i) has \(claimed[i].count) dimensions, the model gives \(mine[i].count) (another model)")
        }
        let cosines = zip(claimed, mine).map { Self.cosine($0, $1) }
        let low = cosines.enumerated().filter { !($0.element >= minimumCosine) }
        let minimum = cosines.min() ?? 1
        if low.isEmpty {
            return Verdict(verdict: "pass", inputs: mine.count, mismatches: 0, minimumCosine: minimum,
                           reason: "every vector within cosine \(String(format: "%.6f", minimum)) of the model's")
        }
        return Verdict(verdict: "fail", inputs: mine.count, mismatches: low.count, minimumCosine: minimum,
                       reason: "\(low.count) of \(mine.count) vectors point elsewhere than the model's (lowest cosine "
                           + "\(String(format: "%.4f", minimum)) at input \(low[0].offset), bound \(minimumCosine))")
    }
}

/// An embedding model and the check: embeds the inputs itself and judges the claimed vectors.
public final class EmbeddingVerifier: Sendable {
    public let model: EmbeddingModel
    public let check: EmbeddingCheck

    public init(model: EmbeddingModel, check: EmbeddingCheck = EmbeddingCheck()) {
        self.model = model
        self.check = check
    }

    public func check(inputs: [String], claimed: [[Float]]) throws -> EmbeddingCheck.Verdict {
        check.judge(claimed: claimed, mine: try model.embed(inputs))
    }

    /// Little-endian F32 vectors, in order, as receipts hash them, cut into vectors of the model's width.
    public func vectors(fromOutput bytes: [UInt8]) throws -> [[Float]] {
        let width = model.dimension
        guard !bytes.isEmpty, bytes.count % (4 * width) == 0 else {
            throw InferenceError(.invalidRequest, "\(bytes.count) bytes are not whole vectors of \(width) F32 values")
        }
        return stride(from: 0, to: bytes.count, by: 4 * width).map { start in
            (0..<width).map { j in
                let o = start + 4 * j
                return Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            }
        }
    }
}
