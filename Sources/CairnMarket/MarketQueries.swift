public import CairnPrimitives
public import CairnLedger

extension MarketModule {
    /// Every registered provider, in address order, with its stake and whether it is active.
    public func providerViews(state: any StateReader) throws -> [ProviderView] {
        let params = try params(state: state)
        return try MarketReader(state: state).providers().map { a, record throws in try view(a, record, params, state) }
    }

    /// One registered provider, or nil.
    public func providerView(_ address: Address, state: any StateReader) throws -> ProviderView? {
        guard let record = try MarketReader(state: state).provider(address) else { return nil }
        return try view(address, record, try params(state: state), state)
    }

    /// Active: a provider operator, not jailed, with at least `minProviderStake` bonded.
    func view(_ a: Address, _ r: ProviderRecord, _ params: MarketParams, _ state: any StateReader) throws -> ProviderView {
        let op = try stake.stakedOperator(a, state: state)
        let active = op.map { $0.isProvider && !$0.jailed && $0.tokens >= params.minProviderStake } ?? false
        return ProviderView(address: a, endpoint: r.spec.endpoint, hardware: r.spec.hardware, models: r.spec.models,
                            stake: op?.tokens ?? .zero, jailed: op?.jailed ?? false, active: active,
                            registeredHeight: r.registeredHeight, updatedHeight: r.updatedHeight)
    }

    /// Channel `id`, or nil.
    public func channelView(_ id: UInt64, state: any StateReader) throws -> ChannelView? {
        try MarketReader(state: state).channel(id).map { Self.view(id, $0) }
    }

    /// How many channels have been opened (ids run from 1 to this count).
    public func channelCount(state: any StateReader) throws -> UInt64 {
        try MarketReader(state: state).nextChannelID() - 1
    }

    /// The channels `client` opened, in id order (closed ones included), read through the client index.
    public func channelViews(client: Address, state: any StateReader) throws -> [ChannelView] {
        try channelViews(under: MarketKeys.channels(ofClient: client), state: state)
    }

    /// The channels to `provider`, in id order (closed ones included), read through the provider index.
    public func channelViews(provider: Address, state: any StateReader) throws -> [ChannelView] {
        try channelViews(under: MarketKeys.channels(ofProvider: provider), state: state)
    }

    func channelViews(under prefix: [UInt8], state: any StateReader) throws -> [ChannelView] {
        let reader = MarketReader(state: state)
        return try reader.ids(under: prefix).map { id throws in Self.view(id, try reader.existingChannel(id)) }
    }

    static func view(_ id: UInt64, _ c: ChannelRecord) -> ChannelView {
        ChannelView(id: id, client: c.client, provider: c.provider, voucherKey: c.voucherKey.hexString, deposit: c.deposit,
                    claimed: c.claimed, claimedPerModel: c.claimedPerModel, claimedUsage: c.claimedUsage, state: c.state.name, openedHeight: c.openedHeight,
                    settleHeight: c.settleHeight)
    }

    /// The escrow's balance: every unclaimed deposit of the channels not closed.
    public func escrowBalance(state: any StateReader) throws -> Amount {
        try bank.balance(of: MarketAccounts.escrow, denom: Denom.native, state: state)
    }
}
