import CairnPrimitives
import CairnLedger
public import Foundation
import Dispatch
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp

/// What to simulate.
public struct SimOptions: Sendable {
    public var scenario: Scenario
    public var years: Double
    public var seed: UInt64
    public var blockInterval: UInt64
    public var parameters: SimParameters
    public var sweep: SimSweep?
    /// Seeds per sweep point (seed, seed + 1, ...).
    public var seeds: Int
    /// Re-run the first simulated month twice and compare the bytes.
    public var checkDeterminism: Bool

    public init(scenario: Scenario, years: Double = 5, seed: UInt64 = 1, blockInterval: UInt64 = 3_600, parameters: SimParameters = SimParameters(),
                sweep: SimSweep? = nil, seeds: Int = 1, checkDeterminism: Bool = true) throws(SimError) {
        guard years > 0, years <= 50 else { throw SimError("--years must be above 0 and at most 50") }
        // Agents act in the blocks after the day's first, so a day needs at least two.
        guard blockInterval >= 1, blockInterval <= 43_200, 86_400 % blockInterval == 0 else {
            throw SimError("--block-interval must divide a day (86400 s) into at least two blocks: 1, 2, 3, ..., 3600, ..., 43200")
        }
        guard (1...100).contains(seeds) else { throw SimError("--seeds must be 1 to 100") }
        let blocks = years * 31_557_600 / Double(blockInterval)
        guard blocks <= 20_000_000 else { throw SimError("\(Int(blocks)) blocks is too many; use a longer --block-interval or fewer --years") }
        self.scenario = scenario
        self.years = years
        self.seed = seed
        self.blockInterval = blockInterval
        self.parameters = parameters
        self.sweep = sweep
        self.seeds = seeds
        self.checkDeterminism = checkDeterminism
    }
}

/// One run's results (one governance variant, one sweep point and seed).
public struct SimRunResult: Sendable {
    public var label: String
    public var csvRows: [String]
    public var verdicts: [Verdict]
    public var checks: SimChecks
    public var failedTransactions: [String: Int]
    public var blocks: UInt64
    public var attempts: [CaptureAttempt]
    /// SHA-256 over the final state (every key and value in order), hex.
    public var stateDigest = ""
}

/// A scenario's verdict on one question: a figure, whether it meets the bar (nil when it is a measurement only), and
/// what it means.
public struct Verdict: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var ok: Bool?
    public var detail: String
}

/// The outputs of `cairn sim`: `daily.csv`, `summary.json` and `report.html`.
public struct SimOutput: Sendable {
    public var dailyCSV: String
    public var summaryJSON: String
    public var reportHTML: String
    public var blocks: UInt64
    public var allChecksOK: Bool
}

