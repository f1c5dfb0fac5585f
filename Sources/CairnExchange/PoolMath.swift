/// Uniswap v2's constant-product formulas over integers, rounding as its contracts and router do: every
/// rounding favours the pool, so a trade or a join and exit never takes out more than its arithmetic allows.
public enum PoolMath {
    /// Shares locked for ever when a pool is created (Uniswap v2's `MINIMUM_LIQUIDITY`): the first depositor
    /// cannot own the whole supply, so the value of one share cannot be inflated to round later deposits to zero.
    public static let minimumLiquidity: UInt128 = 1_000
    /// The largest reserve (Uniswap v2 keeps reserves in `uint112`); products of two reserves and the fee
    /// factor then stay within 256 bits.
    public static let maxReserve: UInt128 = (1 << 112) - 1
    /// Fee denominators are basis points.
    public static let bps: UInt128 = 10_000

    public enum Failure: Error, Equatable, Sendable {
        case insufficientInput
        case insufficientOutput
        case insufficientLiquidity
        case insufficientLiquidityMinted
        case insufficientLiquidityBurned
        case overflow
        case kDecreased
    }

    /// What a swap of `amountIn` pays out (`getAmountOut`): `in·(1−fee)·rOut / (rIn + in·(1−fee))`, rounded down.
    public static func amountOut(in amountIn: UInt128, reserveIn: UInt128, reserveOut: UInt128, feeBps: UInt128) throws(Failure) -> UInt128 {
        guard amountIn > 0 else { throw .insufficientInput }
        guard reserveIn > 0, reserveOut > 0 else { throw .insufficientLiquidity }
        guard amountIn <= maxReserve else { throw .overflow }
        let inWithFee = amountIn * (bps - feeBps)
        let numerator = UInt256.product(inWithFee, reserveOut)
        let (denominator, o) = (reserveIn * bps).addingReportingOverflow(inWithFee)
        guard !o, let out = numerator.divided(by: denominator) else { throw .overflow }
        return out
    }

    /// What a swap must put in to take `amountOut` out (`getAmountIn`): `rIn·out / ((rOut − out)·(1−fee)) + 1`.
    public static func amountIn(out amountOut: UInt128, reserveIn: UInt128, reserveOut: UInt128, feeBps: UInt128) throws(Failure) -> UInt128 {
        guard amountOut > 0 else { throw .insufficientOutput }
        guard reserveIn > 0, reserveOut > 0, amountOut < reserveOut else { throw .insufficientLiquidity }
        guard let numerator = UInt256.product(reserveIn, amountOut).multiplied(by: bps) else { throw .overflow }
        let denominator = (reserveOut - amountOut) * (bps - feeBps)
        guard let q = numerator.divided(by: denominator), q < UInt128.max else { throw .overflow }
        return q + 1
    }

    /// The amount of the other token worth `amount` at the reserves' ratio (`quote`), rounded down.
    public static func quote(_ amount: UInt128, reserveA: UInt128, reserveB: UInt128) throws(Failure) -> UInt128 {
        guard amount > 0 else { throw .insufficientInput }
        guard reserveA > 0, reserveB > 0 else { throw .insufficientLiquidity }
        guard let q = UInt256.product(amount, reserveB).divided(by: reserveA) else { throw .overflow }
        return q
    }

    /// Uniswap v2's `K` check of a swap that moved the balances from the reserves: the balances less the fee on
    /// what came in must keep the product at least where it was.
    public static func kHolds(reserve0: UInt128, reserve1: UInt128, balance0: UInt128, balance1: UInt128,
                              amount0In: UInt128, amount1In: UInt128, feeBps: UInt128) throws(Failure) -> Bool {
        guard balance0 <= maxReserve, balance1 <= maxReserve, amount0In <= balance0, amount1In <= balance1 else { throw .overflow }
        let adjusted0 = balance0 * bps - amount0In * feeBps
        let adjusted1 = balance1 * bps - amount1In * feeBps
        guard let before = UInt256.product(reserve0, reserve1).multiplied(by: bps * bps) else { throw .overflow }
        return UInt256.product(adjusted0, adjusted1) >= before
    }

