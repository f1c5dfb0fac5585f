import Testing
import CairnPrimitives
import CairnLedger
import CairnConsensus

/// One test per rule of Algorithm 1 in "The latest gossip on BFT consensus" (arXiv:1807.04938), named after its line.
/// Four validators of power 1 unless a test says otherwise: a quorum (more than two thirds) is 3, more than a third is 2.
@Suite struct TendermintRuleTests {
    typealias H = ConsensusHarness
    let a = H.blockA, b = H.blockB

    /// Moves the machine from its round to the next through a quorum of nil precommits and the precommit timer.
    func nextRound(_ h: inout H) -> [ConsensusEffect] {
        let r = h.machine.round
        var effects = h.deliver(.precommit, from: Array(h.others.prefix(3)), round: r, for: nil)
        effects += h.machine.handle(.timeout(Timeout(.precommit, height: 1, round: r)))
        return effects
    }

    @Test func line11TheProposerAsksTheApplicationForABlockAndProposesIt() {
        var h = H()
        #expect(h.start().contains(.buildProposal(height: 1, round: 0)))
        let effects = h.machine.handle(.proposalBuilt(height: 1, round: 0, blockHash: a))
        #expect(effects.proposals == [BlockProposal(height: 1, round: 0, blockHash: a, polRound: nil, proposer: h.me)])
    }

    @Test func line21AValidatorThatDoesNotProposeSetsTheProposeTimer() {
        var h = H.nonProposer()
        let effects = h.start()
        #expect(!effects.contains(.buildProposal(height: 1, round: 0)))
        #expect(effects.contains(.scheduleTimeout(Timeout(.propose, height: 1, round: 0), milliseconds: 3000)))
    }

    @Test func timeoutsGrowByDeltaEachRound() {
        let t = TimeoutConfig.standard
        #expect(t.milliseconds(.propose, round: 0) == 3000 && t.milliseconds(.propose, round: 2) == 4000)
        #expect(t.milliseconds(.prevote, round: 3) == 2000 && t.milliseconds(.precommit, round: 1) == 1000)
    }

    @Test func line22PrevotesAValidProposal() {
        var h = H.nonProposer()
        _ = h.start()
        #expect(h.deliver(h.proposal(round: 0, block: a)).votes == [Vote(type: .prevote, height: 1, round: 0, blockHash: a, validator: h.me)])
        #expect(h.machine.step == .prevote)
    }

    @Test func line22PrevotesNilForAnInvalidBlock() {
        var h = H.nonProposer()
        _ = h.start()
        #expect(h.deliver(h.proposal(round: 0, block: a), valid: false).votes.map(\.blockHash) == [nil])
    }

    @Test func line22WaitsForTheApplicationsVerdict() {
        var h = H.nonProposer()
        _ = h.start()
        let effects = h.machine.handle(.proposal(h.proposal(round: 0, block: a)))
        #expect(effects.contains(.validateBlock(height: 1, round: 0, blockHash: a)) && effects.votes.isEmpty)
        #expect(h.machine.handle(.blockValidated(height: 1, blockHash: a, valid: true)).votes.map(\.blockHash) == [a])
    }

    /// Locks the machine on A in round 0 (proposal A, a quorum of prevotes for it), then moves it to round 1.
    func lockedOnA() -> H {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        _ = h.echo(h.deliver(.prevote, from: Array(h.others.prefix(2)), round: 0, for: a))
        #expect(h.machine.lockedValue == a && h.machine.lockedRound == 0)
        _ = nextRound(&h)
        #expect(h.machine.round == 1)
        return h
    }

    @Test func line22PrevotesNilForAnotherValueWhileLocked() {
        var h = lockedOnA()
        #expect(h.deliver(h.proposal(round: 1, block: b)).votes.map(\.blockHash) == [nil])
    }

    @Test func line22PrevotesTheValueItIsLockedOn() {
        var h = lockedOnA()
        #expect(h.deliver(h.proposal(round: 1, block: a)).votes.map(\.blockHash) == [a])
    }

    /// Round 0 without a proposal where the three others prevote A (a proof of lock for A in round 0), then round 1.
    func proofOfLockForAInRound0() -> H {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.echo(h.machine.handle(.timeout(Timeout(.propose, height: 1, round: 0))))
        _ = h.deliver(.prevote, from: h.others, round: 0, for: a)
        _ = nextRound(&h)
        return h
    }

    @Test func line28PrevotesAReproposedValueWithAProofOfLock() {
        var h = proofOfLockForAInRound0()
        #expect(h.deliver(h.proposal(round: 1, block: a, polRound: 0)).votes.map(\.blockHash) == [a])
    }

    @Test func line28WaitsForTheProofOfLocksPrevotes() {
        var h = H.nonProposer()
        _ = h.start()
        _ = nextRound(&h)
        // No prevotes for A in round 0 are known: neither line 22 (it has a proof-of-lock round) nor line 28 fires.
        #expect(h.deliver(h.proposal(round: 1, block: a, polRound: 0)).votes.isEmpty)
        #expect(h.deliver(.prevote, from: Array(h.others.prefix(3)), round: 0, for: a).votes.map(\.blockHash) == [a])
    }

