import Foundation

/// A classifier head over frozen sentence embeddings, stored as one flat parameter vector.
///
/// The layout of `parameters` is the one documented on `HeadShape`.
public struct Head: Sendable, Equatable {
    /// The architecture.
    public var shape: HeadShape
    /// Every weight and bias, in the layout of `HeadShape`.
    public var parameters: [Float]

    /// Wraps a parameter vector, whose length must equal `shape.parameterCount`.
    public init(shape: HeadShape, parameters: [Float]) {
        precondition(
            parameters.count == shape.parameterCount,
            "expected \(shape.parameterCount) parameters for \(shape), got \(parameters.count)"
        )
        self.shape = shape
        self.parameters = parameters
    }

    /// A head whose parameters are all zero.
    ///
    /// Fine as the start of a linear head; an MLP started at zero never leaves
    /// it (every hidden unit is dead), so use `random(_:using:)` for those.
    public static func zero(_ shape: HeadShape) -> Head {
        Head(shape: shape, parameters: [Float](repeating: 0, count: shape.parameterCount))
    }

    /// A head with Glorot-uniform weights and zero biases, drawn from `rng`.
    ///
    /// Every federated participant must start from the same head, so the
    /// coordinator draws it once from a seeded generator and ships it.
    public static func random(_ shape: HeadShape, using rng: inout some RandomNumberGenerator) -> Head {
        var head = zero(shape)
        func fill(offset: Int, rows: Int, cols: Int) {
            let limit = (6 / Float(rows + cols)).squareRoot()
            for i in offset..<(offset + rows * cols) {
                head.parameters[i] = Float.random(in: -limit...limit, using: &rng)
            }
        }
        fill(offset: shape.firstWeightsOffset, rows: shape.firstLayerOutputs, cols: shape.inputs)
        if !shape.isLinear {
            fill(offset: shape.secondWeightsOffset, rows: shape.labels, cols: shape.hidden)
        }
        return head
    }

    /// The unnormalised class scores for `x`.
    public func logits(_ x: [Float]) -> [Float] {
        var workspace = HeadWorkspace(shape)
        forward(x, workspace: &workspace)
        return workspace.logits
    }

    /// The softmax of the logits; large logits do not overflow.
    public func probabilities(_ x: [Float]) -> [Float] {
        var scores = logits(x)
        Self.softmaxInPlace(&scores)
        return scores
    }

    /// The most likely class for `x` (the lowest index on ties).
    public func predict(_ x: [Float]) -> Int {
        Self.argmax(logits(x))
    }

    /// The fraction of `examples` classified correctly; 0 for an empty set.
    public func accuracy(_ examples: [Example]) -> Double {
        guard !examples.isEmpty else { return 0 }
        var workspace = HeadWorkspace(shape)
        var correct = 0
        for example in examples {
            forward(example.features, workspace: &workspace)
            if Self.argmax(workspace.logits) == example.label { correct += 1 }
        }
        return Double(correct) / Double(examples.count)
    }

    /// The mean cross-entropy over `examples`, in nats; 0 for an empty set.
    public func loss(_ examples: [Example]) -> Double {
        guard !examples.isEmpty else { return 0 }
        var workspace = HeadWorkspace(shape)
        var total = 0.0
        for example in examples {
            precondition(shape.labels > example.label && example.label >= 0, "label out of range")
            forward(example.features, workspace: &workspace)
            // log-sum-exp in Double, so finite differences of the loss stay
            // meaningful at Float resolution of the parameters.
            let scores = workspace.logits.map(Double.init)
            let top = scores.max()!
            var sum = 0.0
            for score in scores { sum += exp(score - top) }
            total += top + log(sum) - scores[example.label]
        }
        return total / Double(examples.count)
    }

    /// Runs the forward pass, leaving logits (and hidden activations) in `workspace`.
    func forward(_ x: [Float], workspace: inout HeadWorkspace) {
        precondition(x.count == shape.inputs, "expected \(shape.inputs) features, got \(x.count)")
        let shape = shape
        parameters.withUnsafeBufferPointer { p in
            x.withUnsafeBufferPointer { x in
                if shape.isLinear {
                    workspace.logits.withUnsafeMutableBufferPointer { out in
                        Self.affine(p, weights: shape.firstWeightsOffset, bias: shape.firstBiasOffset,
                                    rows: shape.labels, cols: shape.inputs, input: x, output: out)
                    }
                    return
                }
                workspace.preActivation.withUnsafeMutableBufferPointer { z in
                    Self.affine(p, weights: shape.firstWeightsOffset, bias: shape.firstBiasOffset,
                                rows: shape.hidden, cols: shape.inputs, input: x, output: z)
                }
                for m in 0..<shape.hidden {
                    workspace.activation[m] = max(0, workspace.preActivation[m])
                }
                workspace.activation.withUnsafeBufferPointer { h in
                    workspace.logits.withUnsafeMutableBufferPointer { out in
                        Self.affine(p, weights: shape.secondWeightsOffset, bias: shape.secondBiasOffset,
                                    rows: shape.labels, cols: shape.hidden, input: h, output: out)
                    }
                }
            }
        }
    }

    /// `output = W · input + b` for the row-major block of `p` at `weights`.
    static func affine(
        _ p: UnsafeBufferPointer<Float>, weights: Int, bias: Int, rows: Int, cols: Int,
        input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>
    ) {
        for r in 0..<rows {
            let row = weights + r * cols
            var sum: Float = 0
            for c in 0..<cols { sum += p[row + c] * input[c] }
            output[r] = sum + p[bias + r]
        }
    }

    /// Replaces scores by their softmax, shifting by the maximum so `exp` never overflows.
    static func softmaxInPlace(_ scores: inout [Float]) {
        guard let top = scores.max() else { return }
        var sum: Float = 0
        for i in scores.indices {
            scores[i] = exp(scores[i] - top)
            sum += scores[i]
        }
        for i in scores.indices { scores[i] /= sum }
    }

    /// The index of the largest score, the first one on ties.
    static func argmax(_ scores: [Float]) -> Int {
        var best = 0
        for i in scores.indices where scores[i] > scores[best] { best = i }
        return best
    }
}