    /// Shares of a new pool: √(a0·a1), of which `minimumLiquidity` are locked; throws unless some are left.
    public static func initialShares(_ amount0: UInt128, _ amount1: UInt128) throws(Failure) -> (total: UInt128, toDepositor: UInt128) {
        guard amount0 > 0, amount1 > 0 else { throw .insufficientInput }
        guard amount0 <= maxReserve, amount1 <= maxReserve else { throw .overflow }
        let total = UInt256.product(amount0, amount1).squareRoot
        guard total > minimumLiquidity else { throw .insufficientLiquidityMinted }
        return (total, total - minimumLiquidity)
    }

    /// Shares minted for a deposit into a pool with `totalShares`: `min(a0·S/r0, a1·S/r1)`, rounded down.
    public static func sharesMinted(_ amount0: UInt128, _ amount1: UInt128, reserve0: UInt128, reserve1: UInt128,
                                    totalShares: UInt128) throws(Failure) -> UInt128 {
        guard reserve0 > 0, reserve1 > 0 else { throw .insufficientLiquidity }
        guard let s0 = UInt256.product(amount0, totalShares).divided(by: reserve0),
              let s1 = UInt256.product(amount1, totalShares).divided(by: reserve1) else { throw .overflow }
        let shares = min(s0, s1)
        guard shares > 0 else { throw .insufficientLiquidityMinted }
        return shares
    }

    /// The router's deposit for the desired amounts: the most of both at the pool's ratio, or a failure when that
    /// falls under the minimums.
    public static func optimalDeposit(desired0: UInt128, desired1: UInt128, min0: UInt128, min1: UInt128,
                                      reserve0: UInt128, reserve1: UInt128) throws(Failure) -> (UInt128, UInt128) {
        guard desired0 > 0, desired1 > 0 else { throw .insufficientInput }
        let optimal1 = try quote(desired0, reserveA: reserve0, reserveB: reserve1)
        if optimal1 <= desired1 {
            guard optimal1 >= min1, optimal1 > 0 else { throw .insufficientInput }
            return (desired0, optimal1)
        }
        let optimal0 = try quote(desired1, reserveA: reserve1, reserveB: reserve0)
        guard optimal0 <= desired0, optimal0 >= min0, optimal0 > 0 else { throw .insufficientInput }
        return (optimal0, desired1)
    }

    /// What burning `shares` of `totalShares` pays out of each reserve, rounded down; both must be above zero.
    public static func amountsBurned(_ shares: UInt128, reserve0: UInt128, reserve1: UInt128,
                                     totalShares: UInt128) throws(Failure) -> (UInt128, UInt128) {
        guard shares > 0, shares <= totalShares else { throw .insufficientLiquidityBurned }
        guard let a0 = UInt256.product(shares, reserve0).divided(by: totalShares),
              let a1 = UInt256.product(shares, reserve1).divided(by: totalShares) else { throw .overflow }
        guard a0 > 0, a1 > 0 else { throw .insufficientLiquidityBurned }
        return (a0, a1)
    }

    /// The protocol's cut of the fees since `kLast` (`_mintFee`): shares worth 1/6 of the growth of √k,
    /// `S·(√k − √kLast) / (5·√k + √kLast)`.
    public static func protocolFeeShares(reserve0: UInt128, reserve1: UInt128, kLast: UInt256, totalShares: UInt128) throws(Failure) -> UInt128 {
        guard !kLast.isZero else { return 0 }
        let rootK = UInt256.product(reserve0, reserve1).squareRoot
        let rootKLast = kLast.squareRoot
        guard rootK > rootKLast else { return 0 }
        let numerator = UInt256.product(totalShares, rootK - rootKLast)
        // √k < 2^112, so 5·√k + √kLast fits easily.
        let denominator = rootK * 5 + rootKLast
        guard let shares = numerator.divided(by: denominator) else { throw .overflow }
        return shares
    }

    /// The price of token0 in token1 as UQ112x112 (`reserve1 · 2^112 / reserve0`), as the accumulators add it up.
    public static func price(numerator: UInt128, denominator: UInt128) -> UInt256 {
        UInt256.uq112(numerator).quotientAndRemainder(dividingBy: denominator).quotient
    }
}
