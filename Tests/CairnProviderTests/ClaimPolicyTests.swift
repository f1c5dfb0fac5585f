import Testing
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire

/// When the gate says to claim: past the threshold, periodically, before a closing channel's deadline; never the
/// same voucher twice.
@Suite struct ClaimPolicyTests {
    static let policy = ClaimPolicy(threshold: 500, intervalMilliseconds: 60_000)
    static let model: UInt64 = 7

    /// A gate whose channel 1 has a voucher of `voucher` accepted and `claimed` claimed on the chain.
    static func gate(voucher: Amount, claimed: Amount = .zero, state: ChainChannel.State = .open, settleHeight: UInt64 = 0,
                     height: UInt64 = 10) throws -> PaymentGate {
        let client = TestClient()
        let provider = PrivateKey.deterministic("provider-test-provider").publicKey.address
        var chain = ChainChannel(id: 1, client: client.key.publicKey.address, provider: provider, voucherKey: client.voucherKey.publicKey,
                                 deposit: 10_000, claimed: claimed,
                                 claimedPerModel: claimed > .zero ? [ModelAmount(modelID: model, amount: claimed)] : [])
        var gate = PaymentGate(chainID: TestClient.chainID, provider: provider)
        gate.chainUpdated(chain)
        let ticket = try gate.authorize(voucherHeader: client.voucher(1, [(model, voucher)]).headerValue, channelHeader: "1",
                                        modelID: model, maxCost: 0).get()
        gate.release(ticket)
        chain.state = state
        chain.settleHeight = settleHeight
        gate.chainUpdated(chain)
        gate.observe(height: height)
        return gate
    }

    @Test func aChannelPastTheThresholdIsClaimed() throws {
        var gate = try Self.gate(voucher: 600, claimed: 50)
        let due = gate.claimsDue(now: 0, policy: Self.policy)
        #expect(due.map(\.reason) == [.threshold])
        #expect(due.first?.voucher.voucher.cumulative == 600)
    }

    @Test func belowTheThresholdWaitsForThePeriodicClaim() throws {
        var gate = try Self.gate(voucher: 100)
        #expect(gate.claimsDue(now: 1_000, policy: Self.policy).isEmpty)
        #expect(gate.claimsDue(now: 30_000, policy: Self.policy).isEmpty)
        #expect(gate.claimsDue(now: 61_000, policy: Self.policy).map(\.reason) == [.periodic])
    }

    @Test func aClosingChannelIsClaimedAtOnceBelowTheThreshold() throws {
        var open = try Self.gate(voucher: 100, state: .open, settleHeight: 0, height: 20)
        #expect(open.claimsDue(now: 0, policy: Self.policy).isEmpty)
        var closing = try Self.gate(voucher: 100, state: .closing, settleHeight: 30, height: 20)
        #expect(closing.claimsDue(now: 0, policy: Self.policy).map(\.reason) == [.closing])
        var last = try Self.gate(voucher: 100, state: .closing, settleHeight: 30, height: 30)
        #expect(last.claimsDue(now: 0, policy: Self.policy).map(\.reason) == [.closing], "the settle height itself still takes claims")
        var late = try Self.gate(voucher: 100, state: .closing, settleHeight: 30, height: 31)
        #expect(late.claimsDue(now: 0, policy: Self.policy).isEmpty, "past the settle height the chain refuses claims")
    }

    @Test func aVoucherIsNotClaimedTwice() throws {
        var gate = try Self.gate(voucher: 600)
        let due = gate.claimsDue(now: 0, policy: Self.policy)
        #expect(due.count == 1)
        gate.claimSubmitted(due[0].voucher)
        #expect(gate.claimsDue(now: 0, policy: Self.policy).isEmpty, "a claim under way")
        // The chain shows it claimed: nothing left to claim.
        var chain = try #require(gate.accounts[1]?.chain)
        chain.claimed = 600
        chain.claimedPerModel = [ModelAmount(modelID: Self.model, amount: 600)]
        gate.chainUpdated(chain)
        #expect(gate.accounts[1]?.claimPending == nil)
        #expect(gate.claimsDue(now: 999_999, policy: Self.policy).isEmpty)
    }

    @Test func aClaimTheChainRefusedIsNotRepeatedButAFailedSendIs() throws {
        var gate = try Self.gate(voucher: 600)
        let claim = try #require(gate.claimsDue(now: 0, policy: Self.policy).first)
        gate.claimSubmitted(claim.voucher)
        gate.claimFailed(claim.voucher, refusedByChain: false)
        #expect(gate.claimsDue(now: 0, policy: Self.policy).count == 1, "a claim that never reached the chain is retried")
        gate.claimSubmitted(claim.voucher)
        gate.claimFailed(claim.voucher, refusedByChain: true)
        #expect(gate.claimsDue(now: 999_999, policy: Self.policy).isEmpty, "the refused voucher is not sent again")
    }
}
