import Foundation

/// Hyperparameters of DP-SGD (Abadi et al. 2016).
public struct DPSGDConfig: Sendable, Equatable {
    /// Per-example gradients are scaled down to at most this L2 norm; `.infinity` disables clipping.
    public var clipNorm: Float
    /// Noise standard deviation as a multiple of `clipNorm`; 0 trains without noise (and without privacy).
    public var noiseMultiplier: Float
    /// The SGD step size.
    public var learningRate: Float
    /// Passes over the local data.
    public var epochs: Int
    /// Examples per step; also the denominator of every averaged step.
    public var batchSize: Int

    /// Creates a configuration; noise requires a finite clip norm, since the noise scales with it.
    public init(clipNorm: Float, noiseMultiplier: Float, learningRate: Float, epochs: Int, batchSize: Int) {
        precondition(clipNorm > 0, "clipNorm must be positive")
        precondition(noiseMultiplier >= 0 && noiseMultiplier.isFinite, "noiseMultiplier must be finite and >= 0")
        precondition(noiseMultiplier == 0 || clipNorm.isFinite, "noise needs a finite clipNorm")
        precondition(learningRate.isFinite, "learningRate must be finite")
        precondition(epochs >= 0, "epochs cannot be negative")
        precondition(batchSize > 0, "batchSize must be positive")
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.learningRate = learningRate
        self.epochs = epochs
        self.batchSize = batchSize
    }

    /// Steps that `LocalTraining.train` takes over `exampleCount` examples (the last batch of an epoch may be short).
    public func steps(exampleCount: Int) -> Int {
        guard exampleCount > 0 else { return 0 }
        return epochs * ((exampleCount + batchSize - 1) / batchSize)
    }

    /// The sampling rate to give the accountant: batch size over data set size, at most 1.
    public func samplingRate(exampleCount: Int) -> Double {
        guard exampleCount > 0 else { return 0 }
        return min(1, Double(batchSize) / Double(exampleCount))
    }
}

/// Local DP-SGD on one participant's examples.
public enum LocalTraining {
    /// Trains from `start` over `examples` with DP-SGD and returns the trained head and the number of steps taken.
    ///
    /// Each epoch shuffles the examples with `rng` and cuts them into batches of
    /// `batchSize` (the last one may be shorter). Per batch: per-example
    /// gradients, each clipped to L2 norm `clipNorm`, summed, plus Gaussian
    /// noise N(0, (noiseMultiplier · clipNorm)²) per coordinate, divided by
    /// `batchSize`, then one SGD step.
    ///
    /// The divisor is always `batchSize`, never the actual batch length, so the
    /// step does not depend on how many examples a batch holds. The RDP
    /// accountant models Poisson subsampling at rate `samplingRate(exampleCount:)`;
    /// shuffled fixed-size batches are the usual stand-in for it (as in
    /// Opacus's and TF Privacy's tutorials), not an exact match.
    ///
    /// A linear head takes `trainLinear`, which computes the same steps without writing each example's gradient out.
    public static func train(
        _ start: Head, on examples: [Example], config: DPSGDConfig,
        rng: inout some RandomNumberGenerator
    ) -> (head: Head, steps: Int) {
        if start.shape.isLinear { return trainLinear(start, on: examples, config: config, rng: &rng) }
        return trainPerExample(start, on: examples, config: config, rng: &rng)
    }

