public import CairnPrimitives
public import CairnMarket
public import CairnClient
public import CairnWire

/// The gateway's side of the payment protocol as a pure state machine: no I/O, no clock, no keys.
///
/// It holds every channel the gateway pays through and decides, for each request: which channel it leases (requests on
/// one channel go one at a time, as providers require), when a channel must first be opened or topped up (within the
/// spending limit), what the request's voucher pays (everything delivered on the channel before it), how its receipt
/// changes the channel, and what to do when a provider fails or refuses the payment before the first byte: top up and
/// send again, send again on another channel, or fail over to the next provider. Idle channels hand their last voucher
/// over; long-idle and refused ones are closed.
///
/// The driver (``ChannelDesk``) performs what it asks for (chain transactions, signatures, the wallet file, the
/// hand-overs) and reports back. Times are milliseconds of the driver's clock.
public struct Payer: Sendable {
    public struct Policy: Sendable, Equatable {
        /// The most the gateway escrows at once in channels it keeps open.
        public var spendLimit: Amount
        /// A new channel's deposit, and the amount of a top-up.
        public var deposit: Amount
        /// Channels per provider, so that concurrent requests to one provider do not wait for each other; a provider
        /// that announces it runs more requests at once gets as many (up to ``Payer/maxChannelsPerProvider``).
        public var channelsPerProvider: Int
        /// Idle time after which a channel's last voucher is handed over alone.
        public var settleAfter: Duration
        /// Idle time after which a channel is closed.
        public var closeAfter: Duration
        /// Times a request is sent again on one provider after a payment refusal before failing over.
        public var paymentRetries: Int

        public init(spendLimit: Amount, deposit: Amount, channelsPerProvider: Int = 4, settleAfter: Duration = .seconds(2),
                    closeAfter: Duration = .seconds(3600), paymentRetries: Int = 2) {
            self.spendLimit = spendLimit
            self.deposit = deposit
            self.channelsPerProvider = channelsPerProvider
            self.settleAfter = settleAfter
            self.closeAfter = closeAfter
            self.paymentRetries = paymentRetries
        }
    }

    /// One channel: the wallet's record of it, and what the gateway is doing with it.
    public struct Channel: Sendable, Equatable {
        public var wallet: WalletChannel
        /// Held by a request (or by a hand-over or close under way).
        public var busy = false
        /// No longer used (its provider refused it or lost track of it): handed over and closed by the upkeep.
        public var retired = false
        /// When it was last given back.
        public var lastUsed: UInt64
        /// The cumulative of the last voucher its provider received.
        public var handedOver: Amount

        /// Whether a request may use it (busy or not).
        var usable: Bool { !wallet.closing && !retired }
    }

    /// A channel held by one request, with the voucher that request carries (unsigned; the driver signs it).
    public struct Lease: Sendable, Equatable {
        public var channelID: UInt64
        public var provider: Address
        public var voucher: Voucher
    }

    /// What a request must do to get a channel.
    public enum LeaseStep: Sendable, Equatable {
        /// A free channel with enough deposit, now held by the request.
        case leased(Lease)
        /// The request holds a free channel that is short: top it up by `amount` (reserved), then report `toppedUp`.
        case topUp(Lease, amount: Amount)
        /// No free channel and room for another: open one with `amount` (reserved), then report `opened`.
        case open(provider: Address, amount: Amount)
        /// Every channel to the provider is busy: wait for one to be given back.
        case wait
        /// Paying would pass the spending limit.
        case overLimit(String)
    }

    /// How one attempt at a provider ended, before any byte of it reached the client.
    public enum AttemptEnd: Sendable, Equatable {
        /// No answer: the connection failed or timed out before the status line.
        case noAnswer
        /// The provider failed (5xx) or does not serve the route (404).
        case providerFailed(status: Int)
        /// The provider refused the payment (402, or 429 while it still serves the channel's last request).
        case paymentRefused(PaymentRejection.Code?)
        /// The provider refused the request itself (another 4xx): the client's own mistake.
        case requestRefused(status: Int)
        /// HTTP 200: the answer goes to the client, and the lease ends with its receipt.
        case answered
    }

