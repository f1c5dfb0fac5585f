import CairnGovernance
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct VotingTests {
    @Test func votingTwiceKeepsOnlyTheLaterVote() throws {
        let f = try GovFixture()
        f.bond(f[1], 1_000)
        let id = try f.submit(.text, by: f[0])
        try f.vote(id, [(f[1], .yes)])
        try f.vote(id, [(f[1], .no)])
        #expect(try f.gov.votes(of: id, state: f.state) == [VoteRecord(voter: f[1].address, option: .no)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        let p = try f.proposal(id)
        #expect(p.status == .rejected)
        #expect(p.finalTally?.no == 1_000 && p.finalTally?.yes == 0)
    }

    @Test func votesBeforeAndAfterTheVotingPeriodAreRejected() throws {
        let f = try GovFixture()
        f.bond(f[1], 1_000)
        let id = try f.submit(.text, by: f[0], deposit: 999)
        let early = try f.send(f[1], MsgVote(proposalID: id, option: .yes))
        #expect(isGov(early.error, 6))
        #expect(early.error?.message.contains("has not begun") == true)
        #expect(try f.gov.votes(of: id, state: f.state).isEmpty)
        #expect(try f.send(f[2], MsgDeposit(proposalID: id, amount: 1)).success)
        let end = try #require(try f.proposal(id).votingEndHeight)
        try f.advance(to: end)
        let late = try f.send(f[1], MsgVote(proposalID: id, option: .yes))
        #expect(isGov(late.error, 7))
        #expect(late.error?.message.contains("ended at height \(end)") == true, "\(String(describing: late.error))")
        #expect(try f.proposal(id).status == .noQuorum)
        let unknown = try f.send(f[1], MsgVote(proposalID: 99, option: .yes))
        #expect(isGov(unknown.error, 1))
    }

    @Test func depositingAfterTheDepositPeriodIsRejected() throws {
        let f = try GovFixture()
        let id = try f.submit(.text, by: f[0])
        #expect(try f.proposal(id).status == .votingPeriod)
        let r = try f.send(f[2], MsgDeposit(proposalID: id, amount: 500))
        #expect(isGov(r.error, 5))
        #expect(try f.proposal(id).totalDeposit == 1_000)
        #expect(try f.balance(f.escrow) == 1_000)
    }

    /// Operator f1: 1,000 tokens behind 3,000 shares (as after a slash); its own 1,500 shares, f2 holds
    /// 1,001 and f3 499. The operator votes yes; f2 votes no, which takes its stake out of the operator's vote.
    @Test func aDelegatorsVoteOverridesItsOperatorsForItsOwnStake() throws {
        let f = try GovFixture()
        f.stake.addOperator(f[1].address, tokens: 1_000, shares: 3_000, selfShares: 1_500,
                            delegators: [(f[2].address, 1_001), (f[3].address, 499)])
        let id = try f.submit(.text, by: f[0])
        try f.vote(id, [(f[1], .yes), (f[2], .no)])
        // f2: 1001 × 1000 / 3000 = 333.67 → 333. f1: own 1500 → 500, plus f3's 499 shares → 166.33 → 166.
        let live = try #require(try f.gov.tally(of: id, state: f.state))
        #expect(live == TallyResult(yes: 666, no: 333, abstain: 0, noWithVeto: 0, votedPower: 999, totalBonded: 1_000))
        try f.vote(id, [(f[3], .abstain)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        let p = try f.proposal(id)
        #expect(p.finalTally == TallyResult(yes: 500, no: 333, abstain: 166, noWithVeto: 0, votedPower: 999, totalBonded: 1_000))
        #expect(p.status == .passed)
        #expect(try f.gov.tally(of: id, state: f.state) == p.finalTally)
    }

    /// A 60% holder decides alone until governance itself votes in a 25% voter cap.
    @Test func aVoterCapVotedInByGovernanceStopsOneHolderDecidingAlone() throws {
        let f = try GovFixture()
        f.bond(f[1], 6_000)
        f.bond(f[2], 1_500)
        f.bond(f[3], 1_500)
        f.bond(f[4], 1_000)
        try enact(f, key: "voterCapBps", value: .number(2_500))
        #expect(try f.gov.params(state: f.state).voterCapBps == 2_500)

        let id = try f.submit(.text, by: f[0])
        try f.vote(id, [(f[1], .yes), (f[2], .no), (f[3], .no), (f[4], .no)])
        // Without the cap the same votes pass: 6000 of 10000.
        #expect(try counterfactual(f, id) == .passed)
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        let p = try f.proposal(id)
        #expect(p.finalTally?.yes == 2_500 && p.finalTally?.no == 4_000 && p.finalTally?.votedPower == 10_000)
        #expect(p.status == .rejected)
    }

    /// A 64% holder decides alone until governance votes in quadratic weighting: √6400 = 80 against 4 × √900 = 120.
    @Test func quadraticWeightingVotedInByGovernanceStopsOneHolderDecidingAlone() throws {
        let f = try GovFixture()
        f.bond(f[1], 6_400)
        for i in 2...5 { f.bond(f[i], 900) }
        try enact(f, key: "quadraticVoting", value: .bool(true))
        #expect(try f.gov.params(state: f.state).quadraticVoting)

        let id = try f.submit(.text, by: f[0])
        try f.vote(id, [(f[1], .yes)] + (2...5).map { (f[$0], VoteOption.no) })
        #expect(try counterfactual(f, id) == .passed)
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        let p = try f.proposal(id)
        #expect(p.finalTally?.yes == 80 && p.finalTally?.no == 120)
        #expect(p.status == .rejected)
    }

    /// Passes a change of one gov parameter with every bonded account voting yes.
    func enact(_ f: GovFixture, key: String, value: JSONValue) throws {
        let id = try f.submit(.parameterChange([ParameterChange(module: "gov", key: key, value: value)]), by: f[0])
        let voters = try f.stake.votingOperators(state: f.state).map { op in f.accounts.first { $0.address == op.address }! }
        try f.vote(id, voters.map { ($0, .yes) })
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        #expect(try f.proposal(id).status == .passed)
    }

    /// The outcome the votes on `id` would have under the default parameters.
    func counterfactual(_ f: GovFixture, _ id: UInt64) throws -> ProposalStatus {
        let votes = try f.gov.votes(of: id, state: f.state).map { (voter: $0.voter, option: $0.option) }
        let t = try Tally.compute(votes: votes, operators: try f.stake.votingOperators(state: f.state),
                                  delegations: { try f.stake.delegations(of: $0, state: f.state) }, params: .default)
        return Tally.outcome(t, params: .default)
    }
}
