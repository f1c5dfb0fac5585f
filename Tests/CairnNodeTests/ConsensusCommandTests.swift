import Foundation
import CairnTestSupport
import Testing

/// `cairn consensus simulate` as a user runs it.
@Suite struct ConsensusCommandTests {
    @Test func halfThePowerByzantineForksAndTheJSONNamesTheCulprits() async throws {
        let dir = try TemporaryDirectory()
        let result = try await CairnProcess.run(["consensus", "simulate", "--validators", "4", "--byzantine", "2", "--seeds", "3", "--heights", "3",
                                                 "--faults", "equivocation", "--json"], log: dir.url.appendingPathComponent("simulate.log"), timeout: .seconds(120))
        #expect(result.status == 0, "\(result.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        for field in ["runs", "heights", "forks", "double_signs", "equivocations", "evidence_committed"] { #expect(object[field] != nil, "\(field)") }
        #expect(object["runs"] as? Int == 3 && object["double_signs"] as? Int == 0)
        let forks = try #require(object["forks"] as? [[String: Any]])
        #expect(!forks.isEmpty)
        for fork in forks { #expect((fork["culprits"] as? [String])?.count == 2, "\(fork)") }
    }

    @Test func anUnknownFaultIsAClearError() async throws {
        let dir = try TemporaryDirectory()
        let result = try await CairnProcess.run(["consensus", "simulate", "--faults", "meteor"], log: dir.url.appendingPathComponent("bad.log"))
        #expect(result.status != 0)
        #expect(result.output.hasPrefix("error: unknown fault 'meteor'"), "\(result.output)")
    }
}
