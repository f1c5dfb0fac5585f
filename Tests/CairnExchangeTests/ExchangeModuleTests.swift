import Testing
import CairnBank
import CairnLedger
import CairnExchange
import CairnApp
import CairnPrimitives
import CairnTestSupport

@Suite struct ExchangeModuleTests {
    static let usdc = ExchangeFixture.usdc

    @Test func aPoolIsCreatedJoinedSwappedAndLeftWithEveryCoinAccountedFor() throws {
        let f = try ExchangeFixture()
        let aliceUSDC = try f.balance(f.alice.address, Self.usdc)
        let r = try f.createPool(cairn: 10_000_000_000, usdc: 40_000_000_000)
        // √(1e10 · 4e10) = 2e10 shares, 1,000 of them locked.
        #expect(r.attribute("exchange.create_pool", "shares") == "19999999000")
        #expect(try f.balance(f.alice.address, "pool/1") == 19_999_999_000)
        #expect(try f.balance(ExchangeAccounts.locked, "pool/1") == 1_000)
        #expect(try f.balance(f.alice.address, Self.usdc) == aliceUSDC - 40_000_000_000)
        #expect(try f.balance(ExchangeAccounts.pools, Self.usdc) == 40_000_000_000)

        // Bob sells 1,000 cairn for at least what the formula pays.
        let expected = try PoolMath.amountOut(in: 1_000_000_000, reserveIn: 10_000_000_000, reserveOut: 40_000_000_000, feeBps: 30)
        let bobUSDC = try f.balance(f.bob.address, Self.usdc)
        let swap = try f.succeed(f.bob, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 1_000_000_000, minOut: expected),
                                                deadline: f.height + 1))
        #expect(swap.attribute("exchange.swap", "amount_out") == String(expected))
        #expect(try f.balance(f.bob.address, Self.usdc) == bobUSDC + expected)
        #expect(try f.pool().reserve0 == 11_000_000_000 && f.pool().reserve1 == 40_000_000_000 - expected)

        // Bob joins and leaves: he gets back no more than he put in.
        let bobCairn = try f.balance(f.bob.address)
        let join = try f.succeed(f.bob, MsgAddLiquidity(poolID: 1, amount0: 1_000_000_000, amount1: 10_000_000_000, minShares: 1, deadline: 0))
        let shares = try #require(join.attribute("exchange.add_liquidity", "shares").flatMap { UInt128($0) })
        let in0 = try #require(join.attribute("exchange.add_liquidity", "amount0").flatMap { UInt128($0) })
        let in1 = try #require(join.attribute("exchange.add_liquidity", "amount1").flatMap { UInt128($0) })
        #expect(in0 == 1_000_000_000 && in1 < 10_000_000_000) // at the pool's ratio
        let exit = try f.succeed(f.bob, MsgRemoveLiquidity(poolID: 1, shares: Amount(shares), minAmount0: 0, minAmount1: 0, deadline: 0))
        let out0 = try #require(exit.attribute("exchange.remove_liquidity", "amount0").flatMap { UInt128($0) })
        let out1 = try #require(exit.attribute("exchange.remove_liquidity", "amount1").flatMap { UInt128($0) })
        #expect(out0 <= in0 && out1 <= in1 && in0 - out0 <= 1 && in1 - out1 <= 4)
        #expect(try f.balance(f.bob.address, "pool/1") == 0)
        #expect(try f.balance(f.bob.address) == bobCairn - in0 + out0 - join.fee.value - exit.fee.value)

        let views = try f.exchange.pools(state: f.state, time: f.harness.time)
        #expect(views.count == 1 && views[0].denom0 == Denom.native && views[0].denom1 == Self.usdc && views[0].shareDenom == "pool/1")
        #expect(views[0].price0.hasPrefix("3.") && views[0].price1.hasPrefix("0.3"), "\(views[0])")
        #expect(f.violations.isEmpty, "\(f.violations)")
    }

    @Test func poolsThatCannotBeMadeAreRefused() throws {
        let f = try ExchangeFixture()
        // The stateless checks drop these before they reach a block.
        try f.dropped(f.alice, MsgCreatePool(denomA: Denom.native, amountA: 1_000_000, denomB: Denom.native, amountB: 1_000_000), code: 2)
        try f.dropped(f.alice, MsgCreatePool(denomA: "pool/1", amountA: 1_000_000, denomB: Denom.native, amountB: 1_000_000), code: 2)
        try f.dropped(f.alice, MsgCreatePool(denomA: "Bad Denom", amountA: 1_000_000, denomB: Denom.native, amountB: 1_000_000), code: 2)
        try f.dropped(f.alice, MsgCreatePool(denomA: Denom.native, amountA: 0, denomB: Self.usdc, amountB: 1_000_000), code: 4)
        try f.dropped(f.alice, MsgCreatePool(denomA: Denom.native, amountA: Amount(PoolMath.maxReserve + 1), denomB: Self.usdc, amountB: 1_000_000),
                      code: 8)
        // √(1000 · 1000) shares would all be locked: nothing would be left to the creator.
        try f.refuse(f.alice, MsgCreatePool(denomA: Denom.native, amountA: 1_000, denomB: Self.usdc, amountB: 1_000), code: 7)
        // More than the creator holds fails in the bank and leaves nothing behind.
        try f.refuse(f.alice, MsgCreatePool(denomA: Denom.native, amountA: Amount(ExchangeFixture.funds.value * 2), denomB: Self.usdc,
                                            amountB: 1_000_000), code: 1, module: BankError.codespace)
        #expect(try f.exchange.pools(state: f.state).isEmpty)
        try f.createPool()
        // One pool per pair, in either order.
        try f.refuse(f.bob, MsgCreatePool(denomA: Self.usdc, amountA: 5_000_000, denomB: Denom.native, amountB: 5_000_000), code: 3)
        #expect(f.violations.isEmpty, "\(f.violations)")
    }

    @Test func deadlinesAndSlippageLimitsAreHonoured() throws {
        let f = try ExchangeFixture()
        try f.createPool()
        try f.refuse(f.bob, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 1_000_000, minOut: 0), deadline: f.height), code: 5)
        let quote = try PoolMath.amountOut(in: 1_000_000, reserveIn: 10_000_000_000, reserveOut: 20_000_000_000, feeBps: 30)
        try f.refuse(f.bob, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 1_000_000, minOut: quote + 1), deadline: 0), code: 6)
        let cost = try PoolMath.amountIn(out: 1_000_000, reserveIn: 20_000_000_000, reserveOut: 10_000_000_000, feeBps: 30)
        try f.refuse(f.bob, MsgSwap(poolID: 1, denomIn: Self.usdc, trade: .exactOut(amount: 1_000_000, maxIn: cost - 1), deadline: 0), code: 6)
        try f.refuse(f.bob, MsgSwap(poolID: 1, denomIn: Self.usdc, trade: .exactOut(amount: 10_000_000_000, maxIn: .max), deadline: 0), code: 7)
        try f.refuse(f.bob, MsgSwap(poolID: 1, denomIn: "uother", trade: .exactIn(amount: 1_000, minOut: 0), deadline: 0), code: 2)
        try f.dropped(f.bob, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 0, minOut: 0), deadline: 0), code: 4)
        try f.refuse(f.bob, MsgSwap(poolID: 9, denomIn: Denom.native, trade: .exactIn(amount: 1_000, minOut: 0), deadline: 0), code: 1)
        try f.refuse(f.bob, MsgAddLiquidity(poolID: 1, amount0: 1_000_000, amount1: 2_000_000, minShares: 2_000_000, deadline: 0), code: 7)
        try f.refuse(f.bob, MsgAddLiquidity(poolID: 1, amount0: 1_000_000, amount1: 2_000_000, minShares: 0, deadline: f.height), code: 5)
        // Shares bob does not hold cannot be burned.
        try f.refuse(f.bob, MsgRemoveLiquidity(poolID: 1, shares: 1_000, minAmount0: 0, minAmount1: 0, deadline: 0), code: 1, module: BankError.codespace)
        let cost2 = try PoolMath.amountIn(out: 1_000_000, reserveIn: 20_000_000_000, reserveOut: 10_000_000_000, feeBps: 30)
        let r = try f.succeed(f.bob, MsgSwap(poolID: 1, denomIn: Self.usdc, trade: .exactOut(amount: 1_000_000, maxIn: cost2), deadline: 0))
        #expect(r.attribute("exchange.swap", "amount_in") == String(cost2) && r.attribute("exchange.swap", "amount_out") == "1000000")
        #expect(f.violations.isEmpty, "\(f.violations)")
    }

    /// The first-depositor and donation attacks on share accounting: make one share worth so much that a later
    /// deposit rounds down to nothing, and keep the deposit.
    @Test func aShareCannotBeInflatedCheaplyOrMadeToSwallowADeposit() throws {
        let f = try ExchangeFixture()
        // Mallory opens the smallest pool there can be: one share for her, 1,000 locked.
        try f.succeed(f.mallory, MsgCreatePool(denomA: Denom.native, amountA: 1_001, denomB: Self.usdc, amountB: 1_001))
        #expect(try f.balance(f.mallory.address, "pool/1") == 1)
        // A gift to the pools' account is refused by the bank, so it cannot raise the reserves behind her share.
        try f.refuse(f.mallory, MsgSend(to: ExchangeAccounts.pools, coins: [Coin(denom: Self.usdc, amount: 1_000_000_000)]), code: 7,
                     module: BankError.codespace)
        #expect(try f.pool().reserve1 == 1_001)
        // The other way to raise them is to pay swap fees into the pool, which the locked shares mostly keep: round trips
        // that sell cairn and buy it back with what they got.
        func value(_ p: Pool, _ cairn: UInt128, _ usdc: UInt128) -> Double { Double(cairn) * Double(p.reserve1) / Double(p.reserve0) + Double(usdc) }
        func holdings() throws -> (UInt128, UInt128) { (try f.balance(f.mallory.address), try f.balance(f.mallory.address, Self.usdc)) }
        let start = try f.pool()
        let (c0, u0) = try holdings()
        var fees: UInt128 = 0
        for _ in 0..<50 {
            let sell = try f.succeed(f.mallory, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 10_000, minOut: 1), deadline: 0))
            let got = try #require(sell.attribute("exchange.swap", "amount_out").flatMap { UInt128($0) })
            let buy = try f.succeed(f.mallory, MsgSwap(poolID: 1, denomIn: Self.usdc, trade: .exactIn(amount: got, minOut: 1), deadline: 0))
            fees += sell.fee.value + buy.fee.value
        }
        let pool = try f.pool()
        let (c1, u1) = try holdings()
        // Everything at the final price.
        let spent = value(pool, c0 - c1 - fees, 0) + Double(u0) - Double(u1)
        let shareBefore = value(pool, start.reserve0, start.reserve1) / Double(start.totalShares)
        let shareAfter = value(pool, pool.reserve0, pool.reserve1) / Double(pool.totalShares)
        #expect(pool.reserve0 > pool.totalShares, "the round trips raised a share only to \(pool.reserve0) / \(pool.totalShares) cairn")
        // A deposit worth less than one share is refused, not swallowed.
        let aliceBefore = try f.balance(f.alice.address)
        let tiny = try f.run(f.alice, MsgAddLiquidity(poolID: 1, amount0: 1, amount1: 1, minShares: 0, deadline: 0))
        #expect(!tiny.success && tiny.error?.module == ExchangeError.codespace, "\(String(describing: tiny.error))")
        #expect(try f.balance(f.alice.address) == aliceBefore - tiny.fee.value)
        // A real deposit gets its worth back, less at most a share and a unit of each side of rounding...
        let join = try f.succeed(f.alice, MsgAddLiquidity(poolID: 1, amount0: 5_000_000, amount1: 5_000_000, minShares: 1, deadline: 0))
        let shares = try #require(join.attribute("exchange.add_liquidity", "shares").flatMap { UInt128($0) })
        let in0 = try #require(join.attribute("exchange.add_liquidity", "amount0").flatMap { UInt128($0) })
        let in1 = try #require(join.attribute("exchange.add_liquidity", "amount1").flatMap { UInt128($0) })
        let exit = try f.succeed(f.alice, MsgRemoveLiquidity(poolID: 1, shares: Amount(shares), minAmount0: 0, minAmount1: 0, deadline: 0))
        let out0 = try #require(exit.attribute("exchange.remove_liquidity", "amount0").flatMap { UInt128($0) })
        let out1 = try #require(exit.attribute("exchange.remove_liquidity", "amount1").flatMap { UInt128($0) })
        #expect(out0 <= in0 && out1 <= in1)
        let lost = value(pool, in0 - out0, in1 - out1)
        let bound = shareAfter + value(pool, 1, 1)
        #expect(lost <= bound, "lost \(lost), the bound is \(bound)")
        // ...while raising a share's worth cost Mallory hundreds of times what her own share gained.
        #expect(spent >= 500 * (shareAfter - shareBefore), "mallory spent \(spent) to raise a share by \(shareAfter - shareBefore)")
        #expect(f.violations.isEmpty, "\(f.violations)")
    }

    @Test func theBuybackBurnsTheProtocolsFeeAndTheTreasurysShareByCause() throws {
        var params = ExchangeParams.default
        params.buybackIntervalBlocks = 10
        params.treasuryBuybackBps = 5_000
        let f = try ExchangeFixture(params: params)
        try f.createPool()
        // Trade both ways so fees accrue, then a join mints the protocol its sixth of the growth of √k.
        for i in 0..<6 {
            try f.succeed(f.bob, MsgSwap(poolID: 1, denomIn: i % 2 == 0 ? Denom.native : Self.usdc,
                                         trade: .exactIn(amount: 500_000_000, minOut: 1), deadline: 0))
        }
        let join = try f.succeed(f.bob, MsgAddLiquidity(poolID: 1, amount0: 1_000_000, amount1: 2_000_000, minShares: 1, deadline: 0))
        let protocolShares = try #require(join.attribute("exchange.add_liquidity", "protocol_shares").flatMap { UInt128($0) })
        #expect(protocolShares > 0)
        #expect(try f.balance(ExchangeAccounts.protocolFee, "pool/1") == protocolShares)
        // Run to the buyback after next (the first one starts the price window), one block at a time to see it.
        var burned = [String: Amount]()
        var skipped = 0
        while burned.isEmpty || f.height < 30 {
            let exec = try f.block()
            for e in exec.blockEvents where e.type == "exchange.buyback" { burned[e["cause"]!] = Amount(decimal: e["burned"]!) }
            skipped += exec.blockEvents.filter { $0.type == "exchange.buyback_skipped" }.count
            #expect(f.height < 60, "no buyback")
            if f.height >= 60 { break }
        }
        #expect(try f.balance(ExchangeAccounts.protocolFee, "pool/1") == 0)
        #expect(try f.balance(ExchangeAccounts.protocolFee, Self.usdc) == 0 && f.balance(ExchangeAccounts.protocolFee) == 0)
        let summary = try f.exchange.summary(state: f.state)
        #expect(try #require(summary.burnedByCause["protocol-fee"]) > .zero)
        #expect(try #require(summary.burnedByCause["treasury"]) > .zero)
        #expect(f.violations.isEmpty, "\(f.violations)")
        _ = skipped
    }

    @Test func aPricePushedInTheBuybackBlockMakesTheBuybackLeaveThePoolAlone() throws {
        var params = ExchangeParams.default
        params.buybackIntervalBlocks = 10
        let f = try ExchangeFixture(params: params)
        try f.createPool()
        try f.blocks(10) // past the first buyback
        for i in 0..<4 {
            try f.succeed(f.bob, MsgSwap(poolID: 1, denomIn: i % 2 == 0 ? Denom.native : Self.usdc,
                                         trade: .exactIn(amount: 500_000_000, minOut: 1), deadline: 0))
        }
        try f.succeed(f.bob, MsgAddLiquidity(poolID: 1, amount0: 1_000_000, amount1: 2_000_000, minShares: 1, deadline: 0))
        let held = try f.balance(ExchangeAccounts.protocolFee, "pool/1")
        #expect(held > 0)
        try f.blocksUntilBefore(multipleOf: 10)
        // Mallory pushes the price by a fifth in the buyback's own block.
        let push = try f.run(f.mallory, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 1_000_000_000, minOut: 1), deadline: 0))
        #expect(push.success && f.height % 10 == 0)
        #expect(try f.balance(ExchangeAccounts.protocolFee, "pool/1") == held, "the buyback redeemed at a pushed price")
        #expect(try f.exchange.burned(.protocolFee, state: f.state) == .zero)
        // A price that stays where it was pushed is the market's price by the next buyback.
        var minted: UInt128?
        for _ in 0..<10 {
            let exec = try f.block()
            for e in exec.blockEvents where e.type == "exchange.remove_liquidity" && e["provider"] == ExchangeAccounts.protocolFee.bech32 {
                #expect(e["shares"] == String(held))
                minted = e["protocol_shares"].flatMap { UInt128($0) }
            }
        }
        // The redemption itself mints the protocol its cut of the push's fee: those are all it holds now.
        #expect(try f.balance(ExchangeAccounts.protocolFee, "pool/1") == #require(minted))
        #expect(try f.exchange.burned(.protocolFee, state: f.state) > .zero)
        #expect(f.violations.isEmpty, "\(f.violations)")
    }

    @Test func governanceSetsTheFeeWithinItsBounds() throws {
        let f = try ExchangeFixture()
        try f.harness.withContext(proposer: ExchangeFixture.validator.address) { context in
            try f.exchange.setParameter("swapFeeBps", to: .number(100), context: context)
            #expect(throws: LedgerError.self) { try f.exchange.setParameter("swapFeeBps", to: .number(5_000), context: context) }
        }
        #expect(try f.exchange.params(state: f.state).swapFeeBps == 100)
        try f.createPool()
        let r = try f.succeed(f.bob, MsgSwap(poolID: 1, denomIn: Denom.native, trade: .exactIn(amount: 1_000_000, minOut: 0), deadline: 0))
        let expected = try PoolMath.amountOut(in: 1_000_000, reserveIn: 10_000_000_000, reserveOut: 20_000_000_000, feeBps: 100)
        #expect(r.attribute("exchange.swap", "amount_out") == String(expected))
    }

    @Test func messagesRoundTripTheirCanonicalBytesAndRefuseGarbage() throws {
        let messages: [any LedgerMessage] = [
            MsgCreatePool(denomA: "ucairn", amountA: 5, denomB: "uusdc", amountB: 7),
            MsgAddLiquidity(poolID: 3, amount0: 1, amount1: 2, minShares: 3, deadline: 4),
            MsgRemoveLiquidity(poolID: 3, shares: 9, minAmount0: 1, minAmount1: 2, deadline: 5),
            MsgSwap(poolID: 2, denomIn: "uusdc", trade: .exactOut(amount: 5, maxIn: 9), deadline: 8),
            MsgSwap(poolID: 2, denomIn: "uusdc", trade: .exactIn(amount: 5, minOut: 1), deadline: 8),
        ]
        let decoders = LedgerWiring.exchange.messageDecoders
        for m in messages {
            let bytes = m.canonicalBytes
            let decode = try #require(decoders[type(of: m).typeName])
            let back: any LedgerMessage = try decode(bytes)
            #expect(back.canonicalBytes == bytes)
            let truncated = Array(bytes.dropLast())
            var failed = false
            do { _ = try decode(truncated) } catch { failed = true }
            #expect(failed, "\(type(of: m).typeName) decoded from truncated bytes")
        }
        var bad = MsgSwap(poolID: 2, denomIn: "uusdc", trade: .exactIn(amount: 5, minOut: 1), deadline: 8).canonicalBytes
        bad[8 + 4 + 5] = 7 // the trade kind
        let decodeSwap = try #require(decoders[MsgSwap.typeName])
        var refused = false
        do { _ = try decodeSwap(bad) } catch { refused = true }
        #expect(refused)
    }
}