    /// The loop both paths share: each epoch shuffles the examples with `rng` and cuts batches; per batch
    /// `accumulate(head, batch, sum)` writes the clipped sum of the batch's gradients at `head` into the zeroed `sum`,
    /// then Gaussian noise is added from `rng` and one SGD step taken.
    static func descend(
        _ start: Head, examples count: Int, config: DPSGDConfig, rng: inout some RandomNumberGenerator,
        accumulate: (Head, ArraySlice<Int>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> (head: Head, steps: Int) {
        var head = start
        guard count > 0, config.epochs > 0 else { return (head, 0) }
        let parameters = head.shape.parameterCount
        var batchSum = [Float](repeating: 0, count: parameters)
        var sampler = GaussianSampler()
        var order = Array(0..<count)
        let noiseStandardDeviation = Double(config.noiseMultiplier) * Double(config.clipNorm)
        let stepScale = config.learningRate / Float(config.batchSize)
        var steps = 0
        for _ in 0..<config.epochs {
            shuffle(&order, using: &rng)
            var batchStart = 0
            while batchStart < order.count {
                let batchEnd = min(batchStart + config.batchSize, order.count)
                batchSum.withUnsafeMutableBufferPointer { sum in
                    for i in 0..<parameters { sum[i] = 0 }
                    accumulate(head, order[batchStart..<batchEnd], sum)
                }
                if config.noiseMultiplier > 0 {
                    for i in 0..<parameters {
                        batchSum[i] += Float(noiseStandardDeviation * sampler.next(using: &rng))
                    }
                }
                for i in 0..<parameters { head.parameters[i] -= stepScale * batchSum[i] }
                steps += 1
                batchStart = batchEnd
            }
        }
        return (head, steps)
    }

    /// DP-SGD by writing each example's whole gradient, clipping it and adding it to the batch's sum: any head.
    static func trainPerExample(
        _ start: Head, on examples: [Example], config: DPSGDConfig,
        rng: inout some RandomNumberGenerator
    ) -> (head: Head, steps: Int) {
        let count = start.shape.parameterCount
        var workspace = HeadWorkspace(start.shape)
        var perExample = [Float](repeating: 0, count: count)
        return descend(start, examples: examples.count, config: config, rng: &rng) { head, batch, sum in
            for index in batch {
                perExample.withUnsafeMutableBufferPointer { gradient in
                    head.writeGradient(of: examples[index], workspace: &workspace, into: gradient)
                    let scale = clipScale(gradient, clipNorm: config.clipNorm)
                    for i in 0..<count { sum[i] += scale * gradient[i] }
                }
            }
        }
    }

    /// DP-SGD for a linear head `W x + b`, the same steps as `trainPerExample` (same shuffles, clipping, noise and
    /// updates, drawn from `rng` in the same order) at a fraction of the cost. An example's gradient is `e ⊗ [x, 1]`
    /// with `e = softmax(W x + b) − onehot(y)`, so its norm is `‖e‖ · √(‖x‖² + 1)` without writing it out (‖x‖² is
    /// computed once per example), and the batch's clipped sum is accumulated row by row straight into `W` and `b`.
    static func trainLinear(
        _ start: Head, on examples: [Example], config: DPSGDConfig,
        rng: inout some RandomNumberGenerator
    ) -> (head: Head, steps: Int) {
        let shape = start.shape
        let (labels, inputs) = (shape.labels, shape.inputs)
        let biasOffset = shape.firstBiasOffset
        // ‖x‖² + 1 per example, the square of the norm of the layer's input with its constant for the bias.
        let inputNorms = examples.map { e in
            precondition(e.features.count == inputs, "expected \(inputs) features, got \(e.features.count)")
            return e.features.withUnsafeBufferPointer { Double(dot($0.baseAddress!, $0.baseAddress!, inputs)) } + 1
        }
        var logits = [Float](repeating: 0, count: labels)
        let clip = Double(config.clipNorm)
        return descend(start, examples: examples.count, config: config, rng: &rng) { head, batch, sum in
            head.parameters.withUnsafeBufferPointer { p in
                logits.withUnsafeMutableBufferPointer { z in
                    for index in batch {
                        let e = examples[index]
                        precondition(e.label >= 0 && e.label < labels, "label \(e.label) out of range")
                        e.features.withUnsafeBufferPointer { xb in
                            let x = xb.baseAddress!
                            for r in 0..<labels { z[r] = dot(p.baseAddress! + r * inputs, x, inputs) + p[biasOffset + r] }
                            // softmax − onehot(label), in place.
                            var top = z[0]
                            for r in 1..<labels where z[r] > top { top = z[r] }
                            var total: Float = 0
                            for r in 0..<labels {
                                z[r] = exp(z[r] - top)
                                total += z[r]
                            }
                            var squared = 0.0
                            for r in 0..<labels {
                                z[r] /= total
                                if r == e.label { z[r] -= 1 }
                                squared += Double(z[r]) * Double(z[r])
                            }
                            let norm = (squared * inputNorms[index]).squareRoot()
                            // A non-finite gradient counts for nothing, as in `clipScale`.
                            let scale: Float = !norm.isFinite ? 0 : norm > clip ? Float(clip / norm) : 1
                            for r in 0..<labels {
                                let d = scale * z[r]
                                axpy(d, x, sum.baseAddress! + r * inputs, inputs)
                                sum[biasOffset + r] += d
                            }
                        }
                    }
                }
            }
        }
    }

    /// `Σ a[i]·b[i]` over `n` floats, sixteen lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
            let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes.addProduct(va, vb)
            i += 16
        }
        var sum = lanes.sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `y[i] += a·x[i]` over `n` floats, sixteen lanes at a time.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let va = SIMD16<Float>(repeating: a)
        while i + 16 <= n {
            let vx = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let vy = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: vy.addingProduct(va, vx), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            y[i] += a * x[i]
            i += 1
        }
    }

    /// The factor `min(1, clipNorm / ‖g‖)` that brings `g` within the clip norm.
    ///
    /// A non-finite gradient gets factor 0: dropping it keeps every example's
    /// contribution within `clipNorm`, which the privacy guarantee rests on.
    static func clipScale(_ gradient: UnsafeMutableBufferPointer<Float>, clipNorm: Float) -> Float {
        var squared = 0.0
        for value in gradient { squared += Double(value) * Double(value) }
        let norm = squared.squareRoot()
        guard norm.isFinite else { return 0 }
        guard norm > Double(clipNorm) else { return 1 }
        return Float(Double(clipNorm) / norm)
    }

    /// Fisher–Yates shuffle with a hand-written bounded draw, so the permutation
    /// for a given generator does not depend on the standard library's algorithms.
    static func shuffle(_ values: inout [Int], using rng: inout some RandomNumberGenerator) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = uniformIndex(below: i + 1, using: &rng)
            values.swapAt(i, j)
        }
    }

    /// An unbiased draw from `0..<bound` by Lemire's multiply-and-reject method.
    static func uniformIndex(below bound: Int, using rng: inout some RandomNumberGenerator) -> Int {
        let range = UInt64(bound)
        var product = rng.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = rng.next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }
}