    /// What the request does next after an attempt.
    public enum NextStep: Sendable, Equatable {
        /// Top up the leased channel by `amount` (reserved), report `toppedUp`, and send again.
        case topUpAndResend(Lease, amount: Amount)
        /// The channel was left: lease another to the same provider and send again.
        case leaseAgainAndResend
        /// Give up on this provider; the next may be tried.
        case failOver
        /// Pass the provider's answer (a refusal of the request) to the client.
        case answerClient
        /// Relay the answer; `accept` or `retire` ends the lease once its receipt is in.
        case relay
        /// Paying would pass the spending limit.
        case overLimit(String)
    }

    /// Work the upkeep asks for on one idle channel (held until `choreDone`).
    public struct Chore: Sendable, Equatable {
        public var channelID: UInt64
        public var provider: Address
        /// The voucher to hand the provider alone (nil when it has everything delivered).
        public var handOver: Voucher?
        /// Whether to close the channel afterwards.
        public var close: Bool
    }

    public let policy: Policy
    public private(set) var channels: [UInt64: Channel] = [:]
    /// Channels being opened, per provider.
    var opening: [Address: Int] = [:]
    /// Deposits being added (opens and top-ups under way), counted against the limit.
    var pending: UInt128 = 0
    /// The requests each provider says it runs at once (`X-Cairn-Capacity`).
    public private(set) var capacities: [Address: Int] = [:]

    /// The most channels to one provider, whatever it announces.
    public static let maxChannelsPerProvider = 64

    /// The channels of the wallet file, as the gateway starts (their providers may lack the last vouchers: they are
    /// handed over at the first idle pass).
    public init(policy: Policy, channels: [WalletChannel], now: UInt64) {
        self.policy = policy
        for c in channels { self.channels[c.id] = Channel(wallet: c, lastUsed: now, handedOver: .zero) }
    }

    /// The wallet's records of every channel, by id.
    public var walletChannels: [WalletChannel] { channels.values.map(\.wallet).sorted { $0.id < $1.id } }

    /// The ucairn escrowed in channels kept open, and in deposits under way.
    public var escrowed: UInt128 {
        channels.values.filter(\.usable).reduce(pending) { $0 &+ $1.wallet.available.value }
    }

    func lease(_ id: UInt64) -> Lease {
        let c = channels[id]!
        return Lease(channelID: id, provider: c.wallet.provider, voucher: c.wallet.voucher)
    }

    /// Takes `amount` of the spending limit for a deposit under way, or says why not.
    mutating func reserve(_ amount: Amount) -> String? {
        let escrow = escrowed
        guard escrow &+ amount.value <= policy.spendLimit.value else {
            return "escrowing \(amount) more would pass the gateway's spending limit of \(policy.spendLimit) (\(Amount(escrow)) escrowed)"
        }
        pending &+= amount.value
        return nil
    }

    // MARK: Leasing

    /// `provider` says it runs `capacity` requests at once; true when that lets it have more channels than before.
    public mutating func learned(capacity: Int, of provider: Address) -> Bool {
        let before = channelLimit(provider)
        capacities[provider] = max(1, capacity)
        return channelLimit(provider) > before
    }

    /// How many channels `provider` may have: the policy's number, or the requests it says it runs at once when that
    /// is more (so concurrent requests reach its batch instead of queueing here), at most `maxChannelsPerProvider`.
    public func channelLimit(_ provider: Address) -> Int {
        min(Self.maxChannelsPerProvider, max(policy.channelsPerProvider, capacities[provider] ?? 0))
    }

