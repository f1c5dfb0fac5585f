public import CairnPrimitives
public import CairnLedger

/// Events the exchange emits (the bank adds its own transfers, mints and burns). Every pool event carries the
/// reserves after it, so a reader can chart a pool's price from events alone.
public enum ExchangeEvents {
    static func pool(_ p: Pool, _ attributes: [(String, String)]) -> [(String, String)] {
        [("pool_id", String(p.id))] + attributes + [("reserve0", String(p.reserve0)), ("reserve1", String(p.reserve1)),
                                                    ("total_shares", String(p.totalShares))]
    }

    /// `exchange.create_pool`: pool_id, creator, denom0, denom1, shares, reserves.
    public static func create(_ p: Pool, creator: Address, shares: UInt128) -> Event {
        Event(type: "exchange.create_pool", pool(p, [("creator", creator.bech32), ("denom0", p.denom0), ("denom1", p.denom1),
                                                     ("shares", String(shares))]))
    }

    /// `exchange.add_liquidity`: pool_id, provider, amount0, amount1, shares, protocol_shares, reserves.
    public static func add(_ p: Pool, provider: Address, join: Pool.Join) -> Event {
        Event(type: "exchange.add_liquidity", pool(p, [("provider", provider.bech32), ("amount0", String(join.amount0)),
                                                       ("amount1", String(join.amount1)), ("shares", String(join.shares)),
                                                       ("protocol_shares", String(join.protocolShares))]))
    }

    /// `exchange.remove_liquidity`: pool_id, provider, shares, amount0, amount1, protocol_shares, reserves.
    public static func remove(_ p: Pool, provider: Address, shares: UInt128, exit: Pool.Exit) -> Event {
        Event(type: "exchange.remove_liquidity", pool(p, [("provider", provider.bech32), ("shares", String(shares)),
                                                          ("amount0", String(exit.amount0)), ("amount1", String(exit.amount1)),
                                                          ("protocol_shares", String(exit.protocolShares))]))
    }

    /// `exchange.swap`: pool_id, trader, denom_in, amount_in, denom_out, amount_out, reserves.
    public static func swap(_ p: Pool, trader: Address, denomIn: String, amountIn: UInt128, denomOut: String, amountOut: UInt128) -> Event {
        Event(type: "exchange.swap", pool(p, [("trader", trader.bech32), ("denom_in", denomIn), ("amount_in", String(amountIn)),
                                              ("denom_out", denomOut), ("amount_out", String(amountOut))]))
    }

    /// `exchange.buyback`: cause, burned (ucairn).
    public static func buyback(cause: BuybackCause, burned: Amount) -> Event {
        Event(type: "exchange.buyback", [("cause", cause.rawValue), ("burned", burned.description)])
    }

    /// `exchange.buyback_skipped`: pool_id, reason (a price away from its average, no time since the last).
    public static func buybackSkipped(pool: UInt64, reason: String) -> Event {
        Event(type: "exchange.buyback_skipped", [("pool_id", String(pool)), ("reason", reason)])
    }

    /// The pool an exchange event is about, or nil for another module's or one about no pool.
    public static func poolID(of event: Event) -> UInt64? {
        guard event.type.hasPrefix("exchange.") else { return nil }
        return event["pool_id"].flatMap { UInt64($0) }
    }

    /// The reserves an exchange event left its pool with.
    public static func reserves(of event: Event) -> (UInt128, UInt128)? {
        guard let r0 = event["reserve0"].flatMap({ UInt128($0) }), let r1 = event["reserve1"].flatMap({ UInt128($0) }) else { return nil }
        return (r0, r1)
    }
}
