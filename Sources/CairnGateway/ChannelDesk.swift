public import CairnPrimitives
public import CairnMarket
public import CairnClient
public import CairnWire
import Foundation

/// The chain as the gateway's payments use it: the client's channel transactions and reads.
public protocol PaymentChain: Sendable {
    /// Opens a channel to `provider` escrowing `deposit`, with the client's key as the voucher key; returns its id.
    func open(to provider: Address, deposit: Amount) async throws(ClientError) -> UInt64
    func topUp(_ id: UInt64, amount: Amount) async throws(ClientError)
    func close(_ id: UInt64) async throws(ClientError)
    /// The client's channels as the chain shows them.
    func channels() async throws(ClientError) -> [ChannelView]
    func channel(_ id: UInt64) async throws(ClientError) -> ChannelView
}

extension ChannelTransactions: PaymentChain {}

/// Hands a provider a voucher alone: how the gateway pays for the last request on a channel that stays idle.
public protocol VoucherCourier: Sendable {
    func handOver(_ voucher: SignedVoucher, endpoint: String) async throws
}

/// Hands vouchers over with `POST /v1/cairn/vouchers` on the provider's endpoint.
public struct ProviderCourier: VoucherCourier {
    public init() {}

    public func handOver(_ voucher: SignedVoucher, endpoint: String) async throws {
        try await ProviderClient(url: endpoint, timeout: 10).settle(voucher)
    }
}