    /// A channel to `provider` for a request that may cost up to `needed`: the free one with the most deposit left,
    /// topped up when short, else a new one while the provider has fewer than its `channelLimit`.
    public mutating func lease(_ provider: Address, needed: Amount, now: UInt64) -> LeaseStep {
        let mine = channels.values.filter { $0.wallet.provider == provider && $0.usable }
        let free = mine.filter { !$0.busy }.sorted { ($0.wallet.available, $1.wallet.id) > ($1.wallet.available, $0.wallet.id) }
        if let best = free.first {
            let id = best.wallet.id
            channels[id]!.busy = true
            if best.wallet.available >= needed { return .leased(lease(id)) }
            let amount = max(policy.deposit, needed)
            if let why = reserve(amount) {
                channels[id]!.busy = false
                return .overLimit(why)
            }
            return .topUp(lease(id), amount: amount)
        }
        let opened = opening[provider, default: 0]
        guard mine.count + opened < channelLimit(provider) else { return .wait }
        let amount = max(policy.deposit, needed)
        if let why = reserve(amount) {
            // A channel of the provider's, or one being opened, will come free: wait for it rather than refuse.
            return mine.isEmpty && opened == 0 ? .overLimit(why) : .wait
        }
        opening[provider] = opened + 1
        return .open(provider: provider, amount: amount)
    }

    /// The channel a `.open` step opened on the chain, now held by the request that asked for it.
    public mutating func opened(_ channel: WalletChannel, amount: Amount, now: UInt64) -> Lease {
        finishOpening(channel.provider, amount: amount)
        channels[channel.id] = Channel(wallet: channel, busy: true, lastUsed: now, handedOver: .zero)
        return lease(channel.id)
    }

    /// A `.open` step that failed: its reservation is given back.
    public mutating func openFailed(provider: Address, amount: Amount) {
        finishOpening(provider, amount: amount)
    }

    mutating func finishOpening(_ provider: Address, amount: Amount) {
        pending &-= min(pending, amount.value)
        let left = opening[provider, default: 1] - 1
        opening[provider] = left > 0 ? left : nil
    }

    /// A top-up that went through: the deposit grows; the request keeps the channel, with a new voucher.
    public mutating func toppedUp(_ lease: Lease, amount: Amount) -> Lease {
        pending &-= min(pending, amount.value)
        if let deposit = channels[lease.channelID]?.wallet.deposit.adding(amount) { channels[lease.channelID]?.wallet.deposit = deposit }
        return channels[lease.channelID] == nil ? lease : self.lease(lease.channelID)
    }

    /// A top-up that failed: its reservation is given back, and so is the channel.
    public mutating func topUpFailed(_ lease: Lease, amount: Amount, now: UInt64) {
        pending &-= min(pending, amount.value)
        release(lease, voucherDelivered: false, now: now)
    }

    // MARK: After a request

    /// Checks the receipt of the request that held `lease` and, when it is right, records what it delivered (the next
    /// voucher on the channel pays for it).
    /// - Returns: the request's cost.
    /// - Throws: the `ClientError` naming the mismatch; nothing is recorded then (the driver retires the channel).
    public mutating func accept(_ receipt: SignedReceipt, lease: Lease, price: ModelPrice, chainID: String) throws(ClientError) -> Amount {
        guard let channel = channels[lease.channelID] else { throw ClientError("no channel \(lease.channelID)") }
        channels[lease.channelID]?.wallet = try channel.wallet.accepting(receipt, price: price, chainID: chainID)
        return receipt.receipt.cost
    }

    /// Gives a channel back after its request; `voucherDelivered` when the provider received the request's voucher.
    public mutating func release(_ lease: Lease, voucherDelivered: Bool, now: UInt64) {
        guard var c = channels[lease.channelID] else { return }
        c.busy = false
        c.lastUsed = now
        if voucherDelivered { c.handedOver = max(c.handedOver, lease.voucher.cumulative) }
        channels[lease.channelID] = c
    }

    /// Stops using a channel its provider refused (or lost track of); the upkeep hands it over and closes it.
    public mutating func retire(_ lease: Lease) {
        channels[lease.channelID]?.busy = false
        channels[lease.channelID]?.retired = true
    }

