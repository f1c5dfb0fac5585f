import CairnApp
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnTestSupport
import CairnVerification
import Testing

/// Pooled challenges: the chain draws the window of consecutive jobs, the challenger gives exactly those, the committee
/// judges them together; a window not given in time burns the bond.
@Suite struct PooledChallengeTests {
    /// Job `n` of model 1 on `channel`: its receipt (its `modelRequests` is `n`), request and output.
    static func job(_ f: VerificationFixture, _ n: UInt64, channel: UInt64 = 1, model: UInt64 = 1, key: PrivateKey? = nil) -> PooledJob {
        let request = Array("prompt \(n)".utf8), output = Array("answer \(n)".utf8)
        let receipt = ServiceReceipt(provider: f.provider.address, channelID: channel, requestHash: Hash.sha256(request), outputHash: Hash.sha256(output),
                                     modelID: model, model: "smollm2", promptTokens: 10, completionTokens: 20, embeddingTokens: 0,
                                     price: ModelPrice(modelID: model, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 10),
                                     cost: 5, cumulative: Amount(UInt128(5 * n)), modelCumulative: Amount(UInt128(5 * n)), modelTokens: 30 * n, modelRequests: n)
            .signed(by: key ?? f.provider.key, chainID: f.harness.chainID)
        return PooledJob(receipt: receipt, request: request, output: output)
    }

    /// Raises a pooled challenge naming job `upTo`; returns its id.
    static func raise(_ f: VerificationFixture, upTo: UInt64, by challenger: DevAccount? = nil) throws -> UInt64 {
        let r = try f.succeed(challenger ?? f.client, MsgPooledChallenge(receipt: job(f, upTo).receipt, bond: VerificationFixture.params.challengeBond))
        let event = try #require(r.events.first { $0.type == "verification.challenge" })
        #expect(event["pooled_jobs"] == "4" && event["up_to"] == String(upTo))
        return try #require(event["challenge_id"].flatMap { UInt64($0) })
    }

