public import CairnPrimitives
public import CairnLedger

/// A pool as the API and the CLI show it.
public struct PoolView: Sendable, Equatable, Codable {
    public var id: UInt64
    public var denom0: String
    public var denom1: String
    public var reserve0: Amount
    public var reserve1: Amount
    public var totalShares: Amount
    public var shareDenom: String
    /// denom1 per denom0 at the reserves, a decimal with 18 places.
    public var price0: String
    /// denom0 per denom1.
    public var price1: String
    /// denom1 per denom0, averaged over time since the last buyback's observation (nil before time has passed).
    public var averagePrice0: String?
    public var averagePrice1: String?
    /// The accumulators (UQ112x112 × ms, decimal) and the block time they were last brought up to.
    public var price0Cumulative: String
    public var price1Cumulative: String
    public var lastTime: UInt64
    public var createdHeight: UInt64
}

/// The exchange's totals.
public struct ExchangeSummary: Sendable, Equatable, Codable {
    public var pools: Int
    /// CAIRN (ucairn) the buybacks burned, by cause.
    public var burnedByCause: [String: Amount]
}

extension ExchangeModule {
    /// Every pool, in id order.
    public func pools(state: any StateReader, time: UInt64? = nil) throws(LedgerError) -> [PoolView] {
        let reader = ExchangeReader(state: state)
        return try reader.pools().map { (p) throws(LedgerError) -> PoolView in try view(p, reader: reader, time: time) }
    }

    /// One pool, or nil.
    public func pool(_ id: UInt64, state: any StateReader, time: UInt64? = nil) throws(LedgerError) -> PoolView? {
        let reader = ExchangeReader(state: state)
        return try reader.pool(id).map { (p) throws(LedgerError) -> PoolView in try view(p, reader: reader, time: time) }
    }

    /// The pool record itself (for the simulator and tests).
    public func poolRecord(_ id: UInt64, state: any StateReader) throws(LedgerError) -> Pool? { try ExchangeReader(state: state).pool(id) }

    /// The pool trading `a` against `b`, if any.
    public func poolID(_ a: String, _ b: String, state: any StateReader) throws(LedgerError) -> UInt64? {
        try ExchangeReader(state: state).poolID(a, b)
    }

    public func summary(state: any StateReader) throws(LedgerError) -> ExchangeSummary {
        let reader = ExchangeReader(state: state)
        var burned = [String: Amount]()
        for cause in BuybackCause.allCases { burned[cause.rawValue] = try reader.burned(cause) }
        return ExchangeSummary(pools: try reader.pools().count, burnedByCause: burned)
    }

    /// CAIRN the buybacks burned for `cause`.
    public func burned(_ cause: BuybackCause, state: any StateReader) throws(LedgerError) -> Amount { try ExchangeReader(state: state).burned(cause) }

    /// The time-weighted average price of denom0 in denom1 (UQ112x112) from the last buyback's observation to `time`.
    public func averagePrices(_ pool: Pool, state: any StateReader, time: UInt64) throws(LedgerError) -> (price0: UInt256, price1: UInt256)? {
        guard let start = try ExchangeReader(state: state).observation(pool.id) else { return nil }
        let now = pool.cumulative(at: time)
        return start.averagePrices(to: Observation(time: time, price0Cumulative: now.price0, price1Cumulative: now.price1))
    }

    func view(_ p: Pool, reader: ExchangeReader, time: UInt64?) throws(LedgerError) -> PoolView {
        let average = try time.flatMap { (t) throws(LedgerError) in try averagePrices(p, state: reader.state, time: t) }
        return PoolView(id: p.id, denom0: p.denom0, denom1: p.denom1, reserve0: Amount(p.reserve0), reserve1: Amount(p.reserve1),
                        totalShares: Amount(p.totalShares), shareDenom: p.shareDenom,
                        price0: Self.decimal(PoolMath.price(numerator: p.reserve1, denominator: p.reserve0)),
                        price1: Self.decimal(PoolMath.price(numerator: p.reserve0, denominator: p.reserve1)),
                        averagePrice0: average.map { Self.decimal($0.price0) }, averagePrice1: average.map { Self.decimal($0.price1) },
                        price0Cumulative: p.price0Cumulative.description, price1Cumulative: p.price1Cumulative.description,
                        lastTime: p.lastTime, createdHeight: p.createdHeight)
    }

    /// A UQ112x112 number as a decimal with 18 places (rounded down).
    public static func decimal(_ q: UInt256) -> String {
        let whole = UInt256(high: 0, low: q.high << 16 | q.low >> 112)
        let fraction = q.low & ((UInt128(1) << 112) - 1)
        let digits = UInt256.product(fraction, 1_000_000_000_000_000_000).quotientAndRemainder(dividingBy: UInt128(1) << 112).quotient.low
        let text = String(digits)
        return "\(whole).\(String(repeating: "0", count: 18 - text.count))\(text)"
    }
}