/// The one owner of the gateway's payment channels: it drives the `Payer` state machine, performing what it asks for
/// (opening and topping up channels on the chain, signing vouchers, checking receipts, handing vouchers over, closing
/// channels), and keeps the wallet file. Time comes from an injected clock.
///
/// Receipts accepted are written to the wallet file in batches (`flush`, every 50 ms): a gateway that dies before
/// loses at most those, after which its next vouchers on their channels are refused as below what was delivered and
/// those channels are left and closed. Opens and top-ups are written at once.
public actor ChannelDesk {
    public typealias Policy = Payer.Policy

    /// A channel held by one request, with the signed voucher that request carries.
    public struct Lease: Sendable {
        public let held: Payer.Lease
        public let voucher: SignedVoucher
        public var channelID: UInt64 { held.channelID }
        public var provider: Address { held.provider }
    }

    /// Why no channel could be leased.
    public enum LeaseError: Error, Sendable, Equatable {
        /// Paying would pass the spending limit.
        case spendLimit(String)
        /// Every channel to the provider stayed busy until the deadline.
        case busy
        /// The chain refused a transaction or could not be reached.
        case chain(String)
    }

    /// What the request does after an attempt (see `Payer.next(after:lease:needed:paymentRetries:now:)`).
    public enum Next: Sendable {
        /// Send again to the same provider with this lease (topped up, or another channel).
        case resend(Lease)
        /// Give up on this provider, saying why.
        case failOver(String)
        /// Pass the provider's answer to the client.
        case answerClient
        /// Relay the answer; `accept` or `retire` ends the lease.
        case relay
        /// Paying would pass the spending limit.
        case overLimit(String)
    }

    var payer: Payer
    let chain: any PaymentChain
    let courier: any VoucherCourier
    let writer: WalletWriter
    let clock: any MillisecondClock
    let key: PrivateKey
    let chainID: String
    let metrics: GatewayMetrics
    /// Whether receipts were accepted since the wallet file was last written.
    var unsaved = false
    /// Snapshots of the wallet taken for writing, numbered in the order taken.
    var snapshots = 0
    /// Requests waiting for a channel to be given back.
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextWaiter: UInt64 = 0
    /// Wallet writes that failed (tried again at the next flush).
    public private(set) var failedFlushes = 0

    /// Opens the desk with the channels of the wallet file at `store` (refusing a file of another client or chain).
    public init(chain: any PaymentChain, courier: any VoucherCourier = ProviderCourier(), store: WalletStore, key: PrivateKey,
                chainID: String, policy: Policy, metrics: GatewayMetrics, clock: any MillisecondClock = MonotonicClock()) throws(ClientError) {
        let file = try store.load()
        try file?.check(client: key.publicKey.address, chainID: chainID, path: store.path)
        payer = Payer(policy: policy, channels: file?.channels ?? [], now: clock.now)
        self.chain = chain
        self.courier = courier
        writer = WalletWriter(store: store)
        self.clock = clock
        self.key = key
        self.chainID = chainID
        self.metrics = metrics
    }

    public var policy: Policy { payer.policy }

    /// Every channel as the payer holds it, by id.
    public var channels: [UInt64: Payer.Channel] { payer.channels }

    /// Brings the wallet up to date with the chain at start: adopts this client's open channels it does not know and
    /// marks the ones closed meanwhile.
    public func recover() async throws(ClientError) {
        let onChain = try await chain.channels()
        if payer.recover(onChain, client: key.publicKey.address, voucherKey: key.publicKey, now: clock.now) { try await save() }
    }

    // MARK: Leasing

    /// A channel to `provider` with at least `needed` left, opened or topped up when there is none.
    ///
    /// - Throws: `.spendLimit` when opening or topping up would pass the limit, `.busy` when every channel to the
    ///   provider stays busy until `deadline`, `.chain` when the chain refuses or cannot be reached.
    public func lease(_ provider: Address, needed: Amount, deadline: ContinuousClock.Instant) async throws(LeaseError) -> Lease {
        while true {
            switch payer.lease(provider, needed: needed, now: clock.now) {
            case let .leased(held):
                return sign(held)
            case let .topUp(held, amount):
                return try await topUp(held, amount: amount)
            case let .open(provider, amount):
                let id: UInt64
                do { id = try await chain.open(to: provider, deposit: amount) } catch {
                    payer.openFailed(provider: provider, amount: amount)
                    wakeWaiters()
                    throw .chain("cannot open a channel to \(provider): \(error.description)")
                }
                let held = payer.opened(WalletChannel(id: id, provider: provider, deposit: amount, delivered: .zero, perModel: [],
                                                      closing: false, receipts: 0), amount: amount, now: clock.now)
                metrics.channelOpened()
                try? await save()
                return sign(held)
            case .wait:
                guard await waitForRelease(until: deadline) else { throw .busy }
            case let .overLimit(why):
                throw .spendLimit(why)
            }
        }
    }

    /// `provider` says it runs `capacity` requests at once: requests waiting for one of its channels may open more.
    public func learned(capacity: Int, of provider: Address) {
        if payer.learned(capacity: capacity, of: provider) { wakeWaiters() }
    }

    func topUp(_ held: Payer.Lease, amount: Amount) async throws(LeaseError) -> Lease {
        do { try await chain.topUp(held.channelID, amount: amount) } catch {
            payer.topUpFailed(held, amount: amount, now: clock.now)
            wakeWaiters()
            throw .chain("cannot top up channel \(held.channelID): \(error.description)")
        }
        let lease = payer.toppedUp(held, amount: amount)
        try? await save()
        return sign(lease)
    }

    func sign(_ held: Payer.Lease) -> Lease {
        let start = ContinuousClock.now
        let voucher = held.voucher.signed(by: key, chainID: chainID)
        metrics.payment(seconds: (ContinuousClock.now - start).seconds)
        return Lease(held: held, voucher: voucher)
    }

    /// Waits until a channel is given back or `deadline` passes; false when it passed.
    func waitForRelease(until deadline: ContinuousClock.Instant) async -> Bool {
        guard ContinuousClock.now < deadline else { return false }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.wake(id)
        }
        await withCheckedContinuation { waiters[id] = $0 }
        timer.cancel()
        return ContinuousClock.now < deadline
    }

    func wake(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume()
    }

    func wakeWaiters() {
        let all = waiters
        waiters = [:]
        for c in all.values { c.resume() }
    }

    // MARK: After an attempt

    /// Decides and carries out what the request does after an attempt at `lease`'s provider.
    public func next(after end: Payer.AttemptEnd, lease: Lease, needed: Amount, paymentRetries: Int,
                     deadline: ContinuousClock.Instant) async -> Next {
        let step = payer.next(after: end, lease: lease.held, needed: needed, paymentRetries: paymentRetries, now: clock.now)
        switch step {
        case .relay: return .relay
        case .answerClient:
            wakeWaiters()
            return .answerClient
        case .failOver:
            wakeWaiters()
            return .failOver(Self.describe(end))
        case let .overLimit(why):
            wakeWaiters()
            return .overLimit(why)
        case let .topUpAndResend(held, amount):
            do { return .resend(try await topUp(held, amount: amount)) } catch {
                return .failOver("payment could not be arranged: \(error)")
            }
        case .leaseAgainAndResend:
            wakeWaiters()
            do { return .resend(try await self.lease(lease.provider, needed: needed, deadline: deadline)) } catch {
                if case let .spendLimit(why) = error { return .overLimit(why) }
                return .failOver("payment could not be arranged: \(error)")
            }
        }
    }

    static func describe(_ end: Payer.AttemptEnd) -> String {
        switch end {
        case .noAnswer: "no answer"
        case let .providerFailed(status): "HTTP \(status)"
        case let .paymentRefused(code): "refused payment (\(code?.rawValue ?? "no code"))"
        case let .requestRefused(status): "refused the request (HTTP \(status))"
        case .answered: "answered"
        }
    }

    /// Checks and records the receipt of the request that held `lease`, and gives the channel back.
    /// - Returns: the receipt's cost.
    /// - Throws: the mismatch; the channel is then retired (closed by the upkeep).
    public func accept(_ receipt: SignedReceipt, lease: Lease, price: ModelPrice) throws(ClientError) -> Amount {
        let start = ContinuousClock.now
        defer { metrics.payment(seconds: (ContinuousClock.now - start).seconds) }
        let cost: Amount
        do { cost = try payer.accept(receipt, lease: lease.held, price: price, chainID: chainID) } catch {
            retire(lease)
            throw error
        }
        unsaved = true
        release(lease, voucherDelivered: true)
        return cost
    }

    /// Gives a channel back after its request (`voucherDelivered` when the provider received its voucher).
    public func release(_ lease: Lease, voucherDelivered: Bool) {
        payer.release(lease.held, voucherDelivered: voucherDelivered, now: clock.now)
        wakeWaiters()
    }

    /// Stops using a channel its provider refused (or lost track of): it is handed over and closed by the upkeep.
    public func retire(_ lease: Lease) {
        payer.retire(lease.held)
        wakeWaiters()
    }

    // MARK: Upkeep and the wallet file

    /// One pass of upkeep: hands over the vouchers of idle channels, closes long-idle and retired ones.
    /// - Parameter endpoint: a provider's listed endpoint.
    public func upkeep(endpoint: (Address) -> String?) async {
        for chore in payer.upkeep(now: clock.now) {
            if let voucher = chore.handOver, let url = endpoint(chore.provider) {
                do {
                    try await courier.handOver(voucher.signed(by: key, chainID: chainID), endpoint: url)
                    payer.handedOver(chore.channelID, cumulative: voucher.cumulative)
                } catch {
                    // Tried again at the next pass; a channel being closed is closed anyway.
                }
            }
            if chore.close {
                do {
                    try await chain.close(chore.channelID)
                    payer.closed(chore.channelID)
                } catch {
                    // The chain may already show it closing: read it back.
                    if let view = try? await chain.channel(chore.channelID) { payer.synced(view) }
                }
                try? await save()
            }
            payer.choreDone(chore.channelID)
        }
        wakeWaiters()
    }

    /// Writes the receipts accepted since the last write to the wallet file, in one write (group commit: requests do
    /// not each wait for the disk).
    public func flush() async {
        guard unsaved else { return }
        do { try await save() } catch { failedFlushes += 1 }
    }

    /// Writes the wallet file now (off this actor: requests go on meanwhile).
    func save() async throws(ClientError) {
        unsaved = false
        let file = WalletFile(chainID: chainID, client: key.publicKey.address, channels: payer.walletChannels)
        snapshots += 1
        do { try await writer.write(file, number: snapshots) } catch {
            unsaved = true
            throw error
        }
    }
}

/// Writes the wallet file off the desk's actor, skipping a snapshot older than one already written.
actor WalletWriter {
    let store: WalletStore
    /// The number of the last snapshot written.
    var written = 0

    init(store: WalletStore) { self.store = store }

    /// Writes snapshot `number` unless a later one is already on disk.
    func write(_ file: WalletFile, number: Int) throws(ClientError) {
        guard number > written else { return }
        try store.save(file)
        written = number
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
