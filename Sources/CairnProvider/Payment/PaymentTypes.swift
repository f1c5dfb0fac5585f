public import CairnPrimitives
public import CairnMarket

/// A payment channel as the chain shows it, in the form the payment gate checks against.
public struct ChainChannel: Sendable, Equatable {
    /// The channel's life cycle on the chain.
    public enum State: String, Sendable {
        case open, closing, closed
    }

    public var id: UInt64
    public var client: Address
    public var provider: Address
    /// The key that signs the channel's vouchers; nil when the chain shows a malformed key.
    public var voucherKey: PublicKey?
    public var deposit: Amount
    public var claimed: Amount
    public var claimedPerModel: [ModelAmount]
    public var state: State
    /// The settle deadline while closing (0 while open).
    public var settleHeight: UInt64

    public init(id: UInt64, client: Address, provider: Address, voucherKey: PublicKey?, deposit: Amount, claimed: Amount = .zero,
                claimedPerModel: [ModelAmount] = [], state: State = .open, settleHeight: UInt64 = 0) {
        self.id = id
        self.client = client
        self.provider = provider
        self.voucherKey = voucherKey
        self.deposit = deposit
        self.claimed = claimed
        self.claimedPerModel = claimedPerModel
        self.state = state
        self.settleHeight = settleHeight
    }

    /// The channel of a node's `ChannelView`; an unknown state reads as closed, so nothing is served on it.
    public init(view: ChannelView) {
        self.init(id: view.id, client: view.client, provider: view.provider,
                  voucherKey: [UInt8](hex: view.voucherKey).flatMap { PublicKey(rawRepresentation: $0) },
                  deposit: view.deposit, claimed: view.claimed, claimedPerModel: view.claimedPerModel,
                  state: State(rawValue: view.state) ?? .closed, settleHeight: view.settleHeight)
    }

    /// What was claimed for `modelID`.
    public func claimed(for modelID: UInt64) -> Amount {
        claimedPerModel.first { $0.modelID == modelID }?.amount ?? .zero
    }
}

/// A request let through the gate: what it may cost at most and which channel and model it is charged to.
public struct Authorization: Sendable, Equatable {
    public var channelID: UInt64
    public var modelID: UInt64
    public var maxCost: Amount
    /// Tells one request on a channel from the next.
    public var serial: UInt64
}

/// What a channel owes the provider, as kept durably: the total and per-model amounts delivered, and the
/// client's best voucher so far (the one the provider claims).
public struct ChannelTab: Sendable, Equatable {
    public var channelID: UInt64
    public var delivered: Amount
    /// Sorted by model id, no zero amounts; sums to `delivered`.
    public var deliveredPerModel: [ModelAmount]
    /// The tokens and requests delivered, by model, sorted by model id.
    public var deliveredUsage: [ModelUsage]
    public var voucher: SignedVoucher?

    public init(channelID: UInt64, delivered: Amount = .zero, deliveredPerModel: [ModelAmount] = [], deliveredUsage: [ModelUsage] = [],
                voucher: SignedVoucher? = nil) {
        self.channelID = channelID
        self.delivered = delivered
        self.deliveredPerModel = deliveredPerModel
        self.deliveredUsage = deliveredUsage
        self.voucher = voucher
    }

    /// What was delivered for `modelID`.
    public func delivered(for modelID: UInt64) -> Amount {
        deliveredPerModel.first { $0.modelID == modelID }?.amount ?? .zero
    }

    /// Checks the record's own consistency: models sorted and distinct, amounts summing to the total, a voucher of
    /// this channel.
    public func validate() throws(ProviderError) {
        var sum = Amount.zero
        var previous: UInt64?
        for part in deliveredPerModel {
            if let previous, part.modelID <= previous {
                throw ProviderError(.corruptStore, "channel \(channelID): delivered models are not sorted by id without repeats")
            }
            guard let s = sum.adding(part.amount) else { throw ProviderError(.corruptStore, "channel \(channelID): delivered amounts overflow") }
            sum = s
            previous = part.modelID
        }
        guard sum == delivered else {
            throw ProviderError(.corruptStore, "channel \(channelID): delivered per model sums to \(sum), not the total \(delivered)")
        }
        previous = nil
        for u in deliveredUsage {
            if let previous, u.modelID <= previous {
                throw ProviderError(.corruptStore, "channel \(channelID): delivered usage is not sorted by model id without repeats")
            }
            previous = u.modelID
        }
        if let voucher, voucher.voucher.channelID != channelID {
            throw ProviderError(.corruptStore, "channel \(channelID): the stored voucher is for channel \(voucher.voucher.channelID)")
        }
    }
}

/// When the provider claims: past an unclaimed amount, every so often, and as soon as a channel is closing.
public struct ClaimPolicy: Sendable, Equatable {
    /// Claim a channel once this much is unclaimed.
    public var threshold: Amount
    /// Claim every channel with anything unclaimed at this interval, in milliseconds.
    public var intervalMilliseconds: UInt64

    public init(threshold: Amount = 1_000_000, intervalMilliseconds: UInt64 = 3_600_000) {
        self.threshold = threshold
        self.intervalMilliseconds = intervalMilliseconds
    }
}
