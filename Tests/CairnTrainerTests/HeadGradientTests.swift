import CairnTrainer
import Testing

/// The analytic per-example gradient against central finite differences of the loss.
@Suite("Head gradient")
struct HeadGradientTests {
    /// Step for the finite differences: big enough that Float rounding of the
    /// logits (about 1e-7) is small next to the change, small enough that the
    /// O(h²) truncation error is negligible.
    static let step: Float = 1e-3

    /// Compares every coordinate of `head.gradient(example)` with (L(θ+h) − L(θ−h)) / 2h.
    static func expectGradientMatchesFiniteDifferences(_ head: Head, _ example: Example) {
        let analytic = head.gradient(example)
        #expect(analytic.count == head.shape.parameterCount)
        var worst = 0.0
        for index in head.parameters.indices {
            var plus = head
            var minus = head
            plus.parameters[index] += step
            minus.parameters[index] -= step
            // Divide by the perturbation actually stored, after Float rounding.
            let width = Double(plus.parameters[index]) - Double(minus.parameters[index])
            let numeric = (plus.loss([example]) - minus.loss([example])) / width
            let error = abs(Double(analytic[index]) - numeric)
            worst = max(worst, error / (1e-3 + abs(numeric)))
            #expect(
                error <= 1e-3 + 1e-2 * abs(numeric),
                "parameter \(index): analytic \(analytic[index]), numeric \(numeric)"
            )
        }
        #expect(worst < 1e-2)
    }

    @Test("linear head: analytic gradient matches central finite differences")
    func linearGradientMatchesFiniteDifferences() {
        var rng = TrainerTestRNG(seed: 7)
        let shape = HeadShape(inputs: 6, hidden: 0, labels: 3)
        let head = Head(shape: shape, parameters: TrainerFixtures.uniformVector(shape.parameterCount, scale: 0.8, rng: &rng))
        for label in 0..<shape.labels {
            let example = Example(features: TrainerFixtures.uniformVector(shape.inputs, scale: 1, rng: &rng), label: label)
            Self.expectGradientMatchesFiniteDifferences(head, example)
        }
    }

    @Test("MLP head: analytic gradient matches central finite differences, through active and inactive ReLUs")
    func mlpGradientMatchesFiniteDifferences() throws {
        var rng = TrainerTestRNG(seed: 11)
        let shape = HeadShape(inputs: 5, hidden: 6, labels: 3)
        var head = Head(shape: shape, parameters: TrainerFixtures.uniformVector(shape.parameterCount, scale: 0.8, rng: &rng))
        let features = TrainerFixtures.uniformVector(shape.inputs, scale: 1, rng: &rng)

        // Keep every hidden pre-activation far from the ReLU kink, where the
        // loss is not differentiable and finite differences straddle the corner.
        let biasOffset = shape.hidden * shape.inputs
        var active = 0
        for m in 0..<shape.hidden {
            var z = head.parameters[biasOffset + m]
            for j in 0..<shape.inputs { z += head.parameters[m * shape.inputs + j] * features[j] }
            if abs(z) < 0.2 { head.parameters[biasOffset + m] += z >= 0 ? 0.5 : -0.5 }
            if z >= 0 { active += 1 }
        }
        try #require(active > 0 && active < shape.hidden, "the fixture should exercise both ReLU branches")

        for label in 0..<shape.labels {
            Self.expectGradientMatchesFiniteDifferences(head, Example(features: features, label: label))
        }
    }

    @Test("gradient of the biases of a linear head is softmax minus one-hot")
    func linearBiasGradientIsSoftmaxMinusOneHot() {
        var rng = TrainerTestRNG(seed: 3)
        let shape = HeadShape(inputs: 4, hidden: 0, labels: 3)
        let head = Head(shape: shape, parameters: TrainerFixtures.uniformVector(shape.parameterCount, scale: 1, rng: &rng))
        let example = Example(features: TrainerFixtures.uniformVector(shape.inputs, scale: 1, rng: &rng), label: 2)
        let gradient = head.gradient(example)
        let probabilities = head.probabilities(example.features)
        for k in 0..<shape.labels {
            let expected = probabilities[k] - (k == example.label ? 1 : 0)
            #expect(abs(gradient[shape.labels * shape.inputs + k] - expected) < 1e-6)
        }
    }

    @Test("probabilities stay finite and sum to one for huge logits")
    func probabilitiesAreStableForHugeLogits() {
        let shape = HeadShape(inputs: 1, hidden: 0, labels: 2)
        let head = Head(shape: shape, parameters: [1000, -1000, 0, 0])
        let probabilities = head.probabilities([100])
        #expect(probabilities.allSatisfy { $0.isFinite })
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
        #expect(head.predict([100]) == 0)
        #expect(head.loss([Example(features: [100], label: 0)]).isFinite)
    }

    @Test("parameter count follows the fixed layout")
    func parameterCountFollowsLayout() {
        #expect(HeadShape(inputs: 384, hidden: 0, labels: 2).parameterCount == 384 * 2 + 2)
        #expect(HeadShape(inputs: 384, hidden: 64, labels: 5).parameterCount == 64 * 384 + 64 + 5 * 64 + 5)
    }
}
