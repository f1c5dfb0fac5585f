import CairnTrainer
import Testing

/// The normal sampler behind the DP-SGD noise.
@Suite("Gaussian sampler")
struct GaussianSamplerTests {
    static func draws(_ count: Int, seed: UInt64) -> [Double] {
        var rng = TrainerTestRNG(seed: seed)
        var sampler = GaussianSampler()
        return (0..<count).map { _ in sampler.next(using: &rng) }
    }

    @Test("draws have mean 0, variance 1 and the normal's one-sigma mass")
    func drawsAreStandardNormal() {
        let values = Self.draws(40_000, seed: 12)
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let withinOne = Double(values.filter { abs($0) < 1 }.count) / n
        let beyondThree = Double(values.filter { abs($0) > 3 }.count) / n
        // Bounds are about four standard errors wide.
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.03)
        #expect(abs(withinOne - 0.682_689) < 0.01)
        #expect(abs(beyondThree - 0.002_700) < 0.0015)
    }

    @Test("the same generator state gives the same draws; another seed does not")
    func drawsAreDeterministicGivenTheGenerator() {
        #expect(Self.draws(101, seed: 77) == Self.draws(101, seed: 77))
        #expect(Self.draws(101, seed: 77) != Self.draws(101, seed: 78))
    }

    @Test("mean and standard deviation shift and scale the draws")
    func meanAndStandardDeviationApply() {
        var rngA = TrainerTestRNG(seed: 5)
        var rngB = TrainerTestRNG(seed: 5)
        var a = GaussianSampler()
        var b = GaussianSampler()
        for _ in 0..<10 {
            let standard = a.next(using: &rngA)
            let scaled = b.next(mean: 3, standardDeviation: 2, using: &rngB)
            #expect(abs(scaled - (3 + 2 * standard)) < 1e-12)
        }
    }
}
