import Foundation

/// Evidence about one provider pooled over its checked jobs: a sequential test for cheats too subtle to show in one job
/// (a lower quantization, a temperature a little off, greedy output sold as sampled, answers to other questions).
///
/// Sampled jobs add up the output's log-probability less its expectation and the variances, so the pooled z-score grows
/// as √jobs when every job leans the same way while an honest provider's stays a standard normal; the same for how often
/// the top token was emitted; the answers' relevance is averaged. Greedy jobs add up close mismatches (the top choice
/// more than `closeDeficit` above the emitted token): honest engines have a few in a thousand tokens, a model with
/// coarser weights many more. The z-scores and relevance are judged from `pooledMinimumJobs` sampled jobs on (a few
/// jobs' sums are skewed), each time a job is added, against a fixed bound.
public struct PooledEvidence: Sendable, Equatable, Codable {
    public var jobs = 0
    public var sampledJobs = 0
    public var greedyTokens = 0
    public var closeMismatches = 0
    /// Σ (log p − expectation) and Σ variance over sampled jobs.
    public var logProbabilityExcess = 0.0
    public var logProbabilityVariance = 0.0
    /// Σ (top tokens − expectation) and Σ variance over sampled jobs.
    public var topExcess = 0.0
    public var topVariance = 0.0
    /// Σ relevance and the chat jobs it was measured on.
    public var relevance = 0.0
    public var relevanceJobs = 0

    public init() {}

    public mutating func add(_ v: InferenceCheck.Verdict) {
        jobs += 1
        if let close = v.closeMismatches {
            greedyTokens += v.tokens
            closeMismatches += close
        }
        if let variance = v.logProbabilityVariance {
            sampledJobs += 1
            logProbabilityExcess += v.logProbability - v.expectedLogProbability
            logProbabilityVariance += variance
        }
        if let tops = v.topTokens, let expected = v.expectedTopTokens, let variance = v.topVariance {
            topExcess += Double(tops) - expected
            topVariance += variance
        }
        if let r = v.relevance {
            relevance += r
            relevanceJobs += 1
        }
    }

    /// The pooled log-probability z-score (nil before a sampled job).
    public var logProbabilityZ: Double? { logProbabilityVariance > 0 ? logProbabilityExcess / logProbabilityVariance.squareRoot() : nil }
    /// The pooled top-token z-score (nil before a sampled job).
    public var topZ: Double? { topVariance > 0 ? topExcess / topVariance.squareRoot() : nil }

    /// The close mismatches honest engines stay under for `greedyTokens`: the measured rate plus five standard
    /// deviations of a Poisson count, and 3.
    public func closeMismatchAllowance(_ t: InferenceCheck.Thresholds) -> Double {
        let mean = t.closeMismatchRate * Double(greedyTokens)
        return mean + 5 * mean.squareRoot() + 3
    }

    /// Why the pooled evidence says the provider cheats, or nil when it does not.
    public func failure(_ t: InferenceCheck.Thresholds = .standard) -> String? {
        var reasons: [String] = []
        guard jobs > 0 else { return nil }
        let enough = sampledJobs >= t.pooledMinimumJobs
        if enough, let z = logProbabilityZ, abs(z) > t.pooledZScore {
            reasons.append("over \(sampledJobs) sampled jobs the outputs' log-probability is \(String(format: "%.1f", z)) standard deviations "
                           + (z > 0 ? "above" : "below") + " what the claimed temperatures give")
        }
        if enough, let z = topZ, z > t.pooledZScore {
            reasons.append("over \(sampledJobs) sampled jobs the top token was emitted \(String(format: "%.1f", z)) standard deviations more often "
                           + "than the claimed temperatures give")
        }
        if relevanceJobs >= t.pooledMinimumJobs, relevance < t.pooledRelevance * Double(relevanceJobs) {
            reasons.append("over \(relevanceJobs) chat answers the answers are \(String(format: "%.1f", -relevance / Double(relevanceJobs))) nats "
                           + "less likely after their questions than after empty ones, on average")
        }
        if Double(closeMismatches) > closeMismatchAllowance(t) {
            reasons.append("over \(greedyTokens) greedy tokens \(closeMismatches) were not the model's top choice by more than "
                           + "\(t.closeDeficit) logits (honest engines stay under \(Int(closeMismatchAllowance(t))))")
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
