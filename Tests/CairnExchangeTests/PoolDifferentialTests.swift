import Testing
import BigInt
import CairnExchange
import CairnTestSupport

/// The pool arithmetic against an exact reference in arbitrary precision: random pools and random sequences of
/// joins, exits and swaps, each result compared with the floor (or ceiling) of the exact rational it stands for,
/// and the properties a liquidity provider relies on checked after every step.
@Suite struct PoolDifferentialTests {
    static func big(_ v: UInt128) -> BigUInt { BigUInt(v) }
    static func big(_ v: UInt256) -> BigUInt { (BigUInt(v.high) << 128) + BigUInt(v.low) }

    @Test func wideArithmeticMatchesArbitraryPrecision() throws {
        var rng = SeededRandom(seed: 256)
        for _ in 0..<3_000 {
            let a = UInt128(rng.next()) << UInt128(rng.next() % 65) | UInt128(rng.next())
            let b = UInt128(rng.next()) << UInt128(rng.next() % 65) | UInt128(rng.next())
            let p = UInt256.product(a, b)
            #expect(Self.big(p) == Self.big(a) * Self.big(b))
            #expect(Self.big(UInt256(p.squareRoot)) == (Self.big(a) * Self.big(b)).squareRoot())
            #expect(p.description == String(Self.big(a) * Self.big(b)))
            #expect(UInt256(decimal: p.description) == p)
            let d = UInt128(rng.next() | 1) << UInt128(rng.next() % 64)
            let (q, r) = p.quotientAndRemainder(dividingBy: d)
            #expect(Self.big(q) == Self.big(p) / Self.big(d) && Self.big(r) == Self.big(p) % Self.big(d))
            if let m = p.multiplied(by: d) { #expect(Self.big(m) == Self.big(p) * Self.big(d)) } else {
                #expect(Self.big(p) * Self.big(d) >= BigUInt(1) << 256)
            }
        }
    }

