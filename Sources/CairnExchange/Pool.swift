public import CairnPrimitives

/// A constant-product pool of two denominations, with its reserves, its share supply and its price accumulators.
///
/// The operations here are pure: the module moves the coins their results name. Reserves are the pool's own
/// record, never read from balances, so a gift of coins to the pool's account (refused by the bank anyway)
/// could not change a share's worth.
public struct Pool: Sendable, Equatable {
    public var id: UInt64
    /// The smaller denomination by byte order.
    public var denom0: String
    public var denom1: String
    public var reserve0: UInt128
    public var reserve1: UInt128
    /// Shares in existence: the bank's supply of `shareDenom`, the locked minimum included.
    public var totalShares: UInt128
    /// `reserve0 · reserve1` after the last join or exit while the protocol fee was on (zero when it was off).
    public var kLast: UInt256
    /// Σ price of denom0 in denom1 (UQ112x112) × milliseconds, wrapping at 2^256 as Uniswap v2's do.
    public var price0Cumulative: UInt256
    /// Σ price of denom1 in denom0 (UQ112x112) × milliseconds.
    public var price1Cumulative: UInt256
    /// Block time (ms) of the last accumulation.
    public var lastTime: UInt64
    public var createdHeight: UInt64

    public init(id: UInt64, denom0: String, denom1: String, reserve0: UInt128 = 0, reserve1: UInt128 = 0, totalShares: UInt128 = 0,
                kLast: UInt256 = .zero, price0Cumulative: UInt256 = .zero, price1Cumulative: UInt256 = .zero, lastTime: UInt64,
                createdHeight: UInt64) {
        self.id = id
        self.denom0 = denom0
        self.denom1 = denom1
        self.reserve0 = reserve0
        self.reserve1 = reserve1
        self.totalShares = totalShares
        self.kLast = kLast
        self.price0Cumulative = price0Cumulative
        self.price1Cumulative = price1Cumulative
        self.lastTime = lastTime
        self.createdHeight = createdHeight
    }

    /// The bank denomination of the pool's shares.
    public static func shareDenom(_ id: UInt64) -> String { "pool/\(id)" }
    public var shareDenom: String { Pool.shareDenom(id) }

    /// Whether `denom` is a pool's share denomination.
    public static func isShareDenom(_ denom: String) -> Bool { denom.hasPrefix("pool/") }

