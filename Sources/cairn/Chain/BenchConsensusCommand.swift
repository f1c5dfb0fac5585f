import ArgumentParser
import CairnConsensus
import CairnLedger
import CairnNode
import CairnPrimitives
import CairnTestSupport
import Foundation
import Logging
import Synchronization

/// `cairn bench consensus`: the commit latency of validators running the real engine over real nodes in one process
/// (no network: an in-process broadcast), and the simulator's heights per second.
struct BenchConsensusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consensus",
        abstract: "Benchmark consensus: in-process commit latency of N validators, and simulated heights per second (use a release build).",
        discussion: """
            The validators are real nodes (SQLite stores, sign guards and consensus logs on disk, fsynced as in production) \
            deciding empty blocks with CometBFT's timeouts and no wait between heights; their messages go from driver to \
            driver in the process. A height's latency is the time between a node's decision of the height before and its \
            decision of this one: proposing, both voting steps, executing and committing.
            """)

    @Option(help: "Validators deciding in the same process.") var validators: Int = 4
    @Option(help: "Heights they decide.") var heights: UInt64 = 100
    @Option(help: "Seeded simulator runs for the simulated rate (4 validators, 5 heights each).") var simSeeds: Int = 100
    @Option(help: "Folder for the nodes' homes (a fresh temporary one when left out; removed after the run).") var dir: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        try await reportingFailure {
            guard validators >= 1, heights >= 1, simSeeds >= 0 else { throw CLIError("--validators and --heights must be at least 1, --sim-seeds at least 0") }
            let latency = try await inProcessLatency()
            let quiet = try simulatedRate(faults: [], byzantine: 0)
            let faulty = try simulatedRate(faults: Set(SimulationConfig.Fault.allCases), byzantine: 1)
            let report: [String: Any] = [
                "validators": validators, "heights": heights, "cores": ProcessInfo.processInfo.activeProcessorCount,
                "latency_ms": latency.percentiles, "heights_per_second": latency.rate,
                "simulated": ["runs": simSeeds, "heights_per_second_no_faults": quiet, "heights_per_second_all_faults": faulty],
            ]
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            let p = latency.percentiles
            print("cairn bench consensus (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
            print(String(format: "%d validators in one process, %llu heights: commit latency p50 %.1f ms, mean %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; %.1f heights/s",
                         validators, heights, p["p50"]!, p["mean"]!, p["p90"]!, p["p99"]!, p["max"]!, latency.rate))
            print(String(format: "simulator, 4 validators, %d runs: %.0f simulated heights/s without faults, %.0f with every fault and 1 byzantine",
                         simSeeds, quiet, faulty))
        }
    }

    /// Runs the validators until each has decided `heights`; returns the per-height latency percentiles in milliseconds
    /// and the heights per second.
    func inProcessLatency() async throws -> (percentiles: [String: Double], rate: Double) {
        let fm = FileManager.default
        let root = dir.map { URL(fileURLWithPath: $0) } ?? fm.temporaryDirectory.appendingPathComponent("cairn-bench-consensus-\(UUID().uuidString)")
        if fm.fileExists(atPath: root.path) { throw CLIError("\(root.path) exists; name a folder that does not") }
        defer { try? fm.removeItem(at: root) }
        let keys = (0..<validators).map { PrivateKey.deterministic("bench-validator-\($0)") }
        let genesis = try ConsensusSimulation.genesis(chainID: "bench", keys: keys, powers: Array(repeating: 1, count: validators))
        let network = InProcessNetwork()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let decided = Mutex<[[Double]]>(Array(repeating: [], count: validators))
        var drivers: [ConsensusDriver] = []
        for (i, key) in keys.enumerated() {
            let home = NodeHome(path: root.appendingPathComponent("validator-\(i)").path)
            try home.initialize(genesis: genesis, validatorKey: key)
            let runner = NodeRunner(home: home, logger: logger)
            let node = try runner.open()
            let driver = ConsensusDriver(chainID: genesis.chainID, application: node, network: network.endpoint(i), signer: try runner.signer(),
                                         timeouts: .standard, commitWait: 0, lastHeight: heights) { _, _ in
                let now = Date().timeIntervalSinceReferenceDate
                decided.withLock { $0[i].append(now) }
            }
            network.join(i, driver)
            drivers.append(driver)
        }
        let start = Date().timeIntervalSinceReferenceDate
        try await withThrowingTaskGroup(of: Void.self) { group in
            for driver in drivers { group.addTask { try await driver.run() } }
            try await group.waitForAll()
        }
        let times = decided.withLock { $0 }
        var latencies: [Double] = []
        for node in times {
            var previous = start
            for t in node {
                latencies.append((t - previous) * 1000)
                previous = t
            }
        }
        latencies.sort()
        let end = times.compactMap(\.last).max() ?? start
        func at(_ q: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        let percentiles = ["p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": latencies.last!,
                           "mean": latencies.reduce(0, +) / Double(latencies.count)]
        return (percentiles, Double(heights) / (end - start))
    }

    /// Heights per second of wall time the simulator decides (4 validators, 5 heights per run).
    func simulatedRate(faults: Set<SimulationConfig.Fault>, byzantine: Int) throws -> Double {
        guard simSeeds > 0 else { return 0 }
        let start = Date()
        var heights: UInt64 = 0
        for seed in 1...UInt64(simSeeds) {
            let result = try ConsensusSimulation(SimulationConfig(validators: 4, byzantine: byzantine, heights: 5, faults: faults, seed: seed)).run()
            guard result.forks.isEmpty, result.doubleSigns == 0, result.live else { throw CLIError("simulator seed \(seed) broke a property: \(result.violations)") }
            heights += result.heights
        }
        return Double(heights) / Date().timeIntervalSince(start)
    }
}