    /// A random amount spread over many magnitudes, at most `limit`.
    static func amount(_ rng: inout SeededRandom, limit: UInt128) -> UInt128 {
        let bits = UInt128(rng.next() % 100) + 1
        let v = (UInt128(rng.next()) << 64 | UInt128(rng.next())) & ((1 << bits) - 1)
        return max(1, min(v, limit))
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8]) func randomSequencesAgreeWithTheExactReference(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let feeBps = UInt128(rng.next() % 101) // 0 to 1%
        let fee = Self.big(10_000 - feeBps)
        let protocolFee = rng.next() % 2 == 0
        let a0 = Self.amount(&rng, limit: PoolMath.maxReserve / 4) + 1_000
        let a1 = Self.amount(&rng, limit: PoolMath.maxReserve / 4) + 1_000
        guard let created = try? Pool.create(id: 1, denom0: "a", amount0: a0, denom1: "b", amount1: a1, protocolFee: protocolFee, height: 1, time: 0)
        else {
            #expect((Self.big(a0) * Self.big(a1)).squareRoot() <= 1_000)
            return
        }
        #expect(Self.big(created.pool.totalShares) == (Self.big(a0) * Self.big(a1)).squareRoot())
        var pool = created.pool
        var held = created.shares
        var checked = 0
        for step in 0..<400 {
            let before = pool
            let k0 = Self.big(before.reserve0) * Self.big(before.reserve1)
            var protocolMinted: UInt128 = 0
            var exited = false
            switch rng.next() % 4 {
            case 0: // swap exactly in
                let zeroIn = rng.next() % 2 == 0
                let amountIn = Self.amount(&rng, limit: (zeroIn ? pool.reserve0 : pool.reserve1) * 2)
                let (rIn, rOut) = zeroIn ? (pool.reserve0, pool.reserve1) : (pool.reserve1, pool.reserve0)
                let exact = Self.big(amountIn) * fee * Self.big(rOut) / (Self.big(rIn) * 10_000 + Self.big(amountIn) * fee)
                do {
                    let done = try pool.swap(denomIn: zeroIn ? "a" : "b", .exactIn(amount: amountIn, minOut: 0), feeBps: feeBps, time: UInt64(step))
                    #expect(Self.big(done.amountOut) == exact, "seed \(seed) step \(step)")
                    checked += 1
                } catch {
                    #expect(exact == 0 || Self.big(rIn) + Self.big(amountIn) > Self.big(PoolMath.maxReserve), "seed \(seed) step \(step): \(error)")
                    pool = before
                }
            case 1: // swap exactly out
                let zeroIn = rng.next() % 2 == 0
                let (rIn, rOut) = zeroIn ? (pool.reserve0, pool.reserve1) : (pool.reserve1, pool.reserve0)
                let amountOut = Self.amount(&rng, limit: rOut)
                do {
                    let done = try pool.swap(denomIn: zeroIn ? "a" : "b", .exactOut(amount: amountOut, maxIn: .max), feeBps: feeBps, time: UInt64(step))
                    let exactIn = Self.big(rIn) * Self.big(amountOut) * 10_000 / ((Self.big(rOut) - Self.big(amountOut)) * fee) + 1
                    #expect(Self.big(done.amountIn) == exactIn, "seed \(seed) step \(step)")
                    checked += 1
                } catch {
                    let possible = amountOut < rOut
                        && Self.big(rIn) * Self.big(amountOut) * 10_000 / ((Self.big(rOut) - Self.big(amountOut)) * fee) + 1 + Self.big(rIn)
                            <= Self.big(PoolMath.maxReserve)
                    #expect(!possible, "seed \(seed) step \(step): \(error)")
                    pool = before
                }
            case 2: // join
                let d0 = Self.amount(&rng, limit: pool.reserve0 * 3), d1 = Self.amount(&rng, limit: pool.reserve1 * 3)
                do {
                    let join = try pool.join(desired0: d0, desired1: d1, protocolFee: protocolFee, time: UInt64(step))
                    // The protocol's shares first, from the exact √k growth.
                    var supply = Self.big(before.totalShares)
                    if protocolFee, !before.kLast.isZero {
                        let rootK = k0.squareRoot(), rootKLast = Self.big(before.kLast).squareRoot()
                        let fee = rootK > rootKLast ? supply * (rootK - rootKLast) / (rootK * 5 + rootKLast) : 0
                        #expect(Self.big(join.protocolShares) == fee, "seed \(seed) step \(step)")
                        supply += fee
                    } else {
                        #expect(join.protocolShares == 0)
                    }
                    // The router's amounts at the pool's ratio, never above the desired ones.
                    let optimal1 = Self.big(d0) * Self.big(before.reserve1) / Self.big(before.reserve0)
                    if optimal1 <= Self.big(d1) {
                        #expect(join.amount0 == d0 && Self.big(join.amount1) == optimal1)
                    } else {
                        #expect(join.amount1 == d1 && Self.big(join.amount0) == Self.big(d1) * Self.big(before.reserve0) / Self.big(before.reserve1))
                    }
                    let shares = min(Self.big(join.amount0) * supply / Self.big(before.reserve0), Self.big(join.amount1) * supply / Self.big(before.reserve1))
                    #expect(Self.big(join.shares) == shares, "seed \(seed) step \(step)")
                    held += join.shares
                    protocolMinted = join.protocolShares
                    // Leaving at once gives back no more than went in.
                    var probe = pool
                    if let exit = try? probe.exit(shares: join.shares, protocolFee: protocolFee, time: UInt64(step)) {
                        #expect(exit.amount0 <= join.amount0 && exit.amount1 <= join.amount1, "seed \(seed) step \(step): a join and exit gained")
                    }
                    checked += 1
                } catch {
                    pool = before
                }
            default: // exit
                guard held > 0 else { continue }
                let shares = Self.amount(&rng, limit: held)
                do {
                    let exit = try pool.exit(shares: shares, protocolFee: protocolFee, time: UInt64(step))
                    let supply = Self.big(pool.totalShares) + Self.big(shares)
                    #expect(Self.big(exit.amount0) == Self.big(shares) * Self.big(before.reserve0) / supply, "seed \(seed) step \(step)")
                    #expect(Self.big(exit.amount1) == Self.big(shares) * Self.big(before.reserve1) / supply, "seed \(seed) step \(step)")
                    held -= shares
                    protocolMinted = exit.protocolShares
                    exited = true
                    checked += 1
                } catch {
                    pool = before
                }
            }
            // k falls only by an exit, and after the protocol's cut (minted first) a share's claim on √k never falls:
            // k/S² never decreases.
            let k1 = Self.big(pool.reserve0) * Self.big(pool.reserve1)
            if !exited { #expect(k1 >= k0, "seed \(seed) step \(step): k fell without an exit") }
            let s0 = Self.big(before.totalShares + protocolMinted), s1 = Self.big(pool.totalShares)
            #expect(k1 * s0 * s0 >= k0 * s1 * s1, "seed \(seed) step \(step): a share is worth less")
            #expect(pool.reserve0 > 0 && pool.reserve1 > 0 && pool.reserve0 <= PoolMath.maxReserve && pool.reserve1 <= PoolMath.maxReserve)
        }
        #expect(checked > 100, "only \(checked) operations went through")
    }
}