    /// The two denominations in pool order.
    public static func order(_ a: String, _ b: String) -> (String, String) { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) ? (a, b) : (b, a) }

    public func reserve(of denom: String) -> UInt128? { denom == denom0 ? reserve0 : denom == denom1 ? reserve1 : nil }

    /// The accumulators as they stand at `time`, the current reserves' price counted since `lastTime`.
    public func cumulative(at time: UInt64) -> (price0: UInt256, price1: UInt256) {
        guard time > lastTime, reserve0 > 0, reserve1 > 0 else { return (price0Cumulative, price1Cumulative) }
        let elapsed = UInt128(time - lastTime)
        return (price0Cumulative.addingWrapping(PoolMath.price(numerator: reserve1, denominator: reserve0).multipliedWrapping(by: elapsed)),
                price1Cumulative.addingWrapping(PoolMath.price(numerator: reserve0, denominator: reserve1).multipliedWrapping(by: elapsed)))
    }

    /// Adds the reserves' price since `lastTime` to the accumulators (`_update`), before the reserves change.
    public mutating func accumulate(until time: UInt64) {
        (price0Cumulative, price1Cumulative) = cumulative(at: time)
        if time > lastTime { lastTime = time }
    }

    // MARK: Operations

    /// A new pool holding `amount0` and `amount1`; the depositor's shares are the total less the locked minimum.
    public static func create(id: UInt64, denom0: String, amount0: UInt128, denom1: String, amount1: UInt128, protocolFee: Bool,
                              height: UInt64, time: UInt64) throws(PoolMath.Failure) -> (pool: Pool, shares: UInt128) {
        let (total, toDepositor) = try PoolMath.initialShares(amount0, amount1)
        var pool = Pool(id: id, denom0: denom0, denom1: denom1, reserve0: amount0, reserve1: amount1, totalShares: total,
                        lastTime: time, createdHeight: height)
        if protocolFee { pool.kLast = UInt256.product(amount0, amount1) }
        return (pool, toDepositor)
    }

    /// What a join did: the amounts taken, the shares minted to the depositor and to the protocol (its fee since the last join or exit).
    public struct Join: Sendable, Equatable {
        public var amount0: UInt128
        public var amount1: UInt128
        public var shares: UInt128
        public var protocolShares: UInt128
    }

    /// Deposits at most the desired amounts, at the pool's ratio (the router's `addLiquidity`); at least `minShares`.
    public mutating func join(desired0: UInt128, desired1: UInt128, min0: UInt128 = 0, min1: UInt128 = 0, minShares: UInt128 = 0,
                              protocolFee: Bool, time: UInt64) throws(PoolMath.Failure) -> Join {
        let (a0, a1) = try PoolMath.optimalDeposit(desired0: desired0, desired1: desired1, min0: min0, min1: min1,
                                                   reserve0: reserve0, reserve1: reserve1)
        guard a0 <= PoolMath.maxReserve - reserve0, a1 <= PoolMath.maxReserve - reserve1 else { throw .overflow }
        let fee = try mintProtocolFee(protocolFee)
        let shares = try PoolMath.sharesMinted(a0, a1, reserve0: reserve0, reserve1: reserve1, totalShares: totalShares)
        guard shares >= minShares else { throw .insufficientLiquidityMinted }
        let (s, o) = totalShares.addingReportingOverflow(shares)
        guard !o else { throw .overflow }
        accumulate(until: time)
        reserve0 += a0
        reserve1 += a1
        totalShares = s
        kLast = protocolFee ? UInt256.product(reserve0, reserve1) : .zero
        return Join(amount0: a0, amount1: a1, shares: shares, protocolShares: fee)
    }

    /// What an exit did: the amounts paid out and the shares minted to the protocol first.
    public struct Exit: Sendable, Equatable {
        public var amount0: UInt128
        public var amount1: UInt128
        public var protocolShares: UInt128
    }

    /// Burns `shares` for their part of each reserve (`burn`), at least the minimums.
    public mutating func exit(shares: UInt128, min0: UInt128 = 0, min1: UInt128 = 0, protocolFee: Bool,
                              time: UInt64) throws(PoolMath.Failure) -> Exit {
        let fee = try mintProtocolFee(protocolFee)
        // The locked minimum is never burned, so the supply never falls below it.
        guard shares <= totalShares - PoolMath.minimumLiquidity else { throw .insufficientLiquidityBurned }
        let (a0, a1) = try PoolMath.amountsBurned(shares, reserve0: reserve0, reserve1: reserve1, totalShares: totalShares)
        guard a0 >= min0, a1 >= min1 else { throw .insufficientOutput }
        accumulate(until: time)
        reserve0 -= a0
        reserve1 -= a1
        totalShares -= shares
        kLast = protocolFee ? UInt256.product(reserve0, reserve1) : .zero
        return Exit(amount0: a0, amount1: a1, protocolShares: fee)
    }

    /// A swap's two sides.
    public enum Trade: Sendable, Equatable {
        /// Exactly `amount` in, at least `minOut` out.
        case exactIn(amount: UInt128, minOut: UInt128)
        /// Exactly `amount` out, at most `maxIn` in.
        case exactOut(amount: UInt128, maxIn: UInt128)
    }

    /// Swaps `denomIn` for the other denomination; returns what went in and what came out.
    public mutating func swap(denomIn: String, _ trade: Trade, feeBps: UInt128, time: UInt64) throws(PoolMath.Failure) -> (amountIn: UInt128, amountOut: UInt128) {
        let zeroIn = denomIn == denom0
        let (rIn, rOut) = zeroIn ? (reserve0, reserve1) : (reserve1, reserve0)
        let amountIn: UInt128, amountOut: UInt128
        switch trade {
        case let .exactIn(amount, minOut):
            amountIn = amount
            amountOut = try PoolMath.amountOut(in: amount, reserveIn: rIn, reserveOut: rOut, feeBps: feeBps)
            guard amountOut > 0, amountOut >= minOut else { throw .insufficientOutput }
        case let .exactOut(amount, maxIn):
            amountOut = amount
            amountIn = try PoolMath.amountIn(out: amount, reserveIn: rIn, reserveOut: rOut, feeBps: feeBps)
            guard amountIn <= maxIn else { throw .insufficientInput }
        }
        guard amountOut < rOut else { throw .insufficientLiquidity }
        guard amountIn <= PoolMath.maxReserve - rIn else { throw .overflow }
        let newIn = rIn + amountIn, newOut = rOut - amountOut
        // Uniswap v2's K check, kept as a second line of defence behind the formulas.
        guard try PoolMath.kHolds(reserve0: rIn, reserve1: rOut, balance0: newIn, balance1: newOut, amount0In: amountIn, amount1In: 0,
                                  feeBps: feeBps) else { throw .kDecreased }
        accumulate(until: time)
        if zeroIn { (reserve0, reserve1) = (newIn, newOut) } else { (reserve1, reserve0) = (newIn, newOut) }
        return (amountIn, amountOut)
    }

    /// Mints the protocol's shares for the fees since `kLast` (`_mintFee`); returns how many.
    mutating func mintProtocolFee(_ on: Bool) throws(PoolMath.Failure) -> UInt128 {
        guard on else { return 0 }
        let shares = try PoolMath.protocolFeeShares(reserve0: reserve0, reserve1: reserve1, kLast: kLast, totalShares: totalShares)
        let (s, o) = totalShares.addingReportingOverflow(shares)
        guard !o else { throw .overflow }
        totalShares = s
        return shares
    }
}

extension Pool: CanonicalCodable {
    public func encode(to w: inout CanonicalWriter) {
        w.write(id)
        w.write(denom0)
        w.write(denom1)
        w.write(reserve0)
        w.write(reserve1)
        w.write(totalShares)
        w.write(kLast)
        w.write(price0Cumulative)
        w.write(price1Cumulative)
        w.write(lastTime)
        w.write(createdHeight)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        id = try r.readUInt64()
        denom0 = try r.readString(limit: 64)
        denom1 = try r.readString(limit: 64)
        reserve0 = try r.readUInt128()
        reserve1 = try r.readUInt128()
        totalShares = try r.readUInt128()
        kLast = try r.readUInt256()
        price0Cumulative = try r.readUInt256()
        price1Cumulative = try r.readUInt256()
        lastTime = try r.readUInt64()
        createdHeight = try r.readUInt64()
    }
}
