import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnTestSupport

/// The seeded simulator in CI: validators running the real state machine over their real ledgers, under every fault.
/// Kept short so it does not starve the tests that run real nodes beside it; the long campaign is `cairn consensus
/// simulate` (see the README).
@Suite struct ConsensusSimulationTests {
    /// The campaigns run only with `CAIRN_SIMULATION_TESTS` set: beside the tests that run real nodes on two cores they
    /// starved those tests' deadlines.
    static let campaigns = ProcessInfo.processInfo.environment["CAIRN_SIMULATION_TESTS"] != nil

    func run(validators: Int, byzantine: Int, seeds: Range<UInt64>, heights: UInt64 = 3, evidenceHeights: UInt64 = 10,
             faults: Set<SimulationConfig.Fault> = Set(SimulationConfig.Fault.allCases)) throws -> [SimulationResult] {
        try seeds.map { seed in
            var config = SimulationConfig(validators: validators, byzantine: byzantine, heights: heights, faults: faults, seed: seed)
            config.evidenceHeights = evidenceHeights
            return try ConsensusSimulation(config).run()
        }
    }

    /// Agreement, validity, no double signature and liveness, with byzantine power under a third.
    func expectSafeAndLive(_ results: [SimulationResult]) {
        for r in results {
            #expect(r.forks.isEmpty, "seed \(r.seed) forked: \(r.trace.suffix(20))")
            #expect(r.doubleSigns == 0, "seed \(r.seed)")
            #expect(r.live, "seed \(r.seed) decided \(r.heights) heights: \(r.trace.suffix(20))")
            #expect(r.violations.filter { !$0.contains("committed its evidence") }.isEmpty, "seed \(r.seed): \(r.violations)")
        }
    }

    @Test(.enabled(if: campaigns)) func fourValidatorsWithOneByzantineUnderEveryFaultAgreeAndStayLive() throws {
        let results = try run(validators: 4, byzantine: 1, seeds: 1..<101, evidenceHeights: 0)
        expectSafeAndLive(results)
        #expect(results.reduce(0) { $0 + $1.equivocationsInjected } > 0, "the byzantine validator equivocated")
    }

    @Test(.enabled(if: campaigns)) func sevenValidatorsWithTwoByzantineUnderEveryFaultAgreeAndStayLive() throws {
        expectSafeAndLive(try run(validators: 7, byzantine: 2, seeds: 1..<11, evidenceHeights: 0))
    }

    @Test(.enabled(if: campaigns)) func evidenceInBlocksPunishesOnlyValidatorsThatEquivocated() throws {
        let results = try run(validators: 4, byzantine: 1, seeds: 1..<11, heights: 4, faults: [.equivocation, .drops])
        expectSafeAndLive(results)
        let byzantine = PrivateKey.deterministic("sim-validator-3").publicKey.address
        for r in results {
            #expect(r.evidenceCommitted.isSubset(of: r.equivocatorsSeen) && r.equivocatorsSeen.isSubset(of: [byzantine]), "seed \(r.seed)")
        }
        #expect(results.filter { !$0.evidenceCommitted.isEmpty }.count >= 3, "evidence reached blocks in several runs")
    }

    @Test func twoByzantineOfFourFindAForkAndTheCheckerNamesThem() throws {
        let results = try run(validators: 4, byzantine: 2, seeds: 1..<11, faults: [.equivocation])
        let forks = results.flatMap(\.forks)
        #expect(!forks.isEmpty, "half the power equivocating splits the honest nodes")
        let byzantine = Set((2..<4).map { PrivateKey.deterministic("sim-validator-\($0)").publicKey.address })
        for fork in forks {
            #expect(!fork.culprits.isEmpty && Set(fork.culprits).isSubset(of: byzantine), "\(fork.culprits)")
        }
        #expect(results.allSatisfy { $0.doubleSigns == 0 }, "honest nodes still never sign twice")
    }
}