    @Test func line28PrevotesNilWhenLockedInALaterRoundOnAnotherValue() {
        var h = H.nonProposer(avoiding: 0...2)
        _ = h.start()
        _ = h.echo(h.machine.handle(.timeout(Timeout(.propose, height: 1, round: 0))))
        _ = h.deliver(.prevote, from: h.others, round: 0, for: a)
        _ = nextRound(&h)
        _ = h.echo(h.deliver(h.proposal(round: 1, block: b)))
        _ = h.echo(h.deliver(.prevote, from: Array(h.others.prefix(2)), round: 1, for: b))
        #expect(h.machine.lockedValue == b && h.machine.lockedRound == 1)
        _ = nextRound(&h)
        #expect(h.deliver(h.proposal(round: 2, block: a, polRound: 0)).votes.map(\.blockHash) == [nil])
    }

    @Test func line34SetsThePrevoteTimerOnAQuorumOfMixedPrevotes() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        var effects = h.deliver(.prevote, from: [h.others[0]], round: 0, for: b)
        #expect(effects.timeouts.isEmpty)
        effects = h.deliver(.prevote, from: [h.others[1]], round: 0, for: nil)
        #expect(effects.timeouts == [Timeout(.prevote, height: 1, round: 0)])
        #expect(h.deliver(.prevote, from: [h.others[2]], round: 0, for: nil).timeouts.isEmpty, "the timer is set once")
    }

    @Test func line36LocksAndPrecommitsOnAQuorumOfPrevotesForTheProposal() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        let effects = h.deliver(.prevote, from: Array(h.others.prefix(2)), round: 0, for: a)
        #expect(effects.votes == [Vote(type: .precommit, height: 1, round: 0, blockHash: a, validator: h.me)])
        #expect(h.machine.lockedValue == a && h.machine.lockedRound == 0 && h.machine.validValue == a && h.machine.validRound == 0)
    }

    @Test func line36AfterPrecommittingOnlyRecordsTheValidValue() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        _ = h.deliver(.prevote, from: [h.others[0]], round: 0, for: nil)
        _ = h.echo(h.machine.handle(.timeout(Timeout(.prevote, height: 1, round: 0))))
        #expect(h.machine.step == .precommit)
        let effects = h.deliver(.prevote, from: [h.others[1], h.others[2]], round: 0, for: a)
        #expect(effects.votes.isEmpty && h.machine.lockedValue == nil && h.machine.validValue == a)
    }

    @Test func line44PrecommitsNilOnAQuorumOfNilPrevotes() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        #expect(h.deliver(.prevote, from: h.others, round: 0, for: nil).votes == [Vote(type: .precommit, height: 1, round: 0, blockHash: nil, validator: h.me)])
    }

    @Test func line47SetsThePrecommitTimerOnAQuorumOfMixedPrecommits() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.deliver(.precommit, from: [h.others[0]], round: 0, for: a)
        _ = h.deliver(.precommit, from: [h.others[1]], round: 0, for: b)
        #expect(h.deliver(.precommit, from: [h.others[2]], round: 0, for: nil).timeouts == [Timeout(.precommit, height: 1, round: 0)])
    }

    @Test func line49DecidesOnAQuorumOfPrecommitsForTheProposal() throws {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.deliver(h.proposal(round: 0, block: a))
        let decisions = h.deliver(.precommit, from: h.others, round: 0, for: a).decisions
        #expect(decisions.count == 1 && h.machine.step == .commit)
        let signers = try decisions[0].verify(height: 1, blockHash: a, validators: h.set, chainID: H.chainID)
        #expect(Set(signers) == Set(h.others))
    }

    @Test func line49DecidesTheBlockOfAnEarlierRound() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.deliver(h.proposal(round: 0, block: a))
        _ = h.deliver(.prevote, from: Array(h.others.prefix(2)), round: 1, for: nil)
        #expect(h.machine.round == 1)
        #expect(h.deliver(.precommit, from: h.others, round: 0, for: a).decisions.map(\.round) == [0])
    }

    @Test func line49DoesNotDecideAnInvalidBlock() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.deliver(h.proposal(round: 0, block: a), valid: false)
        #expect(h.deliver(.precommit, from: h.others, round: 0, for: a).decisions.isEmpty)
    }

    @Test func line55SkipsToARoundWithMessagesFromMoreThanAThirdOfThePower() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.deliver(.prevote, from: [h.others[0]], round: 5, for: nil)
        #expect(h.machine.round == 0, "one of four is not more than a third")
        let effects = h.deliver(.precommit, from: [h.others[1]], round: 5, for: nil)
        #expect(h.machine.round == 5 && effects.timeouts.contains(Timeout(.propose, height: 1, round: 5)))
    }

    @Test func line57TheProposeTimeoutPrevotesNil() {
        var h = H.nonProposer()
        _ = h.start()
        #expect(h.machine.handle(.timeout(Timeout(.propose, height: 1, round: 0))).votes.map(\.blockHash) == [nil])
        #expect(h.machine.handle(.timeout(Timeout(.propose, height: 1, round: 0))).votes.isEmpty, "only while proposing")
    }

    @Test func line61ThePrevoteTimeoutPrecommitsNil() {
        var h = H.nonProposer()
        _ = h.start()
        _ = h.machine.handle(.timeout(Timeout(.propose, height: 1, round: 0)))
        let votes = h.machine.handle(.timeout(Timeout(.prevote, height: 1, round: 0))).votes
        #expect(votes == [Vote(type: .precommit, height: 1, round: 0, blockHash: nil, validator: h.me)])
    }

    @Test func line65ThePrecommitTimeoutStartsTheNextRound() {
        var h = H.nonProposer()
        _ = h.start()
        #expect(h.machine.handle(.timeout(Timeout(.precommit, height: 1, round: 1))).isEmpty, "a timer of another round is stale")
        _ = h.machine.handle(.timeout(Timeout(.precommit, height: 1, round: 0)))
        #expect(h.machine.round == 1 && h.machine.step == .propose)
    }

    @Test func line16TheProposerOfALaterRoundReproposesItsValidValue() {
        var h = ConsensusHarness { set in set.proposer(round: 1).address }
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        _ = h.echo(h.deliver(.prevote, from: Array(h.others.prefix(2)), round: 0, for: a))
        #expect(h.machine.validValue == a)
        let effects = nextRound(&h)
        #expect(effects.proposals == [BlockProposal(height: 1, round: 1, blockHash: a, polRound: 0, proposer: h.me)])
        #expect(!effects.contains(.buildProposal(height: 1, round: 1)))
    }

    @Test func quorumsCountVotingPowerNotValidators() {
        // Powers 3, 1, 1, 1 (total 6): three validators of power 1 hold 3, not more than two thirds (4).
        var h = H.nonProposer(powers: [3, 1, 1, 1])
        let heavy = h.set.validators.first { $0.power == 3 }!.address
        #expect(heavy != h.me)
        _ = h.start()
        _ = h.echo(h.deliver(h.proposal(round: 0, block: a)))
        let light = h.others.filter { $0 != heavy }
        #expect(h.deliver(.prevote, from: light, round: 0, for: a).votes.isEmpty && h.machine.lockedValue == nil)
        #expect(h.deliver(.prevote, from: [heavy], round: 0, for: a).votes.map(\.blockHash) == [a])
    }

    @Test func aSecondDifferentVoteForOneStepIsEvidence() throws {
        var h = H.nonProposer()
        _ = h.start()
        let culprit = h.others[0]
        _ = h.deliver(.prevote, from: [culprit], round: 0, for: a)
        let effects = h.deliver(.prevote, from: [culprit], round: 0, for: b)
        let evidence = try #require(effects.compactMap { if case let .evidence(e) = $0 { e } else { nil } }.first)
        #expect(evidence.validator == culprit && evidence.problem(key: h.key(of: culprit).publicKey, chainID: H.chainID) == nil)
        let tally = h.machine.votes!.tally(.prevote, round: 0)
        #expect(tally.power(for: b) == 1 && tally.power(for: a) == 1, "each message counts for its own value, as in the paper")
        #expect(tally.total == 1, "the validator counts once toward the quorum of any value")
    }

    @Test func messagesThatDoNotCheckOutAreRefused() {
        var h = H.nonProposer()
        _ = h.start()
        var forged = h.vote(.prevote, by: h.others[0], round: 0, for: a)
        forged.signature[0] ^= 1
        #expect(h.machine.handle(.vote(forged)).contains { if case .refused = $0 { true } else { false } })
        let wrongProposer = BlockProposal(height: 1, round: 0, blockHash: a, polRound: nil, proposer: h.me)
            .signed(by: h.key(of: h.me), chainID: H.chainID)
        #expect(h.machine.handle(.proposal(wrongProposer)).contains { if case .refused = $0 { true } else { false } })
        let outsider = PrivateKey.deterministic("outsider")
        let stranger = Vote(type: .prevote, height: 1, round: 0, blockHash: a, validator: outsider.publicKey.address)
            .signed(by: outsider, chainID: H.chainID)
        #expect(h.machine.handle(.vote(stranger)).contains { if case .refused = $0 { true } else { false } })
        #expect(h.machine.votes!.tally(.prevote, round: 0).total == 0)
    }
}

extension ConsensusHarness {
    static func nonProposer(powers: [UInt64] = [1, 1, 1, 1], avoiding rounds: ClosedRange<UInt32> = 0...1) -> ConsensusHarness {
        ConsensusHarness(powers: powers) { set in
            let busy = Set(rounds.map { set.proposer(round: $0).address })
            return set.validators.first { !busy.contains($0.address) }!.address
        }
    }
}
