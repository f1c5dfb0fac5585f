@testable import CairnTrainer
import Testing

/// DP-SGD training: clipping, noise, convergence without privacy, and reproducibility.
@Suite("Local DP-SGD training")
struct LocalTrainingTests {
    static let shapes = [
        HeadShape(inputs: 384, hidden: 0, labels: 2),
        HeadShape(inputs: 384, hidden: 16, labels: 2),
    ]

    static func start(_ shape: HeadShape) -> Head {
        var rng = TrainerTestRNG(seed: 99)
        return shape.hidden == 0 ? .zero(shape) : .random(shape, using: &rng)
    }

    @Test("with noise 0 and clip C, one step moves the parameters by at most lr·C", arguments: shapes)
    func oneClippedStepIsBoundedByLearningRateTimesClip(shape: HeadShape) {
        var rng = TrainerTestRNG(seed: 1)
        let examples = TrainerFixtures.large(count: 32, shape: shape, rng: &rng)
        let start = Self.start(shape)
        let config = DPSGDConfig(clipNorm: 0.1, noiseMultiplier: 0, learningRate: 0.5, epochs: 1, batchSize: 32)

        let bound = Double(config.learningRate * config.clipNorm)

        var unclippedRNG = rng
        var unclipped = config
        unclipped.clipNorm = .infinity
        let free = LocalTraining.train(start, on: examples, config: unclipped, rng: &unclippedRNG).head
        // The fixture only tests something if clipping actually bites.
        #expect(TrainerFixtures.distance(free.parameters, start.parameters) > 10 * bound)

        let (trained, steps) = LocalTraining.train(start, on: examples, config: config, rng: &rng)
        #expect(steps == 1)
        let moved = TrainerFixtures.distance(trained.parameters, start.parameters)
        #expect(moved > 0)
        #expect(moved <= bound * (1 + 1e-5))
    }

    @Test("the added noise has standard deviation lr·σ·C/batchSize per coordinate")
    func noiseHasTheConfiguredScale() {
        let shape = HeadShape(inputs: 384, hidden: 0, labels: 2)
        var dataRNG = TrainerTestRNG(seed: 2)
        let examples = TrainerFixtures.large(count: 32, shape: shape, rng: &dataRNG)
        let quiet = DPSGDConfig(clipNorm: 0.5, noiseMultiplier: 0, learningRate: 0.1, epochs: 1, batchSize: 32)
        var noisy = quiet
        noisy.noiseMultiplier = 2

        // One full batch: the shuffle cannot change the clipped sum, so the two
        // runs differ by the noise alone.
        var rngA = TrainerTestRNG(seed: 5)
        var rngB = TrainerTestRNG(seed: 5)
        let withoutNoise = LocalTraining.train(.zero(shape), on: examples, config: quiet, rng: &rngA).head
        let withNoise = LocalTraining.train(.zero(shape), on: examples, config: noisy, rng: &rngB).head
        let differences = zip(withNoise.parameters, withoutNoise.parameters).map { Double($0) - Double($1) }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(differences.count - 1)
        let expected = Double(noisy.learningRate * noisy.noiseMultiplier * noisy.clipNorm) / Double(noisy.batchSize)
        // 770 draws estimate a standard deviation to within about 2.5% (one standard error).
        #expect(abs(variance.squareRoot() / expected - 1) < 0.1)
        #expect(abs(mean) < 4 * expected / Double(differences.count).squareRoot())
    }

    @Test("with noise 0 and no clipping, a linearly separable set is learnt to ≥ 95% accuracy", arguments: shapes)
    func noiselessTrainingLearnsSeparableData(shape: HeadShape) {
        var rng = TrainerTestRNG(seed: 3)
        let train = TrainerFixtures.separable(count: 400, inputs: shape.inputs, rng: &rng)
        let config = DPSGDConfig(clipNorm: .infinity, noiseMultiplier: 0, learningRate: 0.5, epochs: 10, batchSize: 32)
        let start = Self.start(shape)
        let (trained, steps) = LocalTraining.train(start, on: train, config: config, rng: &rng)
        #expect(steps == config.steps(exampleCount: train.count))
        #expect(trained.accuracy(train) >= 0.95)
        #expect(trained.loss(train) < start.loss(train))
    }

    @Test("private training with σ = 1 still learns the separable set")
    func privateTrainingStillLearns() {
        var rng = TrainerTestRNG(seed: 4)
        let shape = HeadShape(inputs: 384, hidden: 0, labels: 2)
        let train = TrainerFixtures.separable(count: 1000, inputs: shape.inputs, rng: &rng)
        let config = DPSGDConfig(clipNorm: 1, noiseMultiplier: 1, learningRate: 1, epochs: 5, batchSize: 100)
        let trained = LocalTraining.train(.zero(shape), on: train, config: config, rng: &rng).head
        #expect(trained.accuracy(train) >= 0.9)
    }

