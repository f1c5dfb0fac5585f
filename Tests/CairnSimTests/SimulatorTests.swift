import CairnSim
import CairnLedger
import CairnStaking
import CairnPrimitives
import Foundation
import Testing

/// The simulator on the node's own ledger: its checks hold, the same seed gives the same bytes, every scenario runs,
/// and bad input is refused with a message.
///
/// The runs are compute-bound for seconds: they go to a thread of their own, one at a time, so they never hold one of
/// the two threads every other test's awaits resume on (a starved pool made other suites' real-clock waits run out).
@Suite(.serialized) struct SimulatorTests {
    /// A short run: 20 days of hourly blocks (480 blocks) with a small block gas limit so the base fee moves.
    static func short(_ scenario: Scenario, days: Double = 20, seed: UInt64 = 7, gasLimit: Double? = nil) async throws -> SimOutput {
        var params = SimParameters()
        if let gasLimit { try params.set("blockGasLimit", gasLimit) }
        let options = try SimOptions(scenario: scenario, years: days / 365.25, seed: seed, parameters: params, checkDeterminism: false)
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try Simulator.run(options) }) }
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    static func summary(_ output: SimOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.summaryJSON.utf8)) as? [String: Any])
    }

    @Test func conservationBaseFeeAndEmissionChecksHoldOnAShortRun() async throws {
        let output = try await Self.short(.baseline, gasLimit: 1_000_000)
        #expect(output.allChecksOK, "\(output.summaryJSON.prefix(2_000))")
        let checks = try #require(try Self.summary(output)["checks"] as? [String: [String: Any]])
        for name in ["conservation", "base_fee", "emission"] {
            let c = try #require(checks[name])
            #expect(c["ok"] as? Bool == true, "\(name): \(c)")
            #expect((c["checked"] as? Int ?? 0) >= 480, "\(name) checked too few times: \(c)")
        }
        // The run did something: blocks, served demand, emission.
        let rows = output.dailyCSV.split(separator: "\n")
        #expect(rows.count == 21)
        #expect(output.blocks >= 480)
    }

    @Test func theSameSeedGivesTheSameBytes() async throws {
        let a = try await Self.short(.baseline, days: 10)
        let b = try await Self.short(.baseline, days: 10)
        #expect(a.dailyCSV == b.dailyCSV)
        #expect(a.summaryJSON == b.summaryJSON)
        #expect(a.reportHTML == b.reportHTML)
        let c = try await Self.short(.baseline, days: 10, seed: 8)
        #expect(c.dailyCSV != a.dailyCSV, "another seed should give other figures")
    }

    @Test(arguments: Scenario.allCases)
    func everyScenarioRunsBriefly(_ scenario: Scenario) async throws {
        let output = try await Self.short(scenario, days: 8)
        #expect(output.allChecksOK)
        let runs = try #require(try Self.summary(output)["runs"] as? [[String: Any]])
        #expect(runs.count == (scenario == .governanceCapture ? 3 : 1))
        for r in runs { #expect(!((r["verdicts"] as? [Any]) ?? []).isEmpty) }
    }

    @Test func badInputIsRefusedWithAMessage() throws {
        #expect(throws: SimError.self) { try Scenario(name: "moon") }
        #expect(throws: SimError.self) { try SimSweep(parsing: "protocolFeeBps") }
        #expect(throws: SimError.self) { try SimSweep(parsing: "protocolFeeBps=1,x") }
        #expect(throws: SimError.self) { try SimSweep(parsing: "nosuch=1,2") }
        #expect(throws: SimError.self) { try SimSweep(parsing: "protocolFeeBps=20000") }
        #expect(throws: SimError.self) { try SimOptions(scenario: .baseline, blockInterval: 7) }
        #expect(throws: SimError.self) { try SimOptions(scenario: .baseline, blockInterval: 86_400) }
        // A value in the parameter's range that the ledger's genesis refuses is reported before anything runs.
        let refused = try SimOptions(scenario: .baseline, years: 0.01, sweep: try SimSweep(parsing: "inflationInitialBps=0,800"))
        #expect(throws: SimError.self) { try Simulator.run(refused) }
        let sweep = try SimSweep(parsing: "protocolFeeBps=100,500")
        #expect(sweep.values == [100, 500])
    }
}

/// The rules the checks compare the ledger with, against values worked by hand from their specifications.
@Suite struct ClosedFormTests {
    @Test func theInflationRateFallsBy15PercentAYearToItsFloorInYear9() {
        let p = StakingParams.default
        #expect(SimClosedForm.rate(year: 0, params: p) == 8_000_000)
        #expect(SimClosedForm.rate(year: 1, params: p) == 6_800_000)
        #expect(SimClosedForm.rate(year: 2, params: p) == 5_780_000)
        #expect(SimClosedForm.rate(year: 8, params: p) > 2_000_000)
        #expect(SimClosedForm.rate(year: 9, params: p) == 2_000_000)
        #expect(SimClosedForm.rate(year: 40, params: p) == 2_000_000)
        // 8% of 1,000,000,000,000 over 100 blocks a year: 800,000,000 a block.
        var hourly = p
        hourly.blocksPerYear = 100
        #expect(SimClosedForm.blockEmission(height: 5, circulating: 1_000_000_000_000, params: hourly) == 800_000_000)
        #expect(SimClosedForm.blockEmission(height: 105, circulating: 1_000_000_000_000, params: hourly) == 680_000_000)
    }

    @Test func theBaseFeeMovesAnEighthAtMostAndNeverBelowItsFloor() {
        var c = ChainParams.default
        c.minBaseFee = Amount(1)
        #expect(SimClosedForm.nextBaseFee(current: 1_000, gasUsed: c.blockGasLimit, params: c) == 1_125)
        #expect(SimClosedForm.nextBaseFee(current: 1_000, gasUsed: 0, params: c) == 875)
        #expect(SimClosedForm.nextBaseFee(current: 1_000, gasUsed: c.blockGasLimit / 2, params: c) == 1_000)
        #expect(SimClosedForm.nextBaseFee(current: 1, gasUsed: c.blockGasLimit / 2 + 1, params: c) == 2)
        #expect(SimClosedForm.nextBaseFee(current: 1, gasUsed: 0, params: c) == 1)
    }
}
