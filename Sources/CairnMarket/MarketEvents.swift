public import CairnPrimitives
public import CairnLedger

/// Events the market module emits (amounts in ucairn), and their typed views for readers.
public enum MarketEvents {
    /// The market's event types.
    public enum Kind: String, Sendable, CaseIterable {
        case providerRegistered = "market.provider_registered"
        case providerUpdated = "market.provider_updated"
        case providerDeregistered = "market.provider_deregistered"
        case channelOpened = "market.channel_opened"
        case channelToppedUp = "market.channel_topped_up"
        case channelClosing = "market.channel_closing"
        case channelClosed = "market.channel_closed"
        case claimed = "market.claimed"

        /// Whether events of this kind change a payment channel (and name it in `id`).
        public var changesChannel: Bool {
            switch self {
            case .channelOpened, .channelToppedUp, .channelClosing, .channelClosed, .claimed: true
            case .providerRegistered, .providerUpdated, .providerDeregistered: false
            }
        }
    }

    /// `market.provider_registered`: provider, endpoint, models (comma-separated ids).
    public static func providerRegistered(_ p: Address, _ spec: ProviderSpec) -> Event {
        Event(type: Kind.providerRegistered.rawValue, [("provider", p.bech32), ("endpoint", spec.endpoint), ("models", modelList(spec))])
    }

    /// `market.provider_updated`: provider, endpoint, models.
    public static func providerUpdated(_ p: Address, _ spec: ProviderSpec) -> Event {
        Event(type: Kind.providerUpdated.rawValue, [("provider", p.bech32), ("endpoint", spec.endpoint), ("models", modelList(spec))])
    }

    /// `market.provider_deregistered`: provider.
    public static func providerDeregistered(_ p: Address) -> Event {
        Event(type: Kind.providerDeregistered.rawValue, [("provider", p.bech32)])
    }

    /// `market.channel_opened`: id, client, provider, deposit.
    public static func channelOpened(_ id: UInt64, _ c: ChannelRecord) -> Event {
        Event(type: Kind.channelOpened.rawValue, [("id", "\(id)"), ("client", c.client.bech32), ("provider", c.provider.bech32),
                                                  ("deposit", c.deposit.description)])
    }

    /// `market.channel_topped_up`: id, amount added, deposit after it.
    public static func channelToppedUp(_ id: UInt64, amount: Amount, deposit: Amount) -> Event {
        Event(type: Kind.channelToppedUp.rawValue, [("id", "\(id)"), ("amount", amount.description), ("deposit", deposit.description)])
    }

    /// `market.channel_closing`: id, settle_height.
    public static func channelClosing(_ id: UInt64, settleHeight: UInt64) -> Event {
        Event(type: Kind.channelClosing.rawValue, [("id", "\(id)"), ("settle_height", "\(settleHeight)")])
    }

    /// `market.channel_closed`: id, client, refund.
    public static func channelClosed(_ id: UInt64, client: Address, refund: Amount) -> Event {
        Event(type: Kind.channelClosed.rawValue, [("id", "\(id)"), ("client", client.bech32), ("refund", refund.description)])
    }

    /// `market.claimed`: id and channel (the same id), provider, cumulative, amount (this claim), fee,
    /// burned, treasury, royalties, provider_amount.
    /// A claim: what it paid and how it was split, and what it paid for: `tokens` and `requests` in all, and `served`
    /// per model as `MODEL:TOKENS:REQUESTS` joined by commas (the increase over the channel's earlier claims).
    public static func claimed(_ id: UInt64, provider: Address, cumulative: Amount, split: ClaimSplit, served: [ModelUsage] = []) -> Event {
        Event(type: Kind.claimed.rawValue, [
            ("id", "\(id)"), ("channel", "\(id)"), ("provider", provider.bech32), ("cumulative", cumulative.description),
            ("amount", split.amount.description), ("fee", split.fee.description), ("burned", split.burned.description),
            ("treasury", split.treasury.description), ("royalties", split.royalties.description),
            ("provider_amount", split.provider.description),
            ("tokens", "\(served.reduce(UInt64(0)) { $0 &+ $1.tokens })"), ("requests", "\(served.reduce(UInt64(0)) { $0 &+ $1.requests })"),
            ("served", served.map { "\($0.modelID):\($0.tokens):\($0.requests)" }.joined(separator: ",")),
        ])
    }

    static func modelList(_ spec: ProviderSpec) -> String { spec.models.map { "\($0.modelID)" }.joined(separator: ",") }

    /// The channel a market event changes, or nil for an event that changes none (or is not the market's).
    public static func channelID(of event: Event) -> UInt64? {
        guard let kind = Kind(rawValue: event.type), kind.changesChannel else { return nil }
        return event.number("id")
    }

    /// A channel opened: its id, client, provider and deposit.
    public struct ChannelOpened: TypedEvent {
        public static let type = Kind.channelOpened.rawValue
        public var id: UInt64
        public var client: Address
        public var provider: Address
        public var deposit: Amount

        public init?(_ event: Event) {
            guard event.type == Self.type, let id = event.number("id"), let client = event.address("client"),
                  let provider = event.address("provider"), let deposit = event.amount("deposit") else { return nil }
            (self.id, self.client, self.provider, self.deposit) = (id, client, provider, deposit)
        }
    }

    /// A claim: the channel, the provider, what it paid and how it was split, and what it paid for.
    public struct Claimed: TypedEvent {
        public static let type = Kind.claimed.rawValue
        public var channel: UInt64
        public var provider: Address
        public var cumulative: Amount
        /// What this claim paid (the increase over the channel's earlier claims).
        public var amount: Amount
        public var fee: Amount
        public var burned: Amount
        public var treasury: Amount
        public var royalties: Amount
        /// What the provider kept.
        public var providerAmount: Amount
        /// Tokens and requests paid for, per model (entries that do not read are left out).
        public var served: [ModelUsage]

        public var tokens: UInt64 { served.reduce(0) { $0 &+ $1.tokens } }
        public var requests: UInt64 { served.reduce(0) { $0 &+ $1.requests } }

        public init?(_ event: Event) {
            guard event.type == Self.type, let channel = event.number("id"), let provider = event.address("provider") else { return nil }
            self.channel = channel
            self.provider = provider
            cumulative = event.amount("cumulative") ?? .zero
            amount = event.amount("amount") ?? .zero
            fee = event.amount("fee") ?? .zero
            burned = event.amount("burned") ?? .zero
            treasury = event.amount("treasury") ?? .zero
            royalties = event.amount("royalties") ?? .zero
            providerAmount = event.amount("provider_amount") ?? .zero
            served = (event["served"] ?? "").split(separator: ",").compactMap { entry in
                let f = entry.split(separator: ":")
                guard f.count == 3, let id = UInt64(f[0]), let tokens = UInt64(f[1]), let requests = UInt64(f[2]) else { return nil }
                return ModelUsage(modelID: id, tokens: tokens, requests: requests)
            }
        }
    }
}
