public import CairnPrimitives
public import CairnMarket
public import CairnClient
import Foundation
import Synchronization

/// The gateway's payment channels: one request at a time on each (as providers require), opened and topped up on the
/// chain as needed within a spending limit, settled when idle, closed when idle long or refused.
///
/// A request leases a free channel to its provider with enough deposit left for the request's highest cost, pays with
/// the channel's voucher (everything delivered before), and gives the channel back once its receipt is checked and
/// recorded, so the next voucher pays for it. A channel idle for `settleAfter` hands its provider the voucher for its
/// last request; one idle for `closeAfter`, or one a provider refuses, is closed (its unclaimed deposit returns after
/// the settle delay).
public actor ChannelDesk {
    public struct Policy: Sendable {
        /// The most the gateway escrows at once in channels it keeps open.
        public var spendLimit: Amount
        /// A new channel's deposit, and the amount of a top-up.
        public var deposit: Amount
        /// Channels per provider, so that concurrent requests to one provider do not wait for each other.
        public var channelsPerProvider: Int
        /// Idle time after which a channel's last voucher is handed over alone.
        public var settleAfter: Duration
        /// Idle time after which a channel is closed.
        public var closeAfter: Duration

        public init(spendLimit: Amount, deposit: Amount, channelsPerProvider: Int = 4, settleAfter: Duration = .seconds(2),
                    closeAfter: Duration = .seconds(3600)) {
            self.spendLimit = spendLimit
            self.deposit = deposit
            self.channelsPerProvider = channelsPerProvider
            self.settleAfter = settleAfter
            self.closeAfter = closeAfter
        }
    }

    /// A channel held by one request, with the voucher that request carries.
    public struct Lease: Sendable {
        public var channelID: UInt64
        public var provider: Address
        public var voucher: SignedVoucher
    }

    public let wallet: ChannelWallet
    public let policy: Policy
    let key: PrivateKey
    let chainID: String
    /// The wallet's channels as last returned by it: a request reads them and signs its voucher without waiting for the
    /// wallet, which may be writing another channel's receipt to disk.
    var cache: [UInt64: WalletChannel] = [:]
    let metrics: GatewayMetrics
    let chainLock = AsyncLock()
    var busy: Set<UInt64> = []
    /// Channels no longer used (refused by their provider, or closing): settled and closed in the background.
    var retired: Set<UInt64> = []
    var lastUsed: [UInt64: ContinuousClock.Instant] = [:]
    /// The cumulative of the last voucher each channel's provider received.
    var handedOver: [UInt64: Amount] = [:]
    /// Channels being opened, per provider.
    var opening: [Address: Int] = [:]
    /// Deposits being added (opens and top-ups under way), counted against the limit.
    var pendingDeposits: UInt128 = 0
    /// Wallet writes that failed (tried again at the next flush).
    public private(set) var failedFlushes = 0

    /// - Parameters: key and chainID: the wallet's, to sign vouchers.
    public init(wallet: ChannelWallet, key: PrivateKey, chainID: String, policy: Policy, metrics: GatewayMetrics) {
        self.wallet = wallet
        self.key = key
        self.chainID = chainID
        self.policy = policy
        self.metrics = metrics
    }

    /// Brings the wallet up to date with the chain at start: adopts open channels of this client it does not know,
    /// and marks the ones closed meanwhile.
    public func recover() async throws(ClientError) {
        let address = await wallet.client
        let onChain = try await wallet.node.get("/v1/market/channels?client=\(address.bech32)", as: ChannelList.self).channels
        let known = Set(await wallet.channels.map(\.id))
        for view in onChain where view.state == "open" && !known.contains(view.id) {
            _ = try? await wallet.adopt(view)
        }
        let states = Dictionary(onChain.map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
        for channel in await wallet.channels where !channel.closing {
            if states[channel.id] != "open" { _ = try await wallet.sync(channel.id) }
        }
        // The providers may not have the last vouchers of the channels kept: hand them over at the next idle pass.
        for channel in await wallet.channels {
            cache[channel.id] = channel
            guard !channel.closing else { continue }
            handedOver[channel.id] = .zero
            lastUsed[channel.id] = .now
        }
    }

    struct ChannelList: Decodable { var channels: [ChannelView] }

    /// The ucairn escrowed in channels kept open, and in deposits under way.
    func escrowed() -> UInt128 {
        cache.values.filter { !$0.closing && !retired.contains($0.id) }.reduce(pendingDeposits) { $0 &+ $1.available.value }
    }

    /// A free channel to `provider` with at least `needed` available, opened or topped up when there is none.
    ///
    /// - Throws: `LeaseError.spendLimit` when opening or topping up would pass the limit, `.busy` when every channel to
    ///   the provider stays busy until `deadline`, `.chain` when the chain refuses or cannot be reached.
    public func lease(_ provider: Address, needed: Amount, deadline: ContinuousClock.Instant) async throws(LeaseError) -> Lease {
        while true {
            let channels = cache.values.filter { $0.provider == provider && !$0.closing && !retired.contains($0.id) }
            // Decided without a suspension between reading `busy` and taking the channel.
            let free = channels.filter { !busy.contains($0.id) }
            if let best = free.max(by: { $0.available < $1.available }) {
                busy.insert(best.id)
                if best.available >= needed { return try issue(best.id, provider: provider) }
                do { return try await topUp(best.id, provider: provider, needed: needed) } catch {
                    busy.remove(best.id)
                    throw error
                }
            }
            if channels.count + opening[provider, default: 0] < policy.channelsPerProvider {
                return try await open(provider, needed: needed)
            }
            guard ContinuousClock.now < deadline else { throw .busy }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    func issue(_ id: UInt64, provider: Address) throws(LeaseError) -> Lease {
        let start = ContinuousClock.now
        guard let channel = cache[id] else {
            busy.remove(id)
            throw .chain("the wallet has no channel \(id)")
        }
        let voucher = channel.voucher.signed(by: key, chainID: chainID)
        metrics.payment(seconds: (ContinuousClock.now - start).seconds)
        return Lease(channelID: id, provider: provider, voucher: voucher)
    }

    func reserve(_ amount: Amount) throws(LeaseError) {
        let escrow = escrowed()
        guard escrow &+ amount.value <= policy.spendLimit.value else {
            throw .spendLimit("escrowing \(amount) more would pass the gateway's spending limit of \(policy.spendLimit) (\(Amount(escrow)) escrowed)")
        }
        pendingDeposits &+= amount.value
    }

    func open(_ provider: Address, needed: Amount) async throws(LeaseError) -> Lease {
        let amount = max(policy.deposit, needed)
        opening[provider, default: 0] += 1
        defer { opening[provider, default: 1] -= 1 }
        try reserve(amount)
        defer { pendingDeposits -= amount.value }
        let channel: WalletChannel
        do {
            await chainLock.acquire()
            defer { chainLock.releaseLock() }
            channel = try await wallet.open(to: provider, deposit: amount)
            cache[channel.id] = channel
        } catch {
            throw .chain("cannot open a channel to \(provider): \(error.description)")
        }
        metrics.channelOpened()
        busy.insert(channel.id)
        handedOver[channel.id] = .zero
        return try issue(channel.id, provider: provider)
    }

    func topUp(_ id: UInt64, provider: Address, needed: Amount) async throws(LeaseError) -> Lease {
        let amount = max(policy.deposit, needed)
        try reserve(amount)
        defer { pendingDeposits -= amount.value }
        do {
            await chainLock.acquire()
            defer { chainLock.releaseLock() }
            cache[id] = try await wallet.topUp(id, amount: amount)
        } catch {
            throw .chain("cannot top up channel \(id): \(error.description)")
        }
        return try issue(id, provider: provider)
    }

    /// Tops up a leased channel a provider found short (`channel_unfunded`) and gives a new voucher for it.
    public func topUp(_ lease: Lease, needed: Amount) async throws(LeaseError) -> Lease {
        try await topUp(lease.channelID, provider: lease.provider, needed: needed)
    }

    /// Checks and records the receipt of the request that held `lease`.
    /// - Returns: the receipt's cost when it was accepted.
    public func accept(_ receipt: SignedReceipt, lease: Lease, price: ModelPrice) async throws(ClientError) -> Amount {
        let start = ContinuousClock.now
        defer { metrics.payment(seconds: (ContinuousClock.now - start).seconds) }
        cache[lease.channelID] = try await wallet.accept(receipt, channel: lease.channelID, price: price, persist: false)
        return receipt.receipt.cost
    }

    /// Writes the receipts accepted since the last write to the wallet file, in one write (group commit: the
    /// requests do not each wait for the disk). A gateway that dies before it loses at most those receipts: its next
    /// vouchers on their channels are refused as below what was delivered, and those channels are left and closed.
    public func flush() async {
        do { try await wallet.flush() } catch { failedFlushes += 1 }
    }

    /// Gives a channel back after its request (its voucher reached the provider when `delivered` is true).
    public func release(_ lease: Lease, voucherDelivered: Bool) {
        busy.remove(lease.channelID)
        lastUsed[lease.channelID] = .now
        if voucherDelivered { handedOver[lease.channelID] = max(handedOver[lease.channelID] ?? .zero, lease.voucher.voucher.cumulative) }
    }

    /// Stops using a channel its provider refused (or lost track of): it is settled and closed in the background.
    public func retire(_ lease: Lease) {
        busy.remove(lease.channelID)
        retired.insert(lease.channelID)
    }

    /// One pass of upkeep: hands over the vouchers of idle channels, closes long-idle and retired ones.
    /// - Parameter endpoint: a provider's listed endpoint.
    public func upkeep(endpoint: (Address) -> String?) async {
        let now = ContinuousClock.now
        for channel in cache.values.sorted(by: { $0.id < $1.id }) where !channel.closing && !busy.contains(channel.id) {
            // A channel first seen now (adopted, or opened by a request still under way) counts as just used.
            let idle = now - (lastUsed[channel.id] ?? now)
            if lastUsed[channel.id] == nil { lastUsed[channel.id] = now }
            let retiring = retired.contains(channel.id) || idle >= policy.closeAfter
            let unpaid = (handedOver[channel.id] ?? .zero) < channel.delivered
            guard unpaid && (idle >= policy.settleAfter || retiring) || retiring else { continue }
            busy.insert(channel.id)
            defer { busy.remove(channel.id) }
            if unpaid, let url = endpoint(channel.provider), let client = try? ProviderClient(url: url, timeout: 10),
               let voucher = cache[channel.id].map({ $0.voucher.signed(by: key, chainID: chainID) }) {
                do {
                    try await client.settle(voucher)
                    handedOver[channel.id] = voucher.voucher.cumulative
                } catch {
                    // Tried again at the next pass; a channel being closed is closed anyway.
                }
            }
            if retiring {
                do {
                    await chainLock.acquire()
                    defer { chainLock.releaseLock() }
                    try await wallet.close(channel.id)
                    cache[channel.id]?.closing = true
                    retired.remove(channel.id)
                } catch {
                    // The chain may already show it closing: read it back.
                    if let synced = try? await wallet.sync(channel.id) { cache[channel.id] = synced }
                }
            }
        }
    }

    /// Why a channel could not be leased.
    public enum LeaseError: Error, Sendable {
        case spendLimit(String)
        case busy
        case chain(String)
    }
}

/// A first-in first-out lock for async work (transactions from one key must not interleave: each reads its nonce).
final class AsyncLock: Sendable {
    let waiters = Mutex<(locked: Bool, queue: [CheckedContinuation<Void, Never>])>((false, []))

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let granted = waiters.withLock { w -> Bool in
                if w.locked { w.queue.append(c); return false }
                w.locked = true
                return true
            }
            if granted { c.resume() }
        }
    }

    func releaseLock() {
        let next = waiters.withLock { w -> CheckedContinuation<Void, Never>? in
            if w.queue.isEmpty { w.locked = false; return nil }
            return w.queue.removeFirst()
        }
        next?.resume()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