    @Test func theChainDrawsTheWindowTheChallengerGivesItAndTheCommitteeSlashes() throws {
        // Evidence open for 12 blocks (each refusal below takes one), within a settle delay of 40.
        var params = VerificationFixture.params
        params.evidenceBlocks = 12
        params.pooledCommitBlocks = 6  // a window takes longer to judge than one job
        var market = VerificationFixture.marketParams
        market.settleDelayBlocks = 40
        let f = try VerificationFixture(params: params, marketParams: market)
        try f.registerProvider()
        try f.registerVerifiers()
        let voucher = try ChallengeTests.channelWithVoucher(f)
        let stakeBefore = try f.stake(f.provider.address)
        let id = try Self.raise(f, upTo: 10)
        var c = try f.challenge(id)
        #expect(c.status == .gathering && c.window?.range == nil)
        // No evidence before the window is drawn; claims wait from the start.
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, 7)]), code: 9)
        try f.refuse(f.provider, MsgClaim(voucher: voucher), code: 18, module: MarketError.codespace)
        c = try f.challenge(id)
        let window = try #require(c.window?.range, "the window is drawn at the end of the block after the challenge")
        // Four consecutive jobs ending at or before job 10, starting no earlier than job 3 (a lookback of 8).
        #expect(window.count == 4 && window.lowerBound >= 3 && window.upperBound <= 10)
        #expect(c.window?.evidenceDeadline == c.raisedHeight + 1 + 12)
        let inside = Array(window)
        let outside = window.lowerBound > 1 ? window.lowerBound - 1 : window.upperBound + 1
        // Refused, changing nothing: another's evidence, a job outside the window, another channel or model, a receipt the
        // provider did not sign, a request that is not the receipt's, the same job twice.
        try f.refuse(f.stranger, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[0])]), code: 15)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, outside)]), code: 15)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[0], channel: 2)]), code: 15)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[0], model: 2)]), code: 15)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[0], key: f.stranger.key)]), code: 15)
        var forged = Self.job(f, inside[0])
        forged.request = Array("another prompt".utf8)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [forged]), code: 15)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[0]), Self.job(f, inside[0])]), code: 15)
        #expect(try f.challenge(id).window?.jobs.isEmpty == true)
        // The window in two messages: the second completes it, and the committee is drawn at the end of the next block.
        try f.succeed(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[2]), Self.job(f, inside[0])]))
        #expect(try f.challenge(id).status == .gathering && f.challenge(id).window?.jobs.count == 2)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[0])]), code: 15)
        let last = try f.succeed(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, inside[1]), Self.job(f, inside[3])]))
        #expect(last.events.first { $0.type == "verification.evidence" }?["given"] == "4")
        c = try f.challenge(id)
        #expect(c.status == .drawing && c.window?.isComplete == true && c.window?.readyHeight == f.height)
        try f.blocks(1)
        c = try f.challenge(id)
        #expect(c.status == .committing && c.committee.count == 3 && c.commitDeadline == f.height + 6)
        // Decided as a single job's challenge is.
        try f.commit(id, [.cheated, .cheated, .cheated])
        try f.reveal(id, [.cheated, .cheated, .cheated])
        let decided = try f.challenge(id)
        #expect(decided.status == .upheld && decided.slashed.value == stakeBefore.value / 10)
        #expect(try f.stake(f.provider.address).value == stakeBefore.value - stakeBefore.value / 10)
        #expect(try f.verification.reputation(of: f.provider.address, state: f.state).challengesUpheld == 1)
        try f.succeed(f.provider, MsgClaim(voucher: voucher))
        // The API's view carries the window and its jobs.
        let view = try #require(try f.verification.challenge(id, state: f.state))
        #expect(view.pooled?.first == window.lowerBound && view.pooled?.last == window.upperBound && view.pooled?.jobs.count == 4)
        #expect(view.status == "upheld")
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aWindowNotGivenInTimeLapsesAndBurnsTheBond() throws {
        let f = try VerificationFixture()
        try f.registerProvider()
        try f.registerVerifiers()
        // A receipt with fewer jobs than a window cannot be pooled.
        try f.refuse(f.client, MsgPooledChallenge(receipt: Self.job(f, 3).receipt, bond: VerificationFixture.params.challengeBond), code: 4)
        try f.refuse(f.client, MsgPooledChallenge(receipt: Self.job(f, 30).receipt, bond: 1), code: 2)
        let bondsBefore = try f.bonds()
        let id = try Self.raise(f, upTo: 4)
        // One undecided pooled challenge per challenger and provider; another challenger may raise its own.
        try f.refuse(f.client, MsgPooledChallenge(receipt: Self.job(f, 9).receipt, bond: VerificationFixture.params.challengeBond), code: 11)
        let other = try Self.raise(f, upTo: 6, by: f.stranger)
        let window = try #require(try f.challenge(id).window?.range)
        #expect(window == 1...4, "only one window ends at job 4")
        try f.succeed(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, 1)]))
        let burnedBefore = try f.burned()
        try f.blocks(2)  // to the evidence deadline
        let lapsed = try f.challenge(id)
        #expect(lapsed.status == .lapsed && lapsed.decidedHeight == lapsed.window?.evidenceDeadline && lapsed.committee.isEmpty)
        #expect(try f.burned().value == burnedBefore.value + VerificationFixture.params.challengeBond.value)
        try f.refuse(f.client, MsgPooledEvidence(challengeID: id, jobs: [Self.job(f, 2)]), code: 9)
        #expect(try f.challenge(other).status == .lapsed)
        #expect(try f.bonds() == bondsBefore)
        let rep = try f.verification.reputation(of: f.provider.address, state: f.state)
        #expect(rep.challengesUpheld == 0 && rep.challengesRejected == 0 && rep.pendingChallenges.isEmpty)
        // After the lapse the challenger may raise another.
        _ = try Self.raise(f, upTo: 12)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func windowsAreDrawnOverTheWholeLookback() throws {
        // Over many challenges the window's first job takes every value the lookback allows, and no other.
        let f = try VerificationFixture()
        try f.registerProvider()
        try f.registerVerifiers()
        var starts: [UInt64: Int] = [:]
        for _ in 0..<24 {
            let id = try Self.raise(f, upTo: 20)
            try f.blocks(1)
            starts[try #require(try f.challenge(id).window?.start), default: 0] += 1
            try f.blocks(2)
            #expect(try f.challenge(id).status == .lapsed)
        }
        // Job 20 with a lookback of 8 and windows of 4: first jobs 13 to 17.
        #expect(Set(starts.keys).isSubset(of: Set(13...17)) && starts.count >= 4, "\(starts)")
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func pooledMessagesSurviveTheirEncodingAndGarbageIsRefused() throws {
        let f = try VerificationFixture()
        let m = MsgPooledChallenge(receipt: Self.job(f, 9).receipt, bond: 7)
        #expect(try MsgPooledChallenge(canonicalBytes: m.canonicalBytes) == m)
        let e = MsgPooledEvidence(challengeID: 4, jobs: [Self.job(f, 1), Self.job(f, 2)])
        #expect(try MsgPooledEvidence(canonicalBytes: e.canonicalBytes) == e)
        #expect(throws: DecodeError.self) { _ = try MsgPooledEvidence(canonicalBytes: Array(e.canonicalBytes.dropLast())) }
        #expect(throws: DecodeError.self) { _ = try MsgPooledChallenge(canonicalBytes: m.canonicalBytes + [0]) }
        #expect(throws: LedgerError.self) { try MsgPooledEvidence(challengeID: 4, jobs: []).validate() }
        #expect(throws: LedgerError.self) { try MsgPooledChallenge(receipt: Self.job(f, 9).receipt, bond: 0).validate() }
        // More jobs than any window holds do not decode.
        var w = CanonicalWriter()
        w.write(UInt64(4))
        w.write(array: Array(repeating: Self.job(f, 1), count: Int(VerificationParams.maxPooledJobs) + 1)) { $1.encode(to: &$0) }
        #expect(throws: DecodeError.self) { _ = try MsgPooledEvidence(canonicalBytes: w.bytes) }
    }
}