/// Runs scenarios on the node's ledger and writes what they show.
public enum Simulator {
    /// Runs `options` (every governance variant, every sweep point and seed) and renders the outputs.
    public static func run(_ options: SimOptions, progress: (@Sendable (String) -> Void)? = nil) throws -> SimOutput {
        var runs: [SimRunResult] = []
        var points: [(label: String, params: SimParameters, value: Double?)] = [("", options.parameters, nil)]
        if let sweep = options.sweep {
            points = try sweep.values.map { v throws(SimError) in
                var p = options.parameters
                try p.set(sweep.parameter, v)
                return ("\(sweep.parameter)=\(SimFormat.number(v))", p, v)
            }
        }
        let variants: [GovVariant?] = options.scenario.governanceVariants ?? [nil]
        // Each point's genesis is built and run first, so a value the ledger refuses (a floor above the initial rate, say)
        // is reported before any run starts.
        for point in points {
            do {
                _ = try SimWorld(scenario: options.scenario, variant: variants[0], params: point.params, seed: options.seed, years: 1 / 365.25,
                                 blockInterval: options.blockInterval)
            } catch {
                throw SimError("\(point.label.isEmpty ? "the parameters" : point.label): the ledger refuses the genesis: \(error)")
            }
        }
        let seeds = options.sweep == nil ? 1 : options.seeds
        // Every run is independent: they share only the ledger's immutable wiring, so they run on all cores, and are
        // put back in (point, seed, variant) order.
        var jobs: [(point: Int, seed: UInt64, variant: GovVariant?)] = []
        for p in points.indices { for s in 0..<seeds { for v in variants { jobs.append((p, options.seed &+ UInt64(s), v)) } } }
        let results = SimResults(count: jobs.count)
        let (allJobs, allPoints) = (jobs, points)
        DispatchQueue.concurrentPerform(iterations: allJobs.count) { i in
            let job = allJobs[i]
            let point = allPoints[job.point]
            progress?("running \(options.scenario.rawValue)\(job.variant.map { "/\($0.rawValue)" } ?? "") \(point.label) seed \(job.seed)")
            do {
                var r = try runOne(scenario: options.scenario, variant: job.variant, params: point.params, seed: job.seed, years: options.years,
                                   blockInterval: options.blockInterval)
                if !point.label.isEmpty { r.label += " " + point.label + " seed=\(job.seed)" }
                results.set(i, .success(r))
            } catch {
                results.set(i, .failure(error))
            }
        }
        var sweepRows: [SweepPoint] = []
        let perPoint = seeds * variants.count
        for (p, point) in points.enumerated() {
            var perSeed: [SimRunResult] = []
            for i in (p * perPoint)..<((p + 1) * perPoint) { perSeed.append(try results.get(i)) }
            if let value = point.value { sweepRows.append(SweepPoint(value: value, runs: perSeed)) }
            // Daily rows of a sweep: the first seed of each point only (the summary averages every seed).
            runs += perSeed.enumerated().map { i, r in
                var r = r
                if i >= variants.count { r.csvRows = [] }
                return r
            }
        }
        var determinism: Determinism?
        if options.checkDeterminism {
            let years = min(options.years, 30 / 365.25)
            let a = try runOne(scenario: options.scenario, variant: variants[0], params: options.parameters, seed: options.seed, years: years,
                               blockInterval: options.blockInterval)
            let b = try runOne(scenario: options.scenario, variant: variants[0], params: options.parameters, seed: options.seed, years: years,
                               blockInterval: options.blockInterval)
            let same = a.csvRows == b.csvRows && a.stateDigest == b.stateDigest
            determinism = Determinism(ok: same, days: Int((years * 365.25).rounded()), stateDigest: a.stateDigest)
        }
        var csv = DailyRow.header.joined(separator: ",") + "\n"
        for r in runs { for line in r.csvRows { csv += line + "\n" } }
        var checks = SimChecks()
        for r in runs { checks.merge(r.checks) }
        let summary = SimSummary(options: options, runs: runs, checks: checks, determinism: determinism, sweep: sweepRows)
        let json = try summary.json()
        let report = SimReport.html(options: options, summary: summary, runs: runs, csv: csv)
        let allOK = checks.allOK && (determinism?.ok ?? true)
        return SimOutput(dailyCSV: csv, summaryJSON: json, reportHTML: report, blocks: runs.reduce(0) { $0 + $1.blocks }, allChecksOK: allOK)
    }

    /// Writes the outputs into `directory` (created when missing).
    public static func write(_ output: SimOutput, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(output.dailyCSV.utf8).write(to: directory.appendingPathComponent("daily.csv"))
        try Data(output.summaryJSON.utf8).write(to: directory.appendingPathComponent("summary.json"))
        try Data(output.reportHTML.utf8).write(to: directory.appendingPathComponent("report.html"))
    }

    static func runOne(scenario: Scenario, variant: GovVariant?, params: SimParameters, seed: UInt64, years: Double,
                       blockInterval: UInt64) throws -> SimRunResult {
        let world = try SimWorld(scenario: scenario, variant: variant, params: params, seed: seed, years: years, blockInterval: blockInterval)
        try world.run()
        var r = SimRunResult(label: world.rows.first?.run ?? scenario.rawValue, csvRows: world.rows.map { $0.fields.joined(separator: ",") },
                             verdicts: world.verdicts(), checks: world.chain.checks, failedTransactions: world.failureReasons, blocks: world.chain.height,
                             attempts: world.coalitionState.attempts)
        r.stateDigest = try world.stateDigest()
        return r
    }
}

/// The runs' results, written from the worker threads, each slot once.
final class SimResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<SimRunResult, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<SimRunResult, any Error>) {
        lock.lock()
        slots[i] = r
        lock.unlock()
    }

    func get(_ i: Int) throws -> SimRunResult {
        lock.lock()
        defer { lock.unlock() }
        guard let r = slots[i] else { throw SimError("run \(i) did not finish") }
        return try r.get()
    }
}

/// Whether two runs of the same seed gave the same bytes.
public struct Determinism: Sendable, Codable, Equatable {
    public var ok: Bool
    public var days: Int
    public var stateDigest: String
}

/// One sweep point: its value and its runs (one per seed and variant).
struct SweepPoint {
    var value: Double
    var runs: [SimRunResult]
}

extension SimWorld {
    func stateDigest() throws -> String {
        var parts: [[UInt8]] = []
        for (k, v) in try chain.store.scan(prefix: []) { parts.append(k); parts.append(v) }
        return Hash.sha256(parts: parts).hex
    }
}
