import Testing
import Foundation
import Synchronization
import CairnPrimitives
import CairnMarket
import CairnClient
import CairnWire
import CairnTestSupport
@testable import CairnGateway

/// The chain as a fake: channels opened, topped up and closed in memory, each transaction taking a moment.
actor FakePaymentChain: PaymentChain {
    let client: Address
    var views: [UInt64: ChannelView] = [:]
    var opened: [Address] = []
    var toppedUp: [UInt64] = []
    var closed: [UInt64] = []
    var refuseOpens = false

    init(client: Address) { self.client = client }

    func open(to provider: Address, deposit: Amount) async throws(ClientError) -> UInt64 {
        try? await Task.sleep(for: .milliseconds(5))
        guard !refuseOpens else { throw ClientError("insufficient funds", code: "bank/1") }
        let id = UInt64(views.count + 1)
        views[id] = ChannelView(id: id, client: client, provider: provider,
                                voucherKey: PaymentFixture.client.publicKey.rawRepresentation.hexString, deposit: deposit,
                                claimed: .zero, claimedPerModel: [], state: "open", openedHeight: 1, settleHeight: 0)
        opened.append(provider)
        return id
    }

    func topUp(_ id: UInt64, amount: Amount) async throws(ClientError) {
        try? await Task.sleep(for: .milliseconds(5))
        guard let view = views[id] else { throw ClientError("no channel \(id)") }
        views[id]?.deposit = view.deposit.adding(amount)!
        toppedUp.append(id)
    }

    func close(_ id: UInt64) async throws(ClientError) {
        views[id]?.state = "closing"
        closed.append(id)
    }

    func channels() async throws(ClientError) -> [ChannelView] { views.values.sorted { $0.id < $1.id } }

    func channel(_ id: UInt64) async throws(ClientError) -> ChannelView {
        guard let view = views[id] else { throw ClientError("no channel \(id)") }
        return view
    }

    func setRefuseOpens(_ value: Bool) { refuseOpens = value }
}

/// A courier that keeps the vouchers handed to it.
final class FakeCourier: VoucherCourier {
    let handed = Mutex<[SignedVoucher]>([])

    func handOver(_ voucher: SignedVoucher, endpoint: String) async throws {
        handed.withLock { $0.append(voucher) }
    }
}

/// The channel desk driving the payer against a fake chain, a fake courier, a manual clock and a real wallet file.
@Suite struct ChannelDeskTests {
    typealias F = PaymentFixture
    let directory: TemporaryDirectory
    let chain = FakePaymentChain(client: F.client.publicKey.address)
    let courier = FakeCourier()
    let clock = ManualClock(start: 0)
    var alice: Address { F.alice.publicKey.address }

    init() throws { directory = try TemporaryDirectory() }

    func desk(_ policy: Payer.Policy = F.policy) throws -> ChannelDesk {
        try ChannelDesk(chain: chain, courier: courier, store: WalletStore(path: directory.path("wallet.json")), key: F.client,
                        chainID: F.chainID, policy: policy, metrics: GatewayMetrics(), clock: clock)
    }

    var soon: ContinuousClock.Instant { .now + .seconds(10) }

