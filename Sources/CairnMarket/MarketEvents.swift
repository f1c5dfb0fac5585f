public import CairnPrimitives
public import CairnLedger

/// Events the market module emits (amounts in ucairn).
public enum MarketEvents {
    /// `market.provider_registered`: provider, endpoint, models (comma-separated ids).
    public static func providerRegistered(_ p: Address, _ spec: ProviderSpec) -> Event {
        Event(type: "market.provider_registered", [("provider", p.bech32), ("endpoint", spec.endpoint), ("models", modelList(spec))])
    }

    /// `market.provider_updated`: provider, endpoint, models.
    public static func providerUpdated(_ p: Address, _ spec: ProviderSpec) -> Event {
        Event(type: "market.provider_updated", [("provider", p.bech32), ("endpoint", spec.endpoint), ("models", modelList(spec))])
    }

    /// `market.provider_deregistered`: provider.
    public static func providerDeregistered(_ p: Address) -> Event {
        Event(type: "market.provider_deregistered", [("provider", p.bech32)])
    }

    /// `market.channel_opened`: id, client, provider, deposit.
    public static func channelOpened(_ id: UInt64, _ c: ChannelRecord) -> Event {
        Event(type: "market.channel_opened", [("id", "\(id)"), ("client", c.client.bech32), ("provider", c.provider.bech32),
                                              ("deposit", c.deposit.description)])
    }

    /// `market.channel_topped_up`: id, amount added, deposit after it.
    public static func channelToppedUp(_ id: UInt64, amount: Amount, deposit: Amount) -> Event {
        Event(type: "market.channel_topped_up", [("id", "\(id)"), ("amount", amount.description), ("deposit", deposit.description)])
    }

    /// `market.channel_closing`: id, settle_height.
    public static func channelClosing(_ id: UInt64, settleHeight: UInt64) -> Event {
        Event(type: "market.channel_closing", [("id", "\(id)"), ("settle_height", "\(settleHeight)")])
    }

    /// `market.channel_closed`: id, client, refund.
    public static func channelClosed(_ id: UInt64, client: Address, refund: Amount) -> Event {
        Event(type: "market.channel_closed", [("id", "\(id)"), ("client", client.bech32), ("refund", refund.description)])
    }

    /// `market.claimed`: id and channel (the same id), provider, cumulative, amount (this claim), fee,
    /// burned, treasury, royalties, provider_amount.
    /// A claim: what it paid and how it was split, and what it paid for: `tokens` and `requests` in all, and `served`
    /// per model as `MODEL:TOKENS:REQUESTS` joined by commas (the increase over the channel's earlier claims).
    public static func claimed(_ id: UInt64, provider: Address, cumulative: Amount, split: ClaimSplit, served: [ModelUsage] = []) -> Event {
        Event(type: "market.claimed", [
            ("id", "\(id)"), ("channel", "\(id)"), ("provider", provider.bech32), ("cumulative", cumulative.description),
            ("amount", split.amount.description), ("fee", split.fee.description), ("burned", split.burned.description),
            ("treasury", split.treasury.description), ("royalties", split.royalties.description),
            ("provider_amount", split.provider.description),
            ("tokens", "\(served.reduce(UInt64(0)) { $0 &+ $1.tokens })"), ("requests", "\(served.reduce(UInt64(0)) { $0 &+ $1.requests })"),
            ("served", served.map { "\($0.modelID):\($0.tokens):\($0.requests)" }.joined(separator: ",")),
        ])
    }

    static func modelList(_ spec: ProviderSpec) -> String { spec.models.map { "\($0.modelID)" }.joined(separator: ",") }
}
