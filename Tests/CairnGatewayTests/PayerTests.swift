import Testing
import Foundation
import CairnPrimitives
import CairnMarket
import CairnClient
import CairnWire
import CairnTestSupport
@testable import CairnGateway

/// A gateway's payments in miniature: one client key, two providers, one model at a fixed price.
struct PaymentFixture {
    static let chainID = "cairn-payer-test"
    static let client = PrivateKey.deterministic("payer-client")
    static let alice = PrivateKey.deterministic("payer-provider-alice")
    static let bob = PrivateKey.deterministic("payer-provider-bob")
    static let price = ModelPrice(modelID: 7, promptPerMillion: 1_000_000, completionPerMillion: 2_000_000, embeddingPerMillion: 0)
    /// Deposit 1,000, at most 3,000 escrowed, 2 channels per provider.
    static let policy = Payer.Policy(spendLimit: 3_000, deposit: 1_000, channelsPerProvider: 2, settleAfter: .seconds(2),
                                     closeAfter: .seconds(60))

    static func wallet(_ id: UInt64, provider: PrivateKey = alice, deposit: Amount = 1_000, delivered: Amount = .zero) -> WalletChannel {
        WalletChannel(id: id, provider: provider.publicKey.address, deposit: deposit, delivered: delivered,
                      perModel: delivered > .zero ? [ModelAmount(modelID: price.modelID, amount: delivered)] : [],
                      usage: [], closing: false, receipts: 0)
    }

    /// The receipt an honest provider signs for one request of `prompt` and `completion` tokens on a channel that had
    /// `delivered` before (its first request when `requestsBefore` is 0).
    static func receipt(channel: UInt64, provider: PrivateKey = alice, delivered: Amount, prompt: UInt32, completion: UInt32,
                        tokensBefore: UInt64 = 0, requestsBefore: UInt64 = 0, cost override: Amount? = nil) -> SignedReceipt {
        let cost = override ?? price.cost(promptTokens: prompt, completionTokens: completion, embeddingTokens: 0)
        let total = Amount(delivered.value + cost.value)
        return ServiceReceipt(provider: provider.publicKey.address, channelID: channel, requestHash: Hash.sha256([1]),
                              outputHash: Hash.sha256([2]), modelID: price.modelID, model: "m", promptTokens: prompt,
                              completionTokens: completion, embeddingTokens: 0, price: price, cost: cost, cumulative: total,
                              modelCumulative: total, modelTokens: tokensBefore + UInt64(prompt) + UInt64(completion),
                              modelRequests: requestsBefore + 1).signed(by: provider, chainID: chainID)
    }
}

/// The payer state machine alone: no chain, no clock, no network.
@Suite struct PayerTests {
    typealias F = PaymentFixture
    var alice: Address { F.alice.publicKey.address }

    /// A payer holding the given channels.
    func payer(_ channels: [WalletChannel] = [], policy: Payer.Policy = F.policy) -> Payer {
        Payer(policy: policy, channels: channels, now: 0)
    }

    @Test func theFirstRequestOpensAChannelAndTheNextReusesItOnceGivenBack() throws {
        var p = payer()
        #expect(p.lease(alice, needed: 300, now: 0) == .open(provider: alice, amount: 1_000))
        #expect(p.escrowed == 1_000, "the deposit under way counts against the limit")
        let held = p.opened(F.wallet(1), amount: 1_000, now: 0)
        #expect(held.voucher.cumulative == .zero && held.channelID == 1)
        #expect(p.escrowed == 1_000)
        // A second request while the first holds channel 1: another channel, up to two per provider.
        #expect(p.lease(alice, needed: 300, now: 0) == .open(provider: alice, amount: 1_000))
        let second = p.opened(F.wallet(2), amount: 1_000, now: 0)
        #expect(p.lease(alice, needed: 300, now: 0) == .wait, "both channels busy and no room for a third")
        p.release(second, voucherDelivered: true, now: 5)
        guard case let .leased(again) = p.lease(alice, needed: 300, now: 6) else { Issue.record("expected a lease"); return }
        #expect(again.channelID == 2)
        #expect(p.channels[1]?.busy == true && p.channels[2]?.busy == true)
    }

    /// A provider that says it runs more requests at once than the policy's channels gets a channel for each (so
    /// concurrent requests reach its batch), never fewer than the policy's, and never more than 64.
    @Test func aProvidersAnnouncedCapacityRaisesItsChannels() throws {
        var p = payer(policy: Payer.Policy(spendLimit: 1_000_000, deposit: 1_000, channelsPerProvider: 2))
        func fill() -> Int {
            var n = 0
            while case let .open(provider, amount) = p.lease(alice, needed: 300, now: 0) {
                n += 1
                _ = p.opened(F.wallet(UInt64(100 + p.channels.count), provider: F.alice, deposit: amount), amount: amount, now: 0)
                #expect(provider == alice)
            }
            return n
        }
        #expect(fill() == 2)
        let smaller = p.learned(capacity: 1, of: alice)
        #expect(!smaller, "a smaller capacity leaves the policy's channels")
        #expect(p.lease(alice, needed: 300, now: 0) == .wait)
        let raised = p.learned(capacity: 5, of: alice)
        #expect(raised)
        #expect(fill() == 3, "five channels in all")
        #expect(p.channelLimit(F.bob.publicKey.address) == 2, "another provider keeps the policy's number")
        _ = p.learned(capacity: 4096, of: alice)
        #expect(p.channelLimit(alice) == Payer.maxChannelsPerProvider)
    }

