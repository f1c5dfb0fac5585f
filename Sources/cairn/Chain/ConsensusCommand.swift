import ArgumentParser
import CairnPrimitives
import CairnTestSupport
import Foundation

struct ConsensusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "consensus", abstract: "BFT consensus tools.",
                                                    subcommands: [Simulate.self])

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run seeded simulations of validators under faults and check agreement, validity, double signing, evidence and liveness.",
            discussion: """
                Each run is an in-process network of validators running the real consensus state machine over their real \
                ledgers on in-memory stores, with simulated time. Faults: \(SimulationConfig.Fault.allCases.map(\.rawValue).joined(separator: ", ")) \
                (or all, none). The byzantine validators are the lowest-powered ones. Exits 1 when a run breaks a property \
                the network should keep with its byzantine power below a third (a fork, a double signature, an invalid \
                decision, missed evidence, no liveness).
                """)
        @Option(help: "Validators in each run.") var validators: Int = 4
        @Option(help: "Byzantine validators among them.") var byzantine: Int = 0
        @Option(help: "Seeded runs (seeds first-seed, first-seed+1, ...).") var seeds: Int = 10
        @Option(help: "The first seed.") var firstSeed: UInt64 = 1
        @Option(help: "Heights every honest validator must decide in each run.") var heights: UInt64 = 5
        @Option(help: "Comma-separated faults.") var faults: String = "all"
        @Option(help: "Comma-separated voting powers, one per validator (all 1 when left out).") var powers: String?
        @Option(help: "Heights a run may go on until the evidence of every equivocation seen is committed.") var evidenceHeights: UInt64 = 10
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingFailure {
                let faultSet = try SimulationConfig.faults(faults)
                let powerList = try powers.map { list in
                    try list.split(separator: ",").map { part -> UInt64 in
                        guard let p = UInt64(part.trimmingCharacters(in: .whitespaces)), p > 0 else { throw CLIError("--powers: '\(part)' is not a power above zero") }
                        return p
                    }
                }
                guard seeds >= 1 else { throw CLIError("--seeds must be at least 1") }
                let started = Date()
                var totals = Totals()
                for k in 0..<seeds {
                    var config = SimulationConfig(validators: validators, byzantine: byzantine, powers: powerList, heights: heights, faults: faultSet,
                                                  seed: firstSeed + UInt64(k))
                    config.timeLimit = 60_000 + heights * 10_000
                    config.evidenceHeights = evidenceHeights
                    let simulation = try ConsensusSimulation(config)
                    let result = try simulation.run()
                    totals.add(result, simulation: simulation)
                    if !json {
                        print(totals.line(result))
                        if result.forks.isEmpty && (!result.live || !result.violations.isEmpty) { for line in result.trace.suffix(30) { print("  \(line)") } }
                    }
                }
                let seconds = Date().timeIntervalSince(started)
                let byzantinePower = totals.byzantinePowerShare
                if json {
                    print(String(decoding: try JSONSerialization.data(withJSONObject: totals.json(seconds: seconds), options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print(totals.summary(seconds: seconds))
                    for fork in totals.forks {
                        print("fork in seed \(fork.seed) at height \(fork.height): validators that signed both sides: \(fork.culprits.map(\.bech32).joined(separator: ", "))")
                        print("  reproduce: cairn consensus simulate --validators \(validators) --byzantine \(byzantine) --seeds 1 --first-seed \(fork.seed) --heights \(heights) --faults \(faults)\(powers.map { " --powers \($0)" } ?? "")")
                        for line in fork.trace.suffix(40) { print("  \(line)") }
                    }
                }
                let broken = totals.doubleSigns > 0 || !totals.violations.isEmpty || totals.stalled > 0 || (byzantinePower < 1.0 / 3 && !totals.forks.isEmpty)
                if broken { throw ExitCode(1) }
            }
        }
    }
}

/// The figures of all runs together.
struct Totals {
    struct Fork {
        let seed: UInt64
        let height: UInt64
        let culprits: [Address]
        let trace: [String]
    }

    var runs = 0
    var heights: UInt64 = 0
    var rounds: [UInt32] = []
    var forks: [Fork] = []
    var doubleSigns = 0
    var equivocations = 0
    var equivocatorsSeen = 0
    var evidenceCommitted = 0
    var violations: [String] = []
    /// Equivocators an honest node saw that no block punished by the end of the run.
    var evidenceMissed = 0
    var stalled = 0
    var steps = 0
    var byzantinePowerShare = 0.0

    mutating func add(_ r: SimulationResult, simulation: ConsensusSimulation) {
        runs += 1
        heights += r.heights
        rounds += r.rounds
        forks += r.forks.map { Fork(seed: r.seed, height: $0.height, culprits: $0.culprits, trace: r.trace) }
        doubleSigns += r.doubleSigns
        equivocations += r.equivocationsInjected
        equivocatorsSeen += r.equivocatorsSeen.count
        evidenceCommitted += r.evidenceCommitted.count
        violations += r.violations.map { "seed \(r.seed): \($0)" }
        evidenceMissed += r.equivocatorsSeen.subtracting(r.evidenceCommitted).count
        if !r.live && r.forks.isEmpty { stalled += 1 }
        steps += r.steps
        byzantinePowerShare = simulation.byzantinePowerShare
    }

    var meanRounds: Double { rounds.isEmpty ? 0 : Double(rounds.reduce(0) { $0 + Int($1) }) / Double(rounds.count) + 1 }

    func line(_ r: SimulationResult) -> String {
        let perHeight = r.rounds.isEmpty ? 0 : Double(r.rounds.reduce(0) { $0 + Int($1) }) / Double(r.rounds.count) + 1
        return String(format: "seed %llu: %llu heights, %.2f rounds per height, %d forks, %d double signatures, %d equivocations injected, %d of %d equivocators punished by evidence%@",
                      r.seed, r.heights, perHeight, r.forks.count, r.doubleSigns, r.equivocationsInjected, r.evidenceCommitted.count,
                      r.equivocatorsSeen.count, r.live ? "" : " (NOT LIVE)") + (r.violations.isEmpty ? "" : "; " + r.violations.joined(separator: "; "))
    }

    func summary(seconds: Double) -> String {
        String(format: "%d runs: %llu heights (%.0f simulated heights per second), %.2f rounds per height, %d forks, %d double signatures, %d equivocations injected, evidence committed against %d of %d equivocators seen (%d missed), %d runs not live, %d violations, %.1f s",
               runs, heights, Double(heights) / max(seconds, 1e-9), meanRounds, forks.count, doubleSigns, equivocations, evidenceCommitted,
               equivocatorsSeen, evidenceMissed, stalled, violations.count, seconds)
    }

    func json(seconds: Double) -> [String: Any] {
        ["runs": runs, "heights": heights, "rounds_per_height": meanRounds, "forks": forks.map {
            ["seed": $0.seed, "height": $0.height, "culprits": $0.culprits.map(\.bech32), "trace": Array($0.trace.suffix(40))] as [String: Any]
        }, "double_signs": doubleSigns, "equivocations": equivocations, "equivocators_seen": equivocatorsSeen,
         "evidence_committed": evidenceCommitted, "evidence_missed": evidenceMissed, "not_live": stalled, "violations": violations, "seconds": seconds,
         "heights_per_second": Double(heights) / max(seconds, 1e-9), "steps": steps]
    }
}