    /// Sixteen requests at once to one provider allowed four channels: four channels are opened, no channel is ever held
    /// by two requests, and every request gets one.
    @Test func leasingUnderConcurrency() async throws {
        let desk = try desk(Payer.Policy(spendLimit: 1_000_000, deposit: 1_000, channelsPerProvider: 4))
        /// The channels held right now, and how often one was taken while held.
        final class Holdings: Sendable {
            let state = Mutex<(held: Set<UInt64>, overlaps: Int)>(([], 0))
            func take(_ id: UInt64) { state.withLock { if !$0.held.insert(id).inserted { $0.overlaps += 1 } } }
            func give(_ id: UInt64) { _ = state.withLock { $0.held.remove(id) } }
            var overlaps: Int { state.withLock { $0.overlaps } }
        }
        let holdings = Holdings()
        let alice = self.alice
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let lease = try await desk.lease(alice, needed: 100, deadline: .now + .seconds(30))
                    holdings.take(lease.channelID)
                    #expect(lease.voucher.isSigned(by: F.client.publicKey, chainID: F.chainID))
                    try await Task.sleep(for: .milliseconds(3))
                    holdings.give(lease.channelID)
                    await desk.release(lease, voucherDelivered: true)
                }
            }
            try await group.waitForAll()
        }
        #expect(holdings.overlaps == 0, "a channel was held by two requests at once")
        #expect(await chain.opened.count == 4)
        #expect(await desk.channels.values.allSatisfy { !$0.busy })
    }

    @Test func theSpendingLimitIsAnErrorWhenNoChannelCanComeFree() async throws {
        let desk = try desk(Payer.Policy(spendLimit: 1_500, deposit: 1_000, channelsPerProvider: 2))
        let first = try await desk.lease(alice, needed: 100, deadline: soon)
        await #expect(throws: ChannelDesk.LeaseError.self) { _ = try await desk.lease(F.bob.publicKey.address, needed: 100, deadline: soon) }
        // Alice's channel is busy and a second would pass the limit: the next request to alice waits for it.
        let alice = self.alice
        let waiting = Task { try await desk.lease(alice, needed: 100, deadline: .now + .seconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        await desk.release(first, voucherDelivered: true)
        let second = try await waiting.value
        #expect(second.channelID == first.channelID)
        #expect(await chain.opened.count == 1)
    }

    @Test func aChannelStillBusyAtTheDeadlineIsAFailureOfThatProviderOnly() async throws {
        let desk = try desk(Payer.Policy(spendLimit: 10_000, deposit: 1_000, channelsPerProvider: 1))
        _ = try await desk.lease(alice, needed: 100, deadline: soon)
        let error = await #expect(throws: ChannelDesk.LeaseError.self) {
            _ = try await desk.lease(self.alice, needed: 100, deadline: .now + .milliseconds(100))
        }
        #expect(error == .busy)
    }

    @Test func aProviderShortOfDepositIsToppedUpAndAnotherRefusalMovesToAnotherChannel() async throws {
        let desk = try desk()
        let lease = try await desk.lease(alice, needed: 100, deadline: soon)
        guard case let .resend(toppedUp) = await desk.next(after: .paymentRefused(.channelUnfunded), lease: lease, needed: 100,
                                                           paymentRetries: 0, deadline: soon) else {
            Issue.record("expected the request to be sent again")
            return
        }
        #expect(toppedUp.channelID == lease.channelID)
        #expect(await chain.toppedUp == [lease.channelID])
        #expect(await desk.channels[lease.channelID]?.wallet.deposit == 2_000)
        guard case let .resend(other) = await desk.next(after: .paymentRefused(.voucherWrongKey), lease: toppedUp, needed: 100,
                                                        paymentRetries: 1, deadline: soon) else {
            Issue.record("expected the request to be sent again on another channel")
            return
        }
        #expect(other.channelID != lease.channelID)
        #expect(await chain.opened.count == 2)
        #expect(await desk.channels[lease.channelID]?.retired == true)
        guard case .failOver = await desk.next(after: .paymentRefused(.voucherWrongKey), lease: other, needed: 100, paymentRetries: 2,
                                               deadline: soon) else {
            Issue.record("expected a failover after the retries")
            return
        }
    }

    @Test func failoverBeforeTheFirstByteGivesTheChannelBackForTheNextRequest() async throws {
        let desk = try desk()
        let lease = try await desk.lease(alice, needed: 100, deadline: soon)
        guard case let .failOver(why) = await desk.next(after: .noAnswer, lease: lease, needed: 100, paymentRetries: 0, deadline: soon) else {
            Issue.record("expected a failover")
            return
        }
        #expect(why == "no answer")
        let next = try await desk.lease(alice, needed: 100, deadline: soon)
        #expect(next.channelID == lease.channelID)
        #expect(await chain.opened.count == 1)
    }

    @Test func aChainThatRefusesToOpenIsAFailureAndReservesNothing() async throws {
        let desk = try desk()
        await chain.setRefuseOpens(true)
        let error = await #expect(throws: ChannelDesk.LeaseError.self) { _ = try await desk.lease(self.alice, needed: 100, deadline: self.soon) }
        guard case .chain = error else { Issue.record("expected a chain error, got \(String(describing: error))"); return }
        await chain.setRefuseOpens(false)
        _ = try await desk.lease(alice, needed: 100, deadline: soon)
    }

    /// Receipts are written in one batch; idle channels hand their last voucher over after two seconds and close after a
    /// minute; a desk opened again on the file carries on from what was written.
    @Test func receiptsAreWrittenAndIdleChannelsAreSettledAndClosed() async throws {
        let desk = try desk()
        let lease = try await desk.lease(alice, needed: 500, deadline: soon)
        let receipt = F.receipt(channel: lease.channelID, delivered: .zero, prompt: 100, completion: 50)
        #expect(try await desk.accept(receipt, lease: lease, price: F.price) == 200)
        await desk.flush()
        let reopened = try self.desk()
        #expect(await reopened.channels[lease.channelID]?.wallet.delivered == 200)

        clock.advance(by: 1_999)
        await desk.upkeep { _ in "http://provider.invalid" }
        #expect(courier.handed.withLock { $0.isEmpty })
        clock.advance(by: 1)
        await desk.upkeep { _ in "http://provider.invalid" }
        let handed = courier.handed.withLock { $0 }
        #expect(handed.map(\.voucher.cumulative) == [200])
        #expect(handed.first?.isSigned(by: F.client.publicKey, chainID: F.chainID) == true)
        clock.advance(by: 60_000)
        await desk.upkeep { _ in "http://provider.invalid" }
        #expect(await chain.closed == [lease.channelID])
        #expect(await desk.channels[lease.channelID]?.wallet.closing == true)
        #expect(courier.handed.withLock { $0.count } == 1, "nothing more to hand over")
    }

    @Test func aWrongReceiptRetiresTheChannel() async throws {
        let desk = try desk()
        let lease = try await desk.lease(alice, needed: 500, deadline: soon)
        let forged = F.receipt(channel: lease.channelID, delivered: .zero, prompt: 100, completion: 50, cost: 1)
        await #expect(throws: ClientError.self) { _ = try await desk.accept(forged, lease: lease, price: F.price) }
        #expect(await desk.channels[lease.channelID]?.retired == true)
        let next = try await desk.lease(alice, needed: 500, deadline: soon)
        #expect(next.channelID != lease.channelID)
    }
}
