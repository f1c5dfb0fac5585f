import CairnLedger
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

/// `Ledger.validatorSet(deciding:head:state:)` gives, from the latest state alone, the set each past and coming height
/// was or will be decided by, priorities included.
@Suite struct ValidatorHistoryTests {
    @Test func everyHeightsSetIsTheOneTheChainUsedPrioritiesIncluded() throws {
        let f = try StakingFixture()
        let ledger = f.harness.ledger
        // The set of each height as the state named it when that height was next: genesis names the set of height 1.
        var used: [UInt64: ValidatorSet] = [1: try ledger.validatorSets(state: f.harness.state).current]
        func step(_ body: () throws -> Void) throws {
            try body()
            used[f.harness.height + 1] = try ledger.validatorSets(state: f.harness.state).current
        }
        // Validators of different power join, then run unchanged for a while (their priorities rotate), then one leaves
        // for downtime (it signs no commit).
        try step { try f.run(f.accounts[0], MsgCreateValidator(f.spec(f.accounts[0], bond: 30_000_000))) }
        try step { try f.run(f.accounts[1], MsgCreateValidator(f.spec(f.accounts[1], bond: 70_000_000))) }
        for _ in 0..<30 { try step { try f.blocks(1) } }

        let head = f.harness.height
        let sets = try ledger.validatorSets(state: f.harness.state)
        used[head + 2] = sets.next
        #expect(Set(used.values.map(\.hash)).count >= 3, "the set changed at least twice")
        #expect(used.values.contains { $0.validators.count == 3 }, "three validators were in the set at once")
        for height in 1...(head + 2) {
            let found = try #require(try ledger.validatorSet(deciding: height, head: head, state: f.harness.state), "height \(height)")
            let expected = try #require(used[height])
            #expect(found.prioritiesKnown)
            #expect(found.set == expected, "height \(height)")
            #expect(found.set.proposer.address == expected.proposer.address, "the round-0 proposer of height \(height)")
        }
        #expect(try ledger.validatorSet(deciding: 0, head: head, state: f.harness.state) == nil)
        #expect(try ledger.validatorSet(deciding: head + 3, head: head, state: f.harness.state) == nil)
    }
}
