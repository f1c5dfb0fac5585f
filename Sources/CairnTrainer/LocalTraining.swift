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
    public static func train(
        _ start: Head, on examples: [Example], config: DPSGDConfig,
        rng: inout some RandomNumberGenerator
    ) -> (head: Head, steps: Int) {
        var head = start
        guard !examples.isEmpty, config.epochs > 0 else { return (head, 0) }

        let count = head.shape.parameterCount
        var workspace = HeadWorkspace(head.shape)
        var perExample = [Float](repeating: 0, count: count)
        var batchSum = [Float](repeating: 0, count: count)
        var sampler = GaussianSampler()
        var order = Array(examples.indices)
        let clip = config.clipNorm
        let noiseStandardDeviation = Double(config.noiseMultiplier) * Double(config.clipNorm)
        let stepScale = config.learningRate / Float(config.batchSize)
        var steps = 0

        for _ in 0..<config.epochs {
            shuffle(&order, using: &rng)
            var batchStart = 0
            while batchStart < order.count {
                let batchEnd = min(batchStart + config.batchSize, order.count)
                for i in 0..<count { batchSum[i] = 0 }

                for index in order[batchStart..<batchEnd] {
                    perExample.withUnsafeMutableBufferPointer { gradient in
                        head.writeGradient(of: examples[index], workspace: &workspace, into: gradient)
                        let scale = clipScale(gradient, clipNorm: clip)
                        batchSum.withUnsafeMutableBufferPointer { sum in
                            for i in 0..<count { sum[i] += scale * gradient[i] }
                        }
                    }
                }

                if config.noiseMultiplier > 0 {
                    for i in 0..<count {
                        batchSum[i] += Float(noiseStandardDeviation * sampler.next(using: &rng))
                    }
                }
                for i in 0..<count { head.parameters[i] -= stepScale * batchSum[i] }

                steps += 1
                batchStart = batchEnd
            }
        }
        return (head, steps)
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
