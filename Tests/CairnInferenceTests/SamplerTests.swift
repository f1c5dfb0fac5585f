import Foundation
import Testing
@testable import CairnInference

@Suite struct SamplerTests {
    static func withLogits<T>(_ values: [Float], _ body: (UnsafeMutableBufferPointer<Float>) -> T) -> T {
        var copy = values
        return copy.withUnsafeMutableBufferPointer { body($0) }
    }

    static let logits: [Float] = [0.5, 3.0, -1.0, 2.9, 0.0, 1.5, -4.0, 2.0]

    @Test func greedyPicksTheLargestLogit() {
        var sampler = Sampler(parameters: .greedy(), vocabularySize: 8)
        #expect(Self.withLogits(Self.logits) { sampler.sample(logits: $0, history: []) } == 1)
    }

    @Test func logprobsAreTheLogSoftmaxWithTheMostLikelyFirst() {
        let logits: [Float] = [1, 3, 3, -2, 0.5]
        let measured = logits.withUnsafeBufferPointer { TokenLogprobs.measure($0, token: 4, k: 3) }
        let normalizer = log(logits.reduce(0.0) { $0 + exp(Double($1)) })
        #expect(abs(Double(measured.chosen.logprob) - (0.5 - normalizer)) < 1e-5)
        #expect(measured.chosen.id == 4)
        // Ties keep the lower id first, as greedy decoding does.
        #expect(measured.top.map(\.id) == [1, 2, 0])
        for c in measured.top { #expect(abs(Double(c.logprob) - (Double(logits[Int(c.id)]) - normalizer)) < 1e-5) }
        let all = logits.withUnsafeBufferPointer { TokenLogprobs.measure($0, token: 0, k: 20) }
        #expect(all.top.count == 5)
        #expect(abs(all.top.reduce(0.0) { $0 + exp(Double($1.logprob)) } - 1) < 1e-5)
        #expect(logits.withUnsafeBufferPointer { TokenLogprobs.measure($0, token: 0, k: 0) }.top.isEmpty)
    }

    @Test func logprobsOutsideZeroToTwentyAreRefused() {
        #expect(throws: InferenceError.self) { try SamplingParameters(logprobs: 21).validate() }
        #expect(throws: InferenceError.self) { try SamplingParameters(logprobs: -1).validate() }
        #expect(throws: Never.self) { try SamplingParameters(logprobs: 20).validate() }
    }

    @Test func argmaxBreaksTiesTowardsTheLowerID() {
        #expect(Self.withLogits([1, 5, 5, 2]) { Sampler.argmax($0) } == 1)
    }

    @Test func sameSeedGivesSameSequenceAndOtherSeedsDiffer() {
        func draw(seed: UInt64) -> [Int32] {
            var sampler = Sampler(parameters: SamplingParameters(temperature: 1.5, seed: seed), vocabularySize: 8)
            return (0..<200).map { _ in Self.withLogits(Self.logits) { sampler.sample(logits: $0, history: []) } }
        }
        #expect(draw(seed: 42) == draw(seed: 42))
        #expect(draw(seed: 42) != draw(seed: 43))
    }

    @Test func topKOneAndTinyTopPAreGreedy() {
        for parameters in [
            SamplingParameters(temperature: 2, topK: 1, seed: 1), SamplingParameters(temperature: 2, topP: 0.01, seed: 1),
        ] {
            var sampler = Sampler(parameters: parameters, vocabularySize: 8)
            for _ in 0..<50 { #expect(Self.withLogits(Self.logits) { sampler.sample(logits: $0, history: []) } == 1) }
        }
    }

    @Test func topKRestrictsToTheKBestTokens() {
        var sampler = Sampler(parameters: SamplingParameters(temperature: 100, topK: 3, seed: 9), vocabularySize: 8)
        let seen = Set((0..<500).map { _ in Self.withLogits(Self.logits) { sampler.sample(logits: $0, history: []) } })
        #expect(seen == [1, 3, 7])
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // Probabilities at temperature 1: token 1 and 3 dominate; p = 0.6 needs both.
        var sampler = Sampler(parameters: SamplingParameters(temperature: 1, topP: 0.6, seed: 3), vocabularySize: 8)
        let seen = Set((0..<500).map { _ in Self.withLogits(Self.logits) { sampler.sample(logits: $0, history: []) } })
        #expect(seen == [1, 3])
    }

    @Test func samplingFrequenciesFollowTheSoftmax() {
        var sampler = Sampler(parameters: SamplingParameters(temperature: 1, seed: 5), vocabularySize: 2)
        let draws = 20_000
        let ones = (0..<draws).filter { _ in Self.withLogits([0, 1]) { sampler.sample(logits: $0, history: []) } == 1 }.count
        let expected = 1 / (1 + exp(-1.0))
        #expect(abs(Double(ones) / Double(draws) - expected) < 0.015)
    }

    @Test func repetitionPenaltyDemotesSeenTokens() {
        var sampler = Sampler(parameters: SamplingParameters(repetitionPenalty: 1.5), vocabularySize: 8)
        // Token 1 (3.0 → 2.0) falls below token 3 (2.9); a repeated history entry is penalised only once.
        #expect(Self.withLogits(Self.logits) { sampler.sample(logits: $0, history: [1, 1, 1]) } == 3)
        var negative = Sampler(parameters: SamplingParameters(repetitionPenalty: 2), vocabularySize: 3)
        #expect(Self.withLogits([-0.5, -0.6, -3]) { negative.sample(logits: $0, history: [0]) } == 1)
    }

    @Test func invalidParametersAreRejected() {
        for parameters in [
            SamplingParameters(topK: -1), SamplingParameters(topP: 0), SamplingParameters(topP: 1.5),
            SamplingParameters(repetitionPenalty: 0), SamplingParameters(maxTokens: -1),
            SamplingParameters(stopSequences: [""]), SamplingParameters(temperature: .nan),
        ] {
            #expect(throws: InferenceError.self) { try parameters.validate() }
        }
    }

    @Test func xoshiroIsDeterministicAndUniform() {
        var a = Xoshiro256(seed: 123), b = Xoshiro256(seed: 123)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        var rng = Xoshiro256(seed: 0)
        let mean = (0..<100_000).reduce(0.0) { total, _ in total + Double(rng.nextUnitFloat()) } / 100_000
        #expect(abs(mean - 0.5) < 0.01)
    }
}