    @Test func aRequestLargerThanTheDepositOpensAChannelBigEnough() {
        var p = payer()
        #expect(p.lease(alice, needed: 2_500, now: 0) == .open(provider: alice, amount: 2_500))
    }

    /// A channel with exactly what the request may cost left is used as it is; one unit short, it is topped up first.
    @Test(arguments: [(Amount(600), false), (Amount(601), true)])
    func aChannelIsToppedUpOnlyBelowTheRequestsHighestCost(needed: Amount, topUp: Bool) throws {
        var p = payer([F.wallet(1, delivered: 400)])
        let step = p.lease(alice, needed: needed, now: 0)
        if topUp {
            guard case let .topUp(held, amount) = step else { Issue.record("expected a top-up, got \(step)"); return }
            #expect(amount == 1_000 && held.voucher.cumulative == 400)
            #expect(p.escrowed == 1_600, "600 left plus the top-up under way")
            let after = p.toppedUp(held, amount: amount)
            #expect(p.channels[1]?.wallet.deposit == 2_000 && p.channels[1]?.wallet.available == 1_600)
            #expect(after.voucher.cumulative == 400 && p.channels[1]?.busy == true)
        } else {
            guard case let .leased(held) = step else { Issue.record("expected a lease, got \(step)"); return }
            #expect(held.voucher.cumulative == 400)
        }
    }

    @Test func theSpendingLimitRefusesANewChannelButWaitsWhenOneOfTheProvidersWillComeFree() {
        var p = payer([F.wallet(1, provider: F.bob, deposit: 2_500)])
        // 2,500 escrowed with bob: a new 1,000 channel to alice would pass 3,000.
        guard case let .overLimit(why) = p.lease(alice, needed: 100, now: 0) else { Issue.record("expected a refusal"); return }
        #expect(why.contains("spending limit of 3000"))
        #expect(p.escrowed == 2_500, "nothing reserved")
        // Bob's channel is busy and opening another would pass the limit: wait for it instead.
        guard case .leased = p.lease(F.bob.publicKey.address, needed: 100, now: 0) else { Issue.record("expected a lease"); return }
        #expect(p.lease(F.bob.publicKey.address, needed: 100, now: 0) == .wait)
    }

    @Test func aFailedOpenOrTopUpGivesItsReservationBack() {
        var p = payer([F.wallet(1, delivered: 900)])
        guard case let .topUp(held, amount) = p.lease(alice, needed: 500, now: 0) else { Issue.record("expected a top-up"); return }
        p.topUpFailed(held, amount: amount, now: 1)
        #expect(p.escrowed == 100 && p.channels[1]?.busy == false)
        var q = payer()
        #expect(q.lease(alice, needed: 1, now: 0) == .open(provider: alice, amount: 1_000))
        q.openFailed(provider: alice, amount: 1_000)
        #expect(q.escrowed == 0)
        #expect(q.lease(alice, needed: 1, now: 0) == .open(provider: alice, amount: 1_000), "the opening no longer counts")
    }

    @Test func aReceiptRaisesTheNextVoucherByItsCostAndAWrongOneIsRefused() throws {
        var p = payer([F.wallet(1)])
        guard case let .leased(held) = p.lease(alice, needed: 500, now: 0) else { Issue.record("expected a lease"); return }
        let wrong = F.receipt(channel: 1, delivered: .zero, prompt: 100, completion: 50, cost: 1)
        #expect(throws: ClientError.self) { try p.accept(wrong, lease: held, price: F.price, chainID: F.chainID) }
        #expect(p.channels[1]?.wallet.delivered == .zero, "nothing recorded")
        let cost = try p.accept(F.receipt(channel: 1, delivered: .zero, prompt: 100, completion: 50), lease: held, price: F.price,
                                chainID: F.chainID)
        #expect(cost == 200)
        p.release(held, voucherDelivered: true, now: 1)
        guard case let .leased(next) = p.lease(alice, needed: 500, now: 2) else { Issue.record("expected a lease"); return }
        #expect(next.voucher.cumulative == 200 && next.voucher.usage == [ModelUsage(modelID: 7, tokens: 150, requests: 1)])
    }

