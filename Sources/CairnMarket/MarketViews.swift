public import CairnPrimitives

/// A provider as the API shows it.
public struct ProviderView: Sendable, Equatable, Codable {
    public var address: Address
    public var endpoint: String
    public var hardware: Hardware
    public var models: [ModelPrice]
    /// The operator's bonded tokens in the staking module.
    public var stake: Amount
    public var jailed: Bool
    /// Listed for clients: bonded as a provider, not jailed, and at least the minimum stake.
    public var active: Bool
    public var registeredHeight: UInt64
    public var updatedHeight: UInt64

    public init(address: Address, endpoint: String, hardware: Hardware, models: [ModelPrice], stake: Amount, jailed: Bool,
                active: Bool, registeredHeight: UInt64, updatedHeight: UInt64) {
        self.address = address
        self.endpoint = endpoint
        self.hardware = hardware
        self.models = models
        self.stake = stake
        self.jailed = jailed
        self.active = active
        self.registeredHeight = registeredHeight
        self.updatedHeight = updatedHeight
    }
}

/// A payment channel as the API shows it.
public struct ChannelView: Sendable, Equatable, Codable {
    public var id: UInt64
    public var client: Address
    public var provider: Address
    /// Hex of the 32-byte key that signs the channel's vouchers.
    public var voucherKey: String
    public var deposit: Amount
    /// The cumulative total claimed so far.
    public var claimed: Amount
    /// What was claimed per model.
    public var claimedPerModel: [ModelAmount]
    /// The tokens and requests the claimed vouchers paid for, per model.
    public var claimedUsage: [ModelUsage]
    /// `open`, `closing` or `closed`.
    public var state: String
    public var openedHeight: UInt64
    /// The settle deadline while closing (the height at whose end the rest is refunded); 0 while open.
    public var settleHeight: UInt64

    public init(id: UInt64, client: Address, provider: Address, voucherKey: String, deposit: Amount, claimed: Amount,
                claimedPerModel: [ModelAmount], claimedUsage: [ModelUsage] = [], state: String, openedHeight: UInt64, settleHeight: UInt64) {
        self.id = id
        self.client = client
        self.provider = provider
        self.voucherKey = voucherKey
        self.deposit = deposit
        self.claimed = claimed
        self.claimedPerModel = claimedPerModel
        self.claimedUsage = claimedUsage
        self.state = state
        self.openedHeight = openedHeight
        self.settleHeight = settleHeight
    }
}
