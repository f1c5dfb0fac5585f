import CairnGovernance
import CairnLedger
import CairnPrimitives
import Testing

@Suite struct TallyTests {
    static let a = Address(bytes: [UInt8](repeating: 1, count: 20))!
    static let b = Address(bytes: [UInt8](repeating: 2, count: 20))!
    static let op = Address(bytes: [UInt8](repeating: 3, count: 20))!
    static let jailed = Address(bytes: [UInt8](repeating: 4, count: 20))!

    func tally(_ votes: [(voter: Address, option: VoteOption)], _ operators: [VotingOperator],
               _ delegations: [Address: [(operator: Address, shares: UInt128)]], params: GovParams = .default) throws -> TallyResult {
        try Tally.compute(votes: votes, operators: operators, delegations: { delegations[$0] ?? [] }, params: params)
    }

    @Test func sharesAreValuedDownwardAndTheDustStaysUncounted() throws {
        // 10 tokens over 3 shares: one share is worth 3.33 and two are worth 6.67, counted as 3 and 6.
        let ops = [VotingOperator(address: Self.op, isValidator: true, tokens: 10, shares: 3, jailed: false)]
        let t = try tally([(Self.a, .yes), (Self.op, .no)], ops, [Self.a: [(Self.op, 1)]])
        #expect(t == TallyResult(yes: 3, no: 6, abstain: 0, noWithVeto: 0, votedPower: 9, totalBonded: 10))
    }

    @Test func jailedOperatorsNeitherVoteNorCountTowardsQuorum() throws {
        let ops = [VotingOperator(address: Self.op, isValidator: true, tokens: 700, shares: 700, jailed: false),
                   VotingOperator(address: Self.jailed, isValidator: false, tokens: 300, shares: 300, jailed: true)]
        let t = try tally([(Self.a, .yes), (Self.jailed, .no)], ops, [Self.a: [(Self.op, 100), (Self.jailed, 300)]])
        #expect(t == TallyResult(yes: 100, no: 0, abstain: 0, noWithVeto: 0, votedPower: 100, totalBonded: 700))
    }

    @Test func stakeTooLargeForSixtyFourBitsIsCountedExactly() throws {
        let tokens = Amount(UInt128(1) << 100)
        let ops = [VotingOperator(address: Self.op, isValidator: true, tokens: tokens, shares: (UInt128(1) << 101) + 1, jailed: false)]
        let t = try tally([(Self.a, .yes)], ops, [Self.a: [(Self.op, UInt128(1) << 100)]])
        // 2^100 × 2^100 / (2^101 + 1) = 2^99 − 2^99 / (2^101 + 1), rounded down: 2^99 − 1.
        #expect(t.yes == Amount((UInt128(1) << 99) - 1))
    }

    @Test(arguments: [
        (UInt128(3_340), ProposalStatus.rejected), (UInt128(3_339), ProposalStatus.noQuorum),
    ])
    func quorumIsMetAtExactlyItsShare(voted: UInt128, expected: ProposalStatus) {
        let t = TallyResult(yes: Amount(voted / 2), no: Amount(voted - voted / 2), abstain: 0, noWithVeto: 0,
                            votedPower: Amount(voted), totalBonded: 10_000)
        #expect(Tally.outcome(t, params: .default) == expected)
    }

    @Test func thresholdAndVetoAreStrictlyAboveTheirShares() {
        func outcome(yes: Amount, no: Amount, abstain: Amount = 0, veto: Amount = 0) -> ProposalStatus {
            let voted = yes.value + no.value + abstain.value + veto.value
            return Tally.outcome(TallyResult(yes: yes, no: no, abstain: abstain, noWithVeto: veto, votedPower: Amount(voted),
                                             totalBonded: Amount(voted)), params: .default)
        }
        #expect(outcome(yes: 5_000, no: 5_000) == .rejected)
        #expect(outcome(yes: 5_001, no: 4_999) == .passed)
        // Abstain counts for veto's base but not for the threshold's.
        #expect(outcome(yes: 3_000, no: 0, abstain: 3_660, veto: 3_340) == .rejected)
        #expect(outcome(yes: 3_000, no: 0, abstain: 3_659, veto: 3_341) == .vetoed)
        #expect(outcome(yes: 0, no: 0, abstain: 10) == .rejected)
        let empty = TallyResult(yes: 0, no: 0, abstain: 0, noWithVeto: 0, votedPower: 0, totalBonded: 0)
        #expect(Tally.outcome(empty, params: .default) == .noQuorum)
    }

    @Test func theCapIsAShareOfThePowerThatVoted() throws {
        var params = GovParams.default
        params.voterCapBps = 3_000
        let ops = [VotingOperator(address: Self.a, isValidator: true, tokens: 701, shares: 701, jailed: false),
                   VotingOperator(address: Self.b, isValidator: true, tokens: 299, shares: 299, jailed: false)]
        let t = try tally([(Self.a, .yes), (Self.b, .no)], ops, [:], params: params)
        // 1000 voted, cap 300: 701 → 300, 299 stays.
        #expect(t.yes == 300 && t.no == 299 && t.votedPower == 1_000)
        #expect(Tally.outcome(t, params: params) == .passed)
        params.quadraticVoting = true
        let q = try tally([(Self.a, .yes), (Self.b, .no)], ops, [:], params: params)
        // √300 = 17.3 → 17; √299 = 17.29 → 17: a tie, which does not pass.
        #expect(q.yes == 17 && q.no == 17)
        #expect(Tally.outcome(q, params: params) == .rejected)
    }

    @Test(arguments: [
        (UInt128(0), UInt128(0)), (1, 1), (2, 1), (3, 1), (4, 2), (15, 3), (16, 4), (99, 9), (100, 10),
        (UInt128(UInt64.max) * UInt128(UInt64.max), UInt128(UInt64.max)),
        (UInt128(UInt64.max) * UInt128(UInt64.max) - 1, UInt128(UInt64.max) - 1),
        (UInt128.max, UInt128(UInt64.max)),
    ])
    func integerSquareRootRoundsDown(n: UInt128, root: UInt128) {
        #expect(Tally.squareRoot(n) == root)
    }

    @Test func productsAreComparedWithoutOverflow() {
        #expect(Tally.exceeds(UInt128.max, 10_000, UInt128.max, 9_999))
        #expect(!Tally.exceeds(UInt128.max, 9_999, UInt128.max, 10_000))
        #expect(Tally.exceeds(UInt128.max, 2, UInt128.max - 1, 2))
    }
}