    /// The linear head's path computes each example's norm from ‖e‖ and ‖x‖ and never writes its gradient out; it
    /// must take the same steps as writing every gradient, clipping it and summing (the path every other head takes),
    /// with and without clipping that bites and with noise, for inputs not a multiple of its sixteen lanes too.
    @Test("a linear head's fast path takes the same steps as per-example gradients",
          arguments: [(384, 3, Float(0.05), Float(0)), (384, 2, .infinity, 0), (37, 5, 1, 1.1)])
    func linearFastPathMatchesPerExampleGradients(inputs: Int, labels: Int, clip: Float, noise: Float) {
        let shape = HeadShape(inputs: inputs, hidden: 0, labels: labels)
        var dataRNG = TrainerTestRNG(seed: 8)
        let examples = TrainerFixtures.large(count: 90, shape: shape, rng: &dataRNG)
        var start = Head.zero(shape)
        for i in start.parameters.indices { start.parameters[i] = Float(i % 7) * 0.01 - 0.03 }
        let config = DPSGDConfig(clipNorm: clip, noiseMultiplier: noise, learningRate: 0.3, epochs: 2, batchSize: 16)
        var rngA = TrainerTestRNG(seed: 5)
        var rngB = TrainerTestRNG(seed: 5)
        let fast = LocalTraining.trainLinear(start, on: examples, config: config, rng: &rngA)
        let slow = LocalTraining.trainPerExample(start, on: examples, config: config, rng: &rngB)
        #expect(fast.steps == slow.steps && fast.steps == 12)
        let moved = TrainerFixtures.distance(slow.head.parameters, start.parameters)
        #expect(moved > 0.01)
        #expect(TrainerFixtures.distance(fast.head.parameters, slow.head.parameters) <= 1e-4 * max(1, moved))
        #expect(rngA.next() == rngB.next(), "both drew the same randomness")
    }

    /// The agent's generator: two instances never give the same stream, and its words are uniform bit by bit across
    /// many 4 KiB blocks of keystream.
    @Test("the keystream generator is uniform and fresh per instance")
    func keystreamGeneratorIsUniformAndFresh() {
        var a = KeystreamGenerator()
        var b = KeystreamGenerator()
        let first = (0..<2_000).map { _ in a.next() }
        #expect(first != (0..<2_000).map { _ in b.next() })
        #expect(Set(first).count == first.count)
        var ones = [Int](repeating: 0, count: 64)
        let draws = 40_000  // 78 refills
        for _ in 0..<draws {
            let w = a.next()
            for bit in 0..<64 where w >> UInt64(bit) & 1 == 1 { ones[bit] += 1 }
        }
        // Each bit is set in half the draws, within 5 standard deviations (100 for 40,000 fair coins).
        #expect(ones.allSatisfy { abs($0 - draws / 2) < 500 }, "\(ones)")
    }

    @Test("the same seed gives bit-identical heads")
    func sameSeedSameResult() {
        let shape = HeadShape(inputs: 384, hidden: 8, labels: 3)
        var dataRNG = TrainerTestRNG(seed: 6)
        let examples = TrainerFixtures.large(count: 50, shape: shape, rng: &dataRNG)
        let config = DPSGDConfig(clipNorm: 1, noiseMultiplier: 1.1, learningRate: 0.2, epochs: 2, batchSize: 16)
        var rngA = TrainerTestRNG(seed: 42)
        var rngB = TrainerTestRNG(seed: 42)
        let a = LocalTraining.train(Self.start(shape), on: examples, config: config, rng: &rngA)
        let b = LocalTraining.train(Self.start(shape), on: examples, config: config, rng: &rngB)
        #expect(a.head == b.head)
        #expect(a.steps == b.steps)
    }

    @Test("different seeds give different noise")
    func differentSeedsDifferentNoise() {
        let shape = HeadShape(inputs: 384, hidden: 0, labels: 2)
        var dataRNG = TrainerTestRNG(seed: 8)
        // A single full batch, so only the noise can tell the runs apart.
        let examples = TrainerFixtures.large(count: 32, shape: shape, rng: &dataRNG)
        let config = DPSGDConfig(clipNorm: 1, noiseMultiplier: 1, learningRate: 0.1, epochs: 1, batchSize: 32)
        var rngA = TrainerTestRNG(seed: 1)
        var rngB = TrainerTestRNG(seed: 2)
        let a = LocalTraining.train(.zero(shape), on: examples, config: config, rng: &rngA).head
        let b = LocalTraining.train(.zero(shape), on: examples, config: config, rng: &rngB).head
        let differing = zip(a.parameters, b.parameters).filter { $0 != $1 }.count
        #expect(differing == shape.parameterCount)
    }

    @Test("steps count every batch, including a short last one, and nothing is taken for no data")
    func stepCountIncludesShortBatches() {
        let shape = HeadShape(inputs: 3, hidden: 0, labels: 2)
        var rng = TrainerTestRNG(seed: 9)
        let examples = TrainerFixtures.large(count: 70, shape: shape, rng: &rng)
        let config = DPSGDConfig(clipNorm: 1, noiseMultiplier: 0.5, learningRate: 0.1, epochs: 3, batchSize: 32)
        #expect(LocalTraining.train(.zero(shape), on: examples, config: config, rng: &rng).steps == 9)
        #expect(config.steps(exampleCount: 70) == 9)
        #expect(config.samplingRate(exampleCount: 70) == 32.0 / 70.0)
        let empty = LocalTraining.train(.zero(shape), on: [], config: config, rng: &rng)
        #expect(empty.steps == 0 && empty.head == .zero(shape))
    }
}
