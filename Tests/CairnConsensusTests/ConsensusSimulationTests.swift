import Testing
import CairnPrimitives
import CairnLedger
import CairnTestSupport

/// The seeded simulator in the Swift tests: evidence, and the fork checker's own check. The campaigns of thousands of
/// runs are `scripts/consensus-simulation.sh` (in the test command, after these tests, so they do not starve the tests
/// that run real nodes).
@Suite struct ConsensusSimulationTests {
    func run(validators: Int, byzantine: Int, seeds: Range<UInt64>, heights: UInt64 = 3, evidenceHeights: UInt64 = 10,
             faults: Set<SimulationConfig.Fault> = Set(SimulationConfig.Fault.allCases)) throws -> [SimulationResult] {
        try seeds.map { seed in
            var config = SimulationConfig(validators: validators, byzantine: byzantine, heights: heights, faults: faults, seed: seed)
            config.evidenceHeights = evidenceHeights
            return try ConsensusSimulation(config).run()
        }
    }

    /// Agreement, validity, no double signature, evidence and liveness, with byzantine power under a third.
    func expectSafeAndLive(_ results: [SimulationResult]) {
        for r in results {
            #expect(r.forks.isEmpty, "seed \(r.seed) forked: \(r.trace.suffix(20))")
            #expect(r.doubleSigns == 0, "seed \(r.seed)")
            #expect(r.live, "seed \(r.seed) decided \(r.heights) heights: \(r.trace.suffix(20))")
            #expect(r.violations.isEmpty, "seed \(r.seed): \(r.violations)")
        }
    }

    @Test func everyEquivocationSeenIsCommittedAsEvidenceAndOnlyEquivocatorsArePunished() throws {
        let results = try run(validators: 4, byzantine: 1, seeds: 1..<21, heights: 4, faults: [.equivocation, .drops, .crashes])
        expectSafeAndLive(results)
        let byzantine = PrivateKey.deterministic("sim-validator-3").publicKey.address
        for r in results {
            #expect(r.evidenceCommitted == r.equivocatorsSeen && r.equivocatorsSeen.isSubset(of: [byzantine]), "seed \(r.seed)")
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
