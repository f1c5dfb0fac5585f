import Foundation
import Testing
@testable import CairnInference

/// The pooled sequential test on made-up verdicts: evidence one job cannot show adds up over a provider's jobs, and
/// an honest provider's stays inside the bounds.
@Suite struct PooledEvidenceTests {
    static func sampled(excess: Double, variance: Double = 16, topExcess: Double = 0, relevance: Double? = nil) -> InferenceCheck.Verdict {
        InferenceCheck.Verdict(verdict: "pass", tokens: 32, mismatches: 0, reason: "", zScore: excess / variance.squareRoot(),
                               logProbability: -40 + excess, expectedLogProbability: -40, endProbability: 0.5, relevance: relevance,
                               logProbabilityVariance: variance, topTokens: Int(16 + topExcess), expectedTopTokens: 16, topVariance: 6,
                               closeMismatches: nil)
    }

    static func greedy(close: Int) -> InferenceCheck.Verdict {
        InferenceCheck.Verdict(verdict: "pass", tokens: 32, mismatches: 0, reason: "", zScore: nil, logProbability: -3,
                               expectedLogProbability: -5, endProbability: 0.5, closeMismatches: close)
    }

    @Test func aLeanTooSmallForOneJobIsCaughtPooled() {
        // Each job 2 standard deviations high: far under the single-job bound of 6, past the pooled bound of 5 after seven.
        var e = PooledEvidence()
        var flaggedAt: Int?
        for j in 1...10 {
            e.add(Self.sampled(excess: 8))
            #expect(abs(Self.sampled(excess: 8).zScore!) < InferenceCheck.Thresholds.standard.zScore)
            if flaggedAt == nil, e.failure() != nil { flaggedAt = j }
        }
        #expect(flaggedAt == 7)
        #expect(e.failure()?.contains("above what the claimed temperatures give") == true)
    }

    @Test func anHonestProvidersEvidenceStaysInside() {
        // Excesses of ±1 standard deviation alternating, top tokens as expected, relevant answers, rare close mismatches.
        var e = PooledEvidence()
        for j in 0..<300 {
            e.add(Self.sampled(excess: j % 2 == 0 ? 4 : -4, relevance: 12))
            e.add(Self.greedy(close: j % 100 == 0 ? 1 : 0))
        }
        #expect(e.failure() == nil, "\(e)")
        #expect(e.jobs == 600 && e.sampledJobs == 300 && e.greedyTokens == 300 * 32 && e.closeMismatches == 3)
    }

    @Test func greedySoldAsSampledAndReplaysAndCoarseWeightsAddUp() {
        var tops = PooledEvidence()
        for _ in 0..<6 { tops.add(Self.sampled(excess: 0, topExcess: 5)) }
        #expect(tops.failure() == nil)  // 30 over 6 jobs of variance 6: z ≈ 5.0, not above 5
        tops.add(Self.sampled(excess: 0, topExcess: 5))
        #expect(tops.failure()?.contains("top token was emitted") == true)

        var replays = PooledEvidence()
        for _ in 0..<4 { replays.add(Self.sampled(excess: 0, relevance: -6)) }
        #expect(replays.failure() == nil)  // fewer than 5 answers: not judged
        replays.add(Self.sampled(excess: 0, relevance: -6))  // a mean of −6 over 5, below −5
        #expect(replays.failure()?.contains("less likely after their questions") == true)

        var coarse = PooledEvidence()
        for _ in 0..<20 { coarse.add(Self.greedy(close: 1)) }
        // 640 greedy tokens: the allowance is 0.002·640 + 5·√1.28 + 3 ≈ 9.9; 20 close mismatches exceed it.
        #expect(coarse.failure()?.contains("greedy tokens") == true)
    }

    @Test func codableRoundTrip() throws {
        var e = PooledEvidence()
        e.add(Self.sampled(excess: 3, relevance: 5))
        e.add(Self.greedy(close: 2))
        let data = try JSONEncoder().encode(e)
        #expect(try JSONDecoder().decode(PooledEvidence.self, from: data) == e)
    }

    @Test func providersCheatingOnAShareOfTheirJobsTakeTheCheatOrTheHonestVerdictJobByJob() {
        func verdict(_ passed: Bool) -> InferenceCheck.Verdict {
            InferenceCheck.Verdict(verdict: passed ? "pass" : "fail", tokens: 8, mismatches: passed ? 0 : 8, reason: "", zScore: nil,
                                   logProbability: 0, expectedLogProbability: 0, endProbability: 0, relevance: nil)
        }
        var tally = VerificationBenchmark.Tally()
        for _ in 0..<40 {
            tally.record("cheat", verdict(false))
            tally.record("honest", verdict(true))
        }
        let rates = tally.diluted("cheat", honest: "honest", shares: [0, 0.25, 1])
        #expect(rates.map(\.kind) == ["cheat, on 0% of jobs", "cheat, on 25% of jobs", "cheat, on 100% of jobs"])
        #expect(rates.map(\.providers) == [2, 2, 2])
        #expect(rates[0].flagged == 0 && rates[0].meanJobsToFlag == nil)
        #expect(rates[2].flagged == 2 && rates[2].meanJobsToFlag == 1)
        // A quarter of the jobs cheated: each provider is flagged at its first cheated job, on average after more than one.
        #expect(rates[1].flagged == 2 && (rates[1].meanJobsToFlag ?? 0) > 1)
        // Lists of different lengths are not jobs of the same providers.
        tally.record("honest", verdict(true))
        #expect(tally.diluted("cheat", honest: "honest", shares: [0.5]).isEmpty)
    }
}