    /// A provider that refuses the voucher: short of deposit it is topped up and sent again; any other refusal leaves the
    /// channel (the provider and the wallet disagree about it) and the request goes again on another; after the retries,
    /// the next provider.
    @Test func aProviderThatRefusesTheVoucher() {
        var p = payer([F.wallet(1), F.wallet(2)])
        guard case let .leased(held) = p.lease(alice, needed: 300, now: 0) else { Issue.record("expected a lease"); return }
        #expect(p.next(after: .paymentRefused(.channelUnfunded), lease: held, needed: 300, paymentRetries: 0, now: 1)
                == .topUpAndResend(held, amount: 1_000))
        #expect(p.channels[held.channelID]?.busy == true, "the request keeps its channel for the top-up")
        _ = p.toppedUp(held, amount: 1_000)
        #expect(p.next(after: .paymentRefused(.voucherBelowDelivered), lease: held, needed: 300, paymentRetries: 1, now: 2)
                == .leaseAgainAndResend)
        #expect(p.channels[held.channelID]?.retired == true)
        guard case let .leased(other) = p.lease(alice, needed: 300, now: 3) else { Issue.record("expected another channel"); return }
        #expect(other.channelID != held.channelID)
        #expect(p.next(after: .paymentRefused(.channelBusy), lease: other, needed: 300, paymentRetries: 2, now: 4) == .failOver)
        #expect(p.channels[other.channelID]?.retired == true)
        // Both left: the upkeep hands nothing over (nothing was delivered) and closes them.
        let chores = p.upkeep(now: 5)
        #expect(chores.map(\.channelID) == [1, 2] && chores.allSatisfy { $0.close && $0.handOver == nil })
        for c in chores { p.closed(c.channelID); p.choreDone(c.channelID) }
        #expect(p.escrowed == 0 && p.channels.values.allSatisfy { $0.wallet.closing })
    }

    /// Before the first byte, a provider that does not answer or fails is left for the next one, and its channel is given
    /// back without counting the voucher as received; a refusal of the request itself goes back to the client.
    @Test(arguments: [(Payer.AttemptEnd.noAnswer, Payer.NextStep.failOver), (.providerFailed(status: 503), .failOver),
                      (.providerFailed(status: 404), .failOver), (.requestRefused(status: 400), .answerClient), (.answered, .relay)])
    func failoverBeforeTheFirstByte(end: Payer.AttemptEnd, expected: Payer.NextStep) throws {
        var p = payer([F.wallet(1, delivered: 200)])
        p.markHandedOver(200)
        guard case let .leased(held) = p.lease(alice, needed: 100, now: 0) else { Issue.record("expected a lease"); return }
        #expect(p.next(after: end, lease: held, needed: 100, paymentRetries: 0, now: 10) == expected)
        let c = try #require(p.channels[1])
        #expect(c.busy == (expected == .relay), "the channel is given back unless the answer is being relayed")
        #expect(!c.retired && c.handedOver == 200)
    }

    @Test func idleChannelsHandTheirLastVoucherOverAndLongIdleOnesClose() throws {
        var p = payer([F.wallet(1)])
        guard case let .leased(held) = p.lease(alice, needed: 500, now: 0) else { Issue.record("expected a lease"); return }
        _ = try p.accept(F.receipt(channel: 1, delivered: .zero, prompt: 10, completion: 0), lease: held, price: F.price, chainID: F.chainID)
        p.release(held, voucherDelivered: true, now: 1_000)
        #expect(p.upkeep(now: 2_999).isEmpty, "not idle for 2 s yet")
        let chores = p.upkeep(now: 3_000)
        #expect(chores == [Payer.Chore(channelID: 1, provider: alice, handOver: p.channels[1]!.wallet.voucher, close: false)])
        p.handedOver(1, cumulative: 10)
        p.choreDone(1)
        #expect(p.upkeep(now: 30_000).isEmpty, "handed over: nothing left to pay")
        #expect(p.upkeep(now: 61_000).map(\.close) == [true], "idle for a minute: closed")
    }

    @Test func atStartTheChainsChannelsOfThisClientAreAdoptedAndClosedOnesMarked() {
        var p = payer([F.wallet(1)])
        func view(_ id: UInt64, state: String, key: PrivateKey = F.client) -> ChannelView {
            ChannelView(id: id, client: F.client.publicKey.address, provider: F.alice.publicKey.address,
                        voucherKey: key.publicKey.rawRepresentation.hexString, deposit: 700, claimed: 50,
                        claimedPerModel: [ModelAmount(modelID: 7, amount: 50)], state: state, openedHeight: 1, settleHeight: 0)
        }
        let changed = p.recover([view(1, state: "closing"), view(2, state: "open"), view(3, state: "open", key: F.bob), view(4, state: "closed")],
                                client: F.client.publicKey.address, voucherKey: F.client.publicKey, now: 0)
        #expect(changed)
        #expect(p.channels[1]?.wallet.closing == true)
        #expect(p.channels[2]?.wallet.delivered == 50 && p.channels[2]?.wallet.deposit == 700)
        #expect(p.channels[3] == nil, "another key's channel is not ours to pay on")
        #expect(p.channels[4] == nil, "a closed channel is not adopted")
    }
}

extension Payer {
    /// Marks every channel's vouchers up to `cumulative` as received by its provider (as after earlier requests).
    mutating func markHandedOver(_ cumulative: Amount) {
        for id in channels.keys { handedOver(id, cumulative: cumulative) }
    }
}