    /// What the request does after an attempt that ended before its first byte reached the client (or, for
    /// `.answered`, once its answer began).
    ///
    /// A payment refusal is sent again up to `policy.paymentRetries` times on this provider: after a top-up when the
    /// channel is short, on another channel otherwise (the provider and the wallet disagree about this one, which is
    /// retired). Anything else, or one refusal too many, fails over to the next provider; a refusal of the request
    /// itself goes back to the client.
    public mutating func next(after end: AttemptEnd, lease: Lease, needed: Amount, paymentRetries: Int, now: UInt64) -> NextStep {
        switch end {
        case .answered:
            return .relay
        case .noAnswer, .providerFailed:
            release(lease, voucherDelivered: false, now: now)
            return .failOver
        case .requestRefused:
            // A provider keeps the voucher of a request it serves only: this one is handed over later.
            release(lease, voucherDelivered: false, now: now)
            return .answerClient
        case let .paymentRefused(code):
            guard paymentRetries < policy.paymentRetries else {
                retire(lease)
                return .failOver
            }
            guard code == .channelUnfunded else {
                retire(lease)
                return .leaseAgainAndResend
            }
            let amount = max(policy.deposit, needed)
            if let why = reserve(amount) {
                release(lease, voucherDelivered: false, now: now)
                return .overLimit(why)
            }
            return .topUpAndResend(lease, amount: amount)
        }
    }

    // MARK: Upkeep

    /// The chores of idle channels: a channel idle for `settleAfter` hands its provider the voucher of its last request;
    /// one retired, or idle for `closeAfter`, is handed over and closed. The channels are held until `choreDone`.
    public mutating func upkeep(now: UInt64) -> [Chore] {
        let settle = policy.settleAfter.milliseconds, close = policy.closeAfter.milliseconds
        var chores: [Chore] = []
        for id in channels.keys.sorted() {
            guard var c = channels[id], !c.wallet.closing, !c.busy else { continue }
            let idle = now >= c.lastUsed ? now - c.lastUsed : 0
            let closing = c.retired || idle >= close
            let unpaid = c.handedOver < c.wallet.delivered
            guard closing || (unpaid && idle >= settle) else { continue }
            c.busy = true
            channels[id] = c
            chores.append(Chore(channelID: id, provider: c.wallet.provider, handOver: unpaid ? c.wallet.voucher : nil, close: closing))
        }
        return chores
    }

    /// The provider received the voucher for `cumulative`.
    public mutating func handedOver(_ id: UInt64, cumulative: Amount) {
        guard let c = channels[id] else { return }
        channels[id]?.handedOver = max(c.handedOver, cumulative)
    }

    /// The channel is closing on the chain: its unclaimed deposit returns after the settle delay.
    public mutating func closed(_ id: UInt64) {
        channels[id]?.wallet.closing = true
        channels[id]?.retired = false
    }

    /// The chain's view of a channel (after a close that failed, or at start): its deposit, and whether it is closing.
    public mutating func synced(_ view: ChannelView) {
        guard channels[view.id] != nil else { return }
        channels[view.id]?.wallet.deposit = view.deposit
        channels[view.id]?.wallet.closing = view.state != "open"
    }

    /// A chore is done (or given up until the next pass): the channel is free again.
    public mutating func choreDone(_ id: UInt64) {
        channels[id]?.busy = false
    }

    /// Brings the channels up to date with the chain's list of this client's channels at start: adopts open ones the
    /// wallet does not know (opened elsewhere, or lost in a crash before the wallet was written) and takes the chain's
    /// state of the others. Returns whether anything changed.
    public mutating func recover(_ onChain: [ChannelView], client: Address, voucherKey: PublicKey, now: UInt64) -> Bool {
        var changed = false
        for view in onChain {
            if channels[view.id] == nil {
                guard view.state == "open", let adopted = WalletChannel(adopting: view, client: client, voucherKey: voucherKey) else { continue }
                channels[view.id] = Channel(wallet: adopted, lastUsed: now, handedOver: .zero)
                changed = true
            } else if view.state != "open", channels[view.id]?.wallet.closing == false {
                synced(view)
                changed = true
            }
        }
        return changed
    }
}
