import Testing
import CairnExchange

/// Uniswap v2's own test vectors (Uniswap/v2-core, test/UniswapV2Pair.spec.ts), in 18-decimal units as they are
/// written there: the pool arithmetic must give their numbers to the last unit.
@Suite struct UniswapVectorTests {
    static func e18(_ n: UInt128) -> UInt128 { n * 1_000_000_000_000_000_000 }
    static let fee: UInt128 = 30

    @Test func mintGivesTheGeometricMeanLessTheLockedMinimum() throws {
        let created = try Pool.create(id: 1, denom0: "a", amount0: Self.e18(1), denom1: "b", amount1: Self.e18(4), protocolFee: false,
                                      height: 1, time: 0)
        #expect(created.pool.totalShares == Self.e18(2))
        #expect(created.shares == Self.e18(2) - 1_000)
        #expect(created.pool.reserve0 == Self.e18(1) && created.pool.reserve1 == Self.e18(4))
    }

    /// `swapTestCases`: [swapAmount, token0Amount, token1Amount, expectedOutputAmount].
    static let swapCases: [(UInt128, UInt128, UInt128, UInt128)] = [
        (e18(1), e18(5), e18(10), 1_662_497_915_624_478_906),
        (e18(1), e18(10), e18(5), 453_305_446_940_074_565),
        (e18(2), e18(5), e18(10), 2_851_015_155_847_869_602),
        (e18(2), e18(10), e18(5), 831_248_957_812_239_453),
        (e18(1), e18(10), e18(10), 906_610_893_880_149_131),
        (e18(1), e18(100), e18(100), 987_158_034_397_061_298),
        (e18(1), e18(1000), e18(1000), 996_006_981_039_903_216),
    ]

