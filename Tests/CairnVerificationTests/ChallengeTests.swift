import CairnApp
import CairnBank
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import CairnVerification
import Testing

@Suite struct ChallengeTests {
    /// Channel 1 from the client to the provider, with a voucher the provider can claim.
    static func channelWithVoucher(_ f: VerificationFixture) throws -> SignedVoucher {
        try f.succeed(f.client, MsgOpenChannel(provider: f.provider.address, deposit: 1_000_000, voucherKey: f.client.publicKey))
        let perModel = [ModelAmount(modelID: 1, amount: 100_000)]
        return Voucher(channelID: 1, cumulative: 100_000, perModel: perModel, usage: []).signed(by: f.client.key, chainID: f.harness.chainID)
    }

    @Test func aCheatingProviderIsSlashedAndTheChallengerPaidWhileItsClaimsWait() throws {
        let f = try VerificationFixture()
        try f.registerProvider()
        try f.registerVerifiers()
        let voucher = try Self.channelWithVoucher(f)
        let stakeBefore = try f.stake(f.provider.address)
        let id = try f.raise(f.receipt())
        #expect(try f.challenge(id).status == .drawing && f.challenge(id).committee.isEmpty)
        // The provider's claims wait for the verdict.
        try f.refuse(f.provider, MsgClaim(voucher: voucher), code: 18, module: MarketError.codespace)
        let c = try f.challenge(id)
        #expect(c.status == .committing && c.committee.count == 3)
        #expect(Set(c.committee.map(\.member)).isSubset(of: Set(f.verifiers.map(\.address))))
        #expect(c.commitDeadline == c.raisedHeight + 1 + 4 && c.revealDeadline == c.commitDeadline + 4)
        try f.commit(id, [.cheated, .cheated, .honest])
        #expect(try f.challenge(id).status == .revealing)
        let challengerBefore = try f.balance(f.client.address)
        let burnedBefore = try f.burned()
        try f.reveal(id, [.cheated, .cheated, .honest])
        let decided = try f.challenge(id)
        #expect(decided.status == .upheld && decided.decidedHeight == f.height)
        // 10% of the provider's stake, half of it to the challenger with its bond back, the other half burned.
        let slashed = stakeBefore.value / 10
        #expect(try f.stake(f.provider.address).value == stakeBefore.value - slashed)
        #expect(decided.slashed.value == slashed && decided.bounty.value == slashed / 2)
        #expect(try f.balance(f.client.address).value == challengerBefore.value + slashed / 2 + VerificationFixture.params.challengeBond.value)
        #expect(try f.burned().value >= burnedBefore.value + slashed - slashed / 2)
        let rep = try f.verification.reputation(of: f.provider.address, state: f.state)
        #expect(rep.challengesUpheld == 1 && rep.challengesRejected == 0 && rep.pendingChallenges.isEmpty)
        #expect(try LedgerWiring.staking.stakedOperator(f.provider.address, state: f.state)?.jailed == true)
        for seat in decided.committee { #expect(try f.verification.verifier(seat.member, state: f.state)?.openCommittees == 0) }
        // With the verdict in, the claim goes through.
        try f.succeed(f.provider, MsgClaim(voucher: voucher))
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aChallengeTheCommitteeRejectsForfeitsTheBondToTheMembersWhoRevealed() throws {
        let f = try VerificationFixture()
        try f.registerProvider()
        try f.registerVerifiers()
        let stakeBefore = try f.stake(f.provider.address)
        let challengerBefore = try f.balance(f.client.address)
        let id = try f.raise(f.receipt())
        try f.blocks(1)
        let seats = try f.challenge(id).committee
        let before = try seats.map { try f.balance($0.member) }
        try f.commit(id, [.honest, .honest, .cheated])
        try f.reveal(id, [.honest, .honest, .cheated])
        let c = try f.challenge(id)
        #expect(c.status == .rejected && c.slashed == .zero)
        #expect(try f.stake(f.provider.address) == stakeBefore)
        let share = VerificationFixture.params.challengeBond.value / 3
        for (seat, b) in zip(seats, before) {
            let fees = try f.harness.balance(seat.member)  // each member paid fees for its commit and reveal
            #expect(fees.value < b.value + share && fees.value > b.value + share - 10_000_000)
        }
        #expect(try f.balance(f.client.address).value < challengerBefore.value - VerificationFixture.params.challengeBond.value)
        #expect(try f.verification.reputation(of: f.provider.address, state: f.state).challengesRejected == 1)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func withoutAMajorityInTimeTheChallengeIsVoidAndSilentMembersLoseSomeBond() throws {
        let f = try VerificationFixture()
        try f.registerProvider()
        try f.registerVerifiers()
        let id = try f.raise(f.receipt())
        try f.blocks(1)
        let c = try f.challenge(id)
        try f.commit(id, [.cheated, nil, .honest])
        try f.blocks(4)  // the commit phase ends
        #expect(try f.challenge(id).status == .revealing)
        try f.reveal(id, [.cheated, nil, nil])
        let bondsBefore = try c.committee.map { try #require(try f.verification.verifier($0.member, state: f.state)).bond }
        try f.blocks(5)  // past the reveal deadline
        let done = try f.challenge(id)
        #expect(done.status == .void && done.decidedHeight == done.revealDeadline)
        let bondsAfter = try c.committee.map { try #require(try f.verification.verifier($0.member, state: f.state)).bond }
        #expect(bondsAfter[0] == bondsBefore[0])
        #expect(bondsAfter[1].value == bondsBefore[1].value * 9 / 10 && bondsAfter[2].value == bondsBefore[2].value * 9 / 10)
        let rep = try f.verification.reputation(of: f.provider.address, state: f.state)
        #expect(rep.challengesUpheld == 0 && rep.challengesRejected == 0)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func badChallengesAreRefusedAndChangeNothing() throws {
        let f = try VerificationFixture()
        try f.registerProvider()
        // Fewer verifiers than a committee needs.
        try f.succeed(f.verifiers[0], MsgRegisterVerifier(bond: 2_000_000))
        try f.refuse(f.client, VerificationFixture.challenge(f.receipt(), bond: 500_000), code: 6)
        try f.registerVerifiers(bonds: [1, 2_000_000, 2_000_000, 2_000_000])
        // A receipt signed by another key, one from another chain, a provider challenging itself, a small bond.
        try f.refuse(f.client, VerificationFixture.challenge(f.receipt(key: f.stranger.key), bond: 500_000), code: 4)
        var foreign = f.receipt()
        foreign.signature = f.provider.key.sign(domain: .receipt, chainID: "another-chain", payload: foreign.receipt.canonicalBytes)
        try f.refuse(f.client, VerificationFixture.challenge(foreign, bond: 500_000), code: 4)
        try f.refuse(f.provider, VerificationFixture.challenge(f.receipt(), bond: 500_000), code: 4)
        try f.refuse(f.client, VerificationFixture.challenge(f.receipt(), bond: 499_999), code: 2)
        // A request or an output other than the ones the provider signed.
        try f.refuse(f.client, VerificationFixture.challenge(f.receipt(), output: "another answer", bond: 500_000), code: 4)
        try f.refuse(f.client, MsgChallenge(receipt: f.receipt(), request: Array("another prompt".utf8), output: Array("an answer".utf8), bond: 500_000),
                     code: 4)
        // A receipt of an address that is not a provider.
        let notProvider = ServiceReceipt(provider: f.stranger.address, channelID: 1, requestHash: Hash.sha256(Array("a prompt".utf8)),
                                         outputHash: Hash.sha256(Array("an answer".utf8)), modelID: 1, model: "m",
                                         promptTokens: 1, completionTokens: 1, embeddingTokens: 0,
                                         price: ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 1, embeddingPerMillion: 1),
                                         cost: 1, cumulative: 1, modelCumulative: 1).signed(by: f.stranger.key, chainID: f.harness.chainID)
        try f.refuse(f.client, VerificationFixture.challenge(notProvider, bond: 500_000), code: 4)
        #expect(try f.verification.challenges(state: f.state).isEmpty && f.bonds().value == 8_000_001)
        // One challenge per receipt.
        let id = try f.raise(f.receipt())
        try f.refuse(f.stranger, VerificationFixture.challenge(f.receipt(), bond: 500_000), code: 5)
        #expect(try f.verification.challenges(state: f.state).map(\.id) == [id])
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func votesOutOfTurnOrFromOutsideTheCommitteeAreRefused() throws {
        var params = VerificationFixture.params
        params.commitBlocks = 10  // room for a refusal per block in each phase
        params.revealBlocks = 9
        let f = try VerificationFixture(params: params)
        try f.registerProvider()
        try f.registerVerifiers()
        let id = try f.raise(f.receipt())
        try f.blocks(1)
        let c = try f.challenge(id)
        let member = f.account(c.committee[0].member)
        let outsider = try #require(f.verifiers.first { v in !c.committee.contains { $0.member == v.address } })
        let salt = VerificationFixture.salt(member, id)
        let commitment = Verdict.commitment(challenge: id, member: member.address, verdict: .cheated, salt: salt)
        try f.refuse(outsider, MsgCommitVerdict(challengeID: id, commitment: commitment), code: 8)
        try f.refuse(member, MsgCommitVerdict(challengeID: 99, commitment: commitment), code: 7)
        try f.refuse(member, MsgRevealVerdict(challengeID: id, verdict: .cheated, salt: salt), code: 9)  // not revealing yet
        try f.succeed(member, MsgCommitVerdict(challengeID: id, commitment: commitment))
        try f.refuse(member, MsgCommitVerdict(challengeID: id, commitment: commitment), code: 9)  // twice
        try f.refuse(member, MsgLeaveVerifier(), code: 3)  // it sits on an undecided committee
        try f.blocks(Int(c.commitDeadline - f.height))
        #expect(try f.challenge(id).status == .revealing)
        // Another verdict, or another salt, than the commitment's.
        try f.refuse(member, MsgRevealVerdict(challengeID: id, verdict: .honest, salt: salt), code: 10)
        try f.refuse(member, MsgRevealVerdict(challengeID: id, verdict: .cheated, salt: [UInt8](repeating: 7, count: 32)), code: 10)
        // A member that did not commit cannot reveal.
        let silent = f.account(c.committee[1].member)
        try f.refuse(silent, MsgRevealVerdict(challengeID: id, verdict: .cheated, salt: VerificationFixture.salt(silent, id)), code: 9)
        try f.succeed(member, MsgRevealVerdict(challengeID: id, verdict: .cheated, salt: salt))
        try f.refuse(member, MsgRevealVerdict(challengeID: id, verdict: .cheated, salt: salt), code: 9)  // twice
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func verifiersJoinLeaveAndReportChecksOncePerReceipt() throws {
        let f = try VerificationFixture()
        try f.registerProvider()
        try f.refuse(f.verifiers[0], MsgRegisterVerifier(bond: 999_999), code: 2)
        try f.refuse(f.verifiers[0], MsgReportCheck(receipt: f.receipt(), passed: true), code: 1)
        let before = try f.balance(f.verifiers[0].address)
        let joined = try f.succeed(f.verifiers[0], MsgRegisterVerifier(bond: 1_000_000))
        try f.succeed(f.verifiers[0], MsgRegisterVerifier(bond: 500_000))
        #expect(try f.verification.verifier(f.verifiers[0].address, state: f.state)?.bond == 1_500_000)
        try f.succeed(f.verifiers[0], MsgReportCheck(receipt: f.receipt(output: "one"), passed: true))
        try f.succeed(f.verifiers[0], MsgReportCheck(receipt: f.receipt(output: "two"), passed: false))
        try f.refuse(f.verifiers[0], MsgReportCheck(receipt: f.receipt(output: "one"), passed: true), code: 12)
        try f.refuse(f.verifiers[0], MsgReportCheck(receipt: f.receipt(output: "three", key: f.stranger.key), passed: true), code: 4)
        let rep = try f.verification.reputation(of: f.provider.address, state: f.state)
        #expect(rep.checksPassed == 1 && rep.checksFailed == 1)
        let left = try f.succeed(f.verifiers[0], MsgLeaveVerifier())
        #expect(left.events.contains { $0.type == "verification.leave" && $0["bond"] == "1500000" })
        #expect(try f.verification.verifier(f.verifiers[0].address, state: f.state) == nil && f.bonds() == .zero)
        _ = joined
        #expect(try f.balance(f.verifiers[0].address).value < before.value && f.balance(f.verifiers[0].address).value > before.value - 10_000_000)
        try f.refuse(f.verifiers[0], MsgLeaveVerifier(), code: 1)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func committeesAreDrawnInProportionToBondAndNeverTwice() {
        let a = Address(bytes: [UInt8](repeating: 1, count: 20))!, b = Address(bytes: [UInt8](repeating: 2, count: 20))!
        let c = Address(bytes: [UInt8](repeating: 3, count: 20))!
        var firstA = 0
        let trials = 4_000
        for i in 0..<trials {
            let seed = Hash.sha256(Array("seed \(i)".utf8))
            let drawn = VerificationModule.drawCommittee([(a, 3_000), (b, 1_000)], count: 1, seed: seed)
            if drawn == [a] { firstA += 1 }
            let three = VerificationModule.drawCommittee([(a, 5), (b, 1), (c, 1)], count: 3, seed: seed)
            #expect(Set(three).count == 3)
            #expect(VerificationModule.drawCommittee([(a, 5), (b, 1), (c, 1)], count: 3, seed: seed) == three)
        }
        // Three quarters of the draws, within four standard deviations (σ ≈ 0.0068).
        #expect(abs(Double(firstA) / Double(trials) - 0.75) < 0.028, "\(firstA) of \(trials)")
        #expect(VerificationModule.drawCommittee([(a, 0), (b, 1)], count: 2, seed: .zero) == [b])
    }

    @Test func theChallengeWindowMustFitTheSettleDelay() throws {
        // 1 + 10 + 10 blocks of a single job's challenge window against a settle delay of 20.
        var long = VerificationFixture.params
        long.commitBlocks = 10
        long.revealBlocks = 10
        #expect(throws: LedgerError.self) { _ = try VerificationFixture(params: long) }
        long.revealBlocks = 9
        _ = try VerificationFixture(params: long)
        // A pooled challenge's: 2 + 2 (evidence) + 8 (its commit phase) + 9.
        long.pooledCommitBlocks = 8
        #expect(throws: LedgerError.self) { _ = try VerificationFixture(params: long) }
        long.pooledCommitBlocks = 7
        _ = try VerificationFixture(params: long)
        long.evidenceBlocks = 3
        #expect(throws: LedgerError.self) { _ = try VerificationFixture(params: long) }
        var even = VerificationFixture.params
        even.committeeSize = 4
        #expect(throws: LedgerError.self) { try even.validate() }
    }

    @Test func messagesSurviveTheirEncodingAndGarbageIsRefused() throws {
        let f = try VerificationFixture()
        let m = VerificationFixture.challenge(f.receipt(), bond: 7)
        #expect(try MsgChallenge(canonicalBytes: m.canonicalBytes) == m)
        let r = MsgRevealVerdict(challengeID: 3, verdict: .honest, salt: [UInt8](repeating: 1, count: 32))
        #expect(try MsgRevealVerdict(canonicalBytes: r.canonicalBytes) == r)
        var bad = r.canonicalBytes
        bad[8] = 9  // no such verdict
        #expect(throws: DecodeError.self) { _ = try MsgRevealVerdict(canonicalBytes: bad) }
        #expect(throws: DecodeError.self) { _ = try MsgChallenge(canonicalBytes: Array(m.canonicalBytes.dropLast())) }
        #expect(throws: LedgerError.self) { try MsgRevealVerdict(challengeID: 1, verdict: .cheated, salt: [1, 2]).validate() }
        let huge = MsgChallenge(receipt: f.receipt(), request: [UInt8](repeating: 1, count: MsgChallenge.maxEvidenceBytes + 1), output: [], bond: 7)
        #expect(throws: LedgerError.self) { try huge.validate() }
        #expect(throws: DecodeError.self) { _ = try MsgChallenge(canonicalBytes: huge.canonicalBytes) }
    }
}
