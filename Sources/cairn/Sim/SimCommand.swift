import ArgumentParser
import CairnSim
import Foundation

/// `cairn sim`: runs agents on the node's own ledger over simulated years and writes daily.csv, summary.json and
/// report.html.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulate the economy on the real ledger (scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", "))).")

    @Option(help: "Scenario to run.") var scenario: String
    @Option(help: "Simulated years.") var years: Double = 5
    @Option(help: "Seed of every agent's random stream.") var seed: UInt64 = 1
    @Option(help: "Output folder.") var out: String = "sim-out"
    @Option(name: .customLong("block-interval"), help: "Seconds of simulated time between blocks (must divide a day).") var blockInterval: UInt64 = 3_600
    @Option(help: "Vary one parameter: PARAM=V1,V2,... (see --list-parameters).") var sweep: String?
    @Option(help: "Seeds per sweep point.") var seeds: Int = 1
    @Option(name: .customLong("set"), help: "Set a parameter for the run: PARAM=VALUE (repeatable).") var settings: [String] = []
    @Flag(name: .customLong("no-determinism-check"), help: "Skip re-running the first month twice.") var noDeterminismCheck = false
    @Flag(name: .customLong("list-parameters"), help: "List the parameters and exit.") var listParameters = false

    func run() async throws {
        try await reportingFailure {
            if listParameters {
                for p in SimParameters.catalog { print("\(p.name)=\(p.defaultValue)  \(p.help)") }
                return
            }
            do {
                var parameters = SimParameters()
                for s in settings {
                    let parts = s.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, let v = Double(parts[1]) else { throw SimError("--set takes PARAM=VALUE (got \"\(s)\")") }
                    try parameters.set(String(parts[0]), v)
                }
                let options = try SimOptions(scenario: try Scenario(name: scenario), years: years, seed: seed, blockInterval: blockInterval,
                                             parameters: parameters, sweep: try sweep.map { s throws(SimError) in try SimSweep(parsing: s) }, seeds: seeds,
                                             checkDeterminism: !noDeterminismCheck)
                let start = Date()
                let output = try Simulator.run(options) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
                let folder = URL(fileURLWithPath: out)
                try Simulator.write(output, to: folder)
                let seconds = Date().timeIntervalSince(start)
                print("simulated \(output.blocks) blocks in \(String(format: "%.1f", seconds)) s; checks \(output.allChecksOK ? "passed" : "FAILED")")
                print("wrote \(folder.appendingPathComponent("daily.csv").path), summary.json, report.html")
                if !output.allChecksOK { throw ExitCode(2) }
            } catch let e as SimError {
                throw CLIError(e.message)
            }
        }
    }
}
