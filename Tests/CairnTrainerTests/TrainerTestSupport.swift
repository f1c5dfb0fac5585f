import CairnTrainer

/// SplitMix64: a tiny seeded generator, so every test run draws the same numbers.
struct TrainerTestRNG: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fixtures shared by the trainer tests.
enum TrainerFixtures {
    /// A vector of `count` uniform draws in `-scale...scale`.
    static func uniformVector(_ count: Int, scale: Float, rng: inout TrainerTestRNG) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &rng) }
    }

    /// Two classes of roughly unit-norm embeddings, shifted apart along a hidden
    /// direction and labelled by the side of the hyperplane they fall on, so the
    /// set is linearly separable with a wide margin.
    static func separable(count: Int, inputs: Int, rng: inout TrainerTestRNG) -> [Example] {
        var sampler = GaussianSampler()
        var direction = (0..<inputs).map { _ in Float(sampler.next(using: &rng)) }
        let length = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        direction = direction.map { $0 / length }
        let noiseScale = 1 / Float(inputs).squareRoot()
        return (0..<count).map { index in
            let side: Float = index.isMultiple(of: 2) ? 1 : -1
            var features = (0..<inputs).map { _ in Float(sampler.next(using: &rng)) * noiseScale }
            for j in 0..<inputs { features[j] += side * 0.2 * direction[j] }
            let projection = zip(features, direction).reduce(0) { $0 + $1.0 * $1.1 }
            return Example(features: features, label: projection > 0 ? 1 : 0)
        }
    }

    /// Examples with large random features, so unclipped gradients are far above any small clip norm.
    static func large(count: Int, shape: HeadShape, rng: inout TrainerTestRNG) -> [Example] {
        (0..<count).map { index in
            Example(features: uniformVector(shape.inputs, scale: 3, rng: &rng), label: index % shape.labels)
        }
    }

    /// L2 norm of `a − b`, accumulated in Double.
    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { sum, pair in
            let d = Double(pair.0) - Double(pair.1)
            return sum + d * d
        }.squareRoot()
    }
}
