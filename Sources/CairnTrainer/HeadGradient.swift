/// Scratch buffers for one forward and backward pass.
///
/// DP-SGD needs a separate gradient per example (to clip it), so the buffers
/// are allocated once per batch loop rather than once per example.
struct HeadWorkspace {
    /// Hidden pre-activations `W1 x + b1` (MLP only).
    var preActivation: [Float]
    /// Hidden activations `relu(preActivation)` (MLP only).
    var activation: [Float]
    /// Output scores.
    var logits: [Float]
    /// `softmax(logits) - onehot(label)`: the loss gradient at the logits.
    var outputDelta: [Float]
    /// Loss gradient at the hidden pre-activations (MLP only).
    var hiddenDelta: [Float]

    /// Buffers sized for `shape`.
    init(_ shape: HeadShape) {
        preActivation = [Float](repeating: 0, count: shape.hidden)
        activation = [Float](repeating: 0, count: shape.hidden)
        logits = [Float](repeating: 0, count: shape.labels)
        outputDelta = [Float](repeating: 0, count: shape.labels)
        hiddenDelta = [Float](repeating: 0, count: shape.hidden)
    }
}

extension Head {
    /// Gradient of one example's cross-entropy loss with respect to every parameter (same layout).
    public func gradient(_ e: Example) -> [Float] {
        var workspace = HeadWorkspace(shape)
        var result = [Float](repeating: 0, count: shape.parameterCount)
        result.withUnsafeMutableBufferPointer { out in
            writeGradient(of: e, workspace: &workspace, into: out)
        }
        return result
    }

    /// Overwrites `out` with the gradient of `e`'s loss, reusing `workspace`.
    func writeGradient(
        of e: Example, workspace: inout HeadWorkspace, into out: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(out.count == shape.parameterCount, "gradient buffer has the wrong length")
        precondition(e.label >= 0 && e.label < shape.labels, "label \(e.label) out of range")
        forward(e.features, workspace: &workspace)

        // d(−log softmax_y)/d logits = softmax − onehot(y).
        workspace.outputDelta = workspace.logits
        Self.softmaxInPlace(&workspace.outputDelta)
        workspace.outputDelta[e.label] -= 1

        let shape = shape
        e.features.withUnsafeBufferPointer { x in
            if shape.isLinear {
                workspace.outputDelta.withUnsafeBufferPointer { delta in
                    Self.writeOuterProduct(delta, x, weights: shape.firstWeightsOffset,
                                           bias: shape.firstBiasOffset, into: out)
                }
                return
            }
            parameters.withUnsafeBufferPointer { p in
                workspace.outputDelta.withUnsafeBufferPointer { delta in
                    workspace.activation.withUnsafeBufferPointer { h in
                        Self.writeOuterProduct(delta, h, weights: shape.secondWeightsOffset,
                                               bias: shape.secondBiasOffset, into: out)
                    }
                    // Back through W2 and the ReLU, whose derivative at 0 is taken as 0.
                    for m in 0..<shape.hidden {
                        guard workspace.preActivation[m] > 0 else {
                            workspace.hiddenDelta[m] = 0
                            continue
                        }
                        var sum: Float = 0
                        for k in 0..<shape.labels {
                            sum += p[shape.secondWeightsOffset + k * shape.hidden + m] * delta[k]
                        }
                        workspace.hiddenDelta[m] = sum
                    }
                }
            }
            workspace.hiddenDelta.withUnsafeBufferPointer { delta in
                Self.writeOuterProduct(delta, x, weights: shape.firstWeightsOffset,
                                       bias: shape.firstBiasOffset, into: out)
            }
        }
    }

    /// Writes the gradient of an affine layer: `delta ⊗ input` at `weights`, `delta` at `bias`.
    static func writeOuterProduct(
        _ delta: UnsafeBufferPointer<Float>, _ input: UnsafeBufferPointer<Float>,
        weights: Int, bias: Int, into out: UnsafeMutableBufferPointer<Float>
    ) {
        let cols = input.count
        for r in 0..<delta.count {
            let d = delta[r]
            let row = weights + r * cols
            for c in 0..<cols { out[row + c] = d * input[c] }
            out[bias + r] = d
        }
    }
}