    @Test(arguments: 0..<7) func getInputPrice(_ i: Int) throws {
        let (swap, r0, r1, expected) = Self.swapCases[i]
        #expect(try PoolMath.amountOut(in: swap, reserveIn: r0, reserveOut: r1, feeBps: Self.fee) == expected)
        // The pair's K check takes the expected output and refuses one unit more.
        #expect(try PoolMath.kHolds(reserve0: r0, reserve1: r1, balance0: r0 + swap, balance1: r1 - expected, amount0In: swap, amount1In: 0,
                                    feeBps: Self.fee))
        #expect(try !PoolMath.kHolds(reserve0: r0, reserve1: r1, balance0: r0 + swap, balance1: r1 - expected - 1, amount0In: swap,
                                     amount1In: 0, feeBps: Self.fee))
        // And a pool swapping exactly in pays exactly that.
        var pool = try Pool.create(id: 1, denom0: "a", amount0: r0, denom1: "b", amount1: r1, protocolFee: false, height: 1, time: 0).pool
        let done = try pool.swap(denomIn: "a", .exactIn(amount: swap, minOut: expected), feeBps: Self.fee, time: 0)
        #expect(done.amountOut == expected && pool.reserve0 == r0 + swap && pool.reserve1 == r1 - expected)
    }

    /// `optimisticTestCases`: [outputAmount, token0Amount, token1Amount, inputAmount], a flash swap paid back in the
    /// token it took: the K check takes the output and refuses one unit more.
    static let optimisticCases: [(UInt128, UInt128, UInt128, UInt128)] = [
        (997_000_000_000_000_000, e18(5), e18(10), e18(1)),
        (997_000_000_000_000_000, e18(10), e18(5), e18(1)),
        (997_000_000_000_000_000, e18(5), e18(5), e18(1)),
        (e18(1), e18(5), e18(5), 1_003_009_027_081_243_732),
    ]

    @Test(arguments: 0..<4) func optimistic(_ i: Int) throws {
        let (output, r0, r1, input) = Self.optimisticCases[i]
        #expect(try PoolMath.kHolds(reserve0: r0, reserve1: r1, balance0: r0 + input - output, balance1: r1, amount0In: input, amount1In: 0,
                                    feeBps: Self.fee))
        #expect(try !PoolMath.kHolds(reserve0: r0, reserve1: r1, balance0: r0 + input - output - 1, balance1: r1, amount0In: input,
                                     amount1In: 0, feeBps: Self.fee))
    }

    @Test func swapToken1ForToken0() throws {
        var pool = try Pool.create(id: 1, denom0: "a", amount0: Self.e18(5), denom1: "b", amount1: Self.e18(10), protocolFee: false,
                                   height: 1, time: 0).pool
        let done = try pool.swap(denomIn: "b", .exactIn(amount: Self.e18(1), minOut: 0), feeBps: Self.fee, time: 0)
        #expect(done.amountOut == 453_305_446_940_074_565)
        #expect(pool.reserve0 == Self.e18(5) - 453_305_446_940_074_565 && pool.reserve1 == Self.e18(11))
    }

    @Test func burnReturnsAllButTheLockedMinimum() throws {
        var created = try Pool.create(id: 1, denom0: "a", amount0: Self.e18(3), denom1: "b", amount1: Self.e18(3), protocolFee: false,
                                      height: 1, time: 0)
        #expect(created.shares == Self.e18(3) - 1_000)
        let exit = try created.pool.exit(shares: created.shares, protocolFee: false, time: 0)
        #expect(exit.amount0 == Self.e18(3) - 1_000 && exit.amount1 == Self.e18(3) - 1_000)
        #expect(created.pool.totalShares == 1_000 && created.pool.reserve0 == 1_000 && created.pool.reserve1 == 1_000)
        // The locked minimum itself can never be burned.
        #expect(throws: PoolMath.Failure.insufficientLiquidityBurned) { try created.pool.exit(shares: 1, protocolFee: false, time: 0) }
    }

    /// `price{0,1}CumulativeLast`, with Uniswap's seconds read as this ledger's milliseconds.
    @Test func priceAccumulatorsAddThePriceTimesTheTimeBeforeEachChange() throws {
        var pool = try Pool.create(id: 1, denom0: "a", amount0: Self.e18(3), denom1: "b", amount1: Self.e18(3), protocolFee: false,
                                   height: 1, time: 100).pool
        let initial = PoolMath.price(numerator: Self.e18(3), denominator: Self.e18(3))
        #expect(initial == UInt256.uq112(1))
        pool.accumulate(until: 101) // Uniswap's sync one second on
        #expect(pool.price0Cumulative == initial && pool.price1Cumulative == initial && pool.lastTime == 101)
        _ = try pool.swap(denomIn: "a", .exactOut(amount: Self.e18(1), maxIn: Self.e18(3)), feeBps: Self.fee, time: 110)
        // Uniswap's test pays in 3e18 and takes 1e18 out; exactly-out pays in only what the formula asks, so set the reserves as there.
        #expect(pool.price0Cumulative == initial.multipliedWrapping(by: 10) && pool.price1Cumulative == initial.multipliedWrapping(by: 10))
        pool.reserve0 = Self.e18(6)
        pool.reserve1 = Self.e18(2)
        pool.accumulate(until: 120)
        let newPrice0 = PoolMath.price(numerator: Self.e18(2), denominator: Self.e18(6))
        let newPrice1 = PoolMath.price(numerator: Self.e18(6), denominator: Self.e18(2))
        #expect(pool.price0Cumulative == initial.multipliedWrapping(by: 10).addingWrapping(newPrice0.multipliedWrapping(by: 10)))
        #expect(pool.price1Cumulative == initial.multipliedWrapping(by: 10).addingWrapping(newPrice1.multipliedWrapping(by: 10)))
        #expect(pool.lastTime == 120)
    }

    @Test func feeToOffLeavesOnlyTheLockedMinimumAfterAFullExit() throws {
        var created = try Pool.create(id: 1, denom0: "a", amount0: Self.e18(1000), denom1: "b", amount1: Self.e18(1000), protocolFee: false,
                                      height: 1, time: 0)
        let done = try created.pool.swap(denomIn: "b", .exactIn(amount: Self.e18(1), minOut: 0), feeBps: Self.fee, time: 0)
        #expect(done.amountOut == 996_006_981_039_903_216)
        let exit = try created.pool.exit(shares: Self.e18(1000) - 1_000, protocolFee: false, time: 0)
        #expect(exit.protocolShares == 0 && created.pool.totalShares == 1_000)
    }

    @Test func feeToOnMintsTheProtocolASixthOfTheGrowthOfRootK() throws {
        var created = try Pool.create(id: 1, denom0: "a", amount0: Self.e18(1000), denom1: "b", amount1: Self.e18(1000), protocolFee: true,
                                      height: 1, time: 0)
        let done = try created.pool.swap(denomIn: "b", .exactIn(amount: Self.e18(1), minOut: 0), feeBps: Self.fee, time: 0)
        #expect(done.amountOut == 996_006_981_039_903_216)
        let exit = try created.pool.exit(shares: Self.e18(1000) - 1_000, protocolFee: true, time: 0)
        #expect(exit.protocolShares == 249_750_499_251_388)
        #expect(created.pool.totalShares == 1_000 + 249_750_499_251_388)
        #expect(created.pool.reserve0 == 1_000 + 249_501_683_697_445)
        #expect(created.pool.reserve1 == 1_000 + 250_000_187_312_969)
    }
}
