import Testing
import CairnPrimitives
import CairnLedger
import CairnConsensus
import CairnNode
import CairnChain

/// What a driver tells of its state machine (`stateSnapshot`) and of its timing (`timings`), with four validators
/// deciding real blocks.
@Suite struct ConsensusStatusTests {
    @Test(.timeLimit(.minutes(2))) func aDriverShowsTheDecidedHeightItsVotesAndItsTimings() async throws {
        let harness = InProcessValidatorsTests()
        let v = try harness.validators(4, until: 4)
        for driver in v.drivers { #expect(await driver.stateSnapshot() == nil, "nothing to show before the first height") }
        try await harness.run(v.drivers)

        let commit = try #require(try v.nodes[0].chain.block(at: 4)).commit
        for driver in v.drivers {
            let s = try #require(await driver.stateSnapshot())
            #expect(s.height == 4 && s.decided && s.step == .commit)
            #expect(s.totalPower == 4)
            #expect(s.proposer != nil && v.keys.map(\.publicKey.address).contains(s.proposer!))
            if s.round == commit.round {
                #expect(s.precommits.powerByBlock[commit.blockHash] ?? 0 >= 3, "a quorum precommitted the block: \(s.precommits)")
                #expect(s.precommits.total >= s.precommits.powerByBlock[commit.blockHash] ?? 0)
                #expect(s.proposal?.blockHash == commit.blockHash)
            }

            let timings = await driver.timings
            #expect(timings.decisionRounds.count == 4, "heights 1 to 4 were decided by consensus")
            #expect(timings.decisionRounds.buckets.last == 4, "none took more than 10 rounds")
            // Every height starts in propose; a node that sees a block's precommits before voting may skip a step.
            for (step, least) in [(RoundStep.propose, UInt64(4)), (.prevote, 1), (.precommit, 1)] {
                let h = try #require(timings.steps[step])
                #expect(h.count >= least, "\(step) was timed \(h.count) times")
                #expect(h.sum >= 0 && h.buckets.last! <= h.count)
            }
            #expect(timings.steps[.commit] == nil, "the commit step is not timed")
        }
    }

    @Test func timingsEndAStepWhenTheRoundOrStepChangesAndCountEachDecisionOnce() {
        var t = ConsensusTimings()
        let start = ContinuousClock.now
        t.observe(height: 5, round: 0, step: .propose, decidedRound: nil, at: start)
        t.observe(height: 5, round: 0, step: .propose, decidedRound: nil, at: start + .milliseconds(50))
        t.observe(height: 5, round: 0, step: .prevote, decidedRound: nil, at: start + .milliseconds(300))
        t.observe(height: 5, round: 1, step: .propose, decidedRound: nil, at: start + .seconds(2))
        t.observe(height: 5, round: 1, step: .commit, decidedRound: 1, at: start + .seconds(3))
        t.observe(height: 5, round: 1, step: .commit, decidedRound: 1, at: start + .seconds(4))
        t.observe(height: 6, round: 0, step: .propose, decidedRound: nil, at: start + .seconds(5))

        #expect(t.steps[.propose]?.count == 2)
        #expect(abs((t.steps[.propose]?.sum ?? 0) - 1.3) < 1e-9, "0.3 s in round 0, 1 s in round 1")
        #expect(t.steps[.prevote]?.count == 1)
        #expect(abs((t.steps[.prevote]?.sum ?? 0) - 1.7) < 1e-9)
        #expect(t.steps[.prevote]?.buckets == ConsensusTimings.stepBounds.map { $0 >= 1.7 ? 1 : 0 })
        #expect(t.steps[.precommit]?.count == 0)
        #expect(t.decisionRounds.count == 1 && t.decisionRounds.sum == 1)
        #expect(t.decisionRounds.buckets == [0, 1, 1, 1, 1, 1])
    }
}
