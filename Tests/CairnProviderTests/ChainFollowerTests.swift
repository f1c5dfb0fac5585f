import Testing
import Foundation
import Logging
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire
import CairnTestSupport

/// The provider's view of its channels follows the chain, its claims reach it, and its records survive a restart.
@Suite struct ChainFollowerTests {
    typealias H = ProviderHarness

    /// Polls `condition` for up to five seconds.
    static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<100 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func marketEventsRefreshTheChannelsServed() async throws {
        try await H.with { h in
            let served = try await h.request("/v1/chat/completions", body: H.chat("hi"), voucher: h.voucher(after: nil))
            #expect(served.status == 200)
            let follower = ChainFollower(chain: h.chain, desk: h.desk, logger: H.logger, initialBackoff: .milliseconds(20))
            let task = Task { try await follower.run() }
            defer { task.cancel() }
            #expect(await Self.eventually { h.chain.subscriberCount == 1 })

            h.chain.update(1) { $0.deposit = 5_000 }
            h.chain.commit([1])
            #expect(await Self.eventually { await h.desk.chainView(1)?.deposit == 5_000 })

            // A dropped stream is reconnected and every channel re-read, so a change made meanwhile is seen.
            h.chain.dropConnections()
            h.chain.update(1) { $0.state = "closing"; $0.settleHeight = 40 }
            #expect(await Self.eventually { h.chain.subscriberCount == 1 })
            h.chain.commit()
            #expect(await Self.eventually { await h.desk.chainView(1)?.state == .closing })
            #expect(await h.desk.chainView(1)?.settleHeight == 40)

            let refused = try await h.request("/v1/chat/completions", body: H.chat("again"), voucher: h.voucher(after: served.receipt))
            #expect(refused.status == 402)
            #expect(refused.errorCode == "channel_closing")
        }
    }

    @Test func theClaimerClaimsPastTheThresholdAndNeverTwice() async throws {
        try await H.with { h in
            var receipt: SignedReceipt?
            for _ in 0..<3 {
                let reply = try await h.request("/v1/chat/completions", body: H.chat("pay me"), voucher: h.voucher(after: receipt))
                #expect(reply.status == 200)
                receipt = reply.receipt
            }
            // 3 requests of 2 + 4*2 = 10: 30 delivered; the last voucher the provider holds covers 20.
            let policy = ClaimPolicy(threshold: 15, intervalMilliseconds: 3_600_000)
            let claimer = Claimer(chain: h.chain, desk: h.desk, policy: policy, now: { 0 }, logger: H.logger)
            #expect(await claimer.claimDue() == 1)
            #expect(h.chain.claims.map(\.voucher.cumulative) == [20])
            #expect(h.chain.view(1)?.claimed == 20)
            #expect(await claimer.claimDue() == 0)
            #expect(h.chain.claims.count == 1)
        }
    }

    @Test func aClosingChannelIsClaimedBeforeItsSettleHeight() async throws {
        try await H.with { h in
            let first = try await h.request("/v1/chat/completions", body: H.chat("one"), voucher: h.voucher(after: nil))
            _ = try await h.request("/v1/chat/completions", body: H.chat("two"), voucher: h.voucher(after: first.receipt))
            let policy = ClaimPolicy(threshold: 1_000_000, intervalMilliseconds: 3_600_000)
            let claimer = Claimer(chain: h.chain, desk: h.desk, policy: policy, now: { 0 }, logger: H.logger)
            h.chain.setHeight(5)
            #expect(await claimer.claimDue() == 0, "open and below the threshold")
            h.chain.update(1) { $0.state = "closing"; $0.settleHeight = 12 }
            await h.desk.refresh(1)
            #expect(await claimer.claimDue() == 1, "closing: claimed at once")
            #expect(h.chain.claims.first?.voucher.cumulative == first.receipt?.receipt.cumulative)
        }
    }

    @Test func aRestartedProviderKeepsWhatWasDeliveredAndTheVoucher() async throws {
        try await H.with { h in
            let first = try await h.request("/v1/chat/completions", body: H.chat("one"), voucher: h.voucher(after: nil))
            let second = try await h.request("/v1/chat/completions", body: H.chat("two"), voucher: h.voucher(after: first.receipt))
            let delivered = try #require(second.receipt?.receipt.cumulative)
            // A new desk on the same store, as after a crash.
            let store = try VoucherStore(path: VoucherStore.path(home: h.home.url.path))
            let restarted = try PaymentDesk(store: store, chain: h.chain, key: H.providerKey, logger: H.logger)
            #expect(await restarted.record(1)?.delivered == delivered)
            #expect(await restarted.record(1)?.voucher == h.voucher(after: first.receipt))
            let stale = try await restarted.authorize(voucherHeader: h.voucher(after: first.receipt).headerValue, channelHeader: "1",
                                                      modelID: 7, maxCost: 1)
            #expect(stale.failureCode == .voucherBelowDelivered)
            let claimer = Claimer(chain: h.chain, desk: restarted, policy: ClaimPolicy(threshold: 1), now: { 0 }, logger: H.logger)
            #expect(await claimer.claimDue() == 1)
            #expect(h.chain.view(1)?.claimed == first.receipt?.receipt.cumulative)
        }
    }
}
