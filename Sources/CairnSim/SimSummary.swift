import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp

/// `summary.json`: the run's settings, each check's result, and each run's verdicts.
struct SimSummary: Encodable {
    struct CheckEntry: Encodable {
        var ok: Bool
        var checked: Int
        var failed: Int
        var firstFailures: [String]
    }

    struct RunEntry: Encodable {
        var run: String
        var blocks: UInt64
        var verdicts: [Verdict]
        var failedTransactions: [String: Int]
        var captureAttempts: [CaptureAttempt]?
        var stateDigest: String
    }

    struct SweepEntry: Encodable {
        var value: Double
        var runs: Int
        /// Each verdict's mean over the point's runs, and the share of runs where it was ok.
        var meanVerdicts: [String: Double]
        var okShare: [String: Double]
    }

    var scenario: String
    var description: String
    var years: Double
    var seed: UInt64
    var blockIntervalSeconds: UInt64
    var parameters: [String: Double]
    var sweepParameter: String?
    var checks: [String: CheckEntry]
    var determinism: Determinism?
    var allChecksOK: Bool
    var runs: [RunEntry]
    var sweep: [SweepEntry]?

    init(options: SimOptions, runs: [SimRunResult], checks: SimChecks, determinism: Determinism?, sweep: [SweepPoint]) {
        scenario = options.scenario.rawValue
        description = options.scenario.summary
        years = options.years
        seed = options.seed
        blockIntervalSeconds = options.blockInterval
        parameters = options.parameters.values
        sweepParameter = options.sweep?.parameter
        var entries: [String: CheckEntry] = [:]
        for (k, r) in checks.results { entries[k.rawValue] = CheckEntry(ok: r.ok, checked: r.checked, failed: r.failed, firstFailures: r.firstFailures) }
        self.checks = entries
        self.determinism = determinism
        allChecksOK = checks.allOK && (determinism?.ok ?? true)
        self.runs = runs.map {
            RunEntry(run: $0.label, blocks: $0.blocks, verdicts: $0.verdicts, failedTransactions: $0.failedTransactions,
                     captureAttempts: $0.attempts.isEmpty ? nil : $0.attempts, stateDigest: $0.stateDigest)
        }
        self.sweep = sweep.isEmpty ? nil : sweep.map { p in
            var sums: [String: Double] = [:]
            var oks: [String: (Int, Int)] = [:]
            for r in p.runs {
                for v in r.verdicts {
                    sums[v.name, default: 0] += v.value
                    if let ok = v.ok { oks[v.name, default: (0, 0)].0 += ok ? 1 : 0; oks[v.name, default: (0, 0)].1 += 1 }
                }
            }
            let n = Double(max(p.runs.count, 1))
            return SweepEntry(value: p.value, runs: p.runs.count, meanVerdicts: sums.mapValues { $0 / n },
                              okShare: oks.mapValues { Double($0.0) / Double(max($0.1, 1)) })
        }
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
