public import CairnPrimitives
public import CairnLedger

extension ExchangeModule {
    /// Every `buybackIntervalBlocks`: redeem the protocol's fee shares, sell what is not CAIRN for CAIRN through
    /// the pools, burn the CAIRN, and burn the governance-set share of the treasury's income. A pool whose spot price
    /// is away from its time-weighted average since the last buyback is left alone this time, so a price pushed
    /// within a block cannot make the protocol trade at it.
    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let params = try params(state: context.state)
        guard context.height % params.buybackIntervalBlocks == 0 else { return }
        let store = ExchangeStore(state: context.state)
        var fair = Set<UInt64>()
        for var pool in try store.read.pools() {
            let now = pool.cumulative(at: context.time)
            let current = Observation(time: context.time, price0Cumulative: now.price0, price1Cumulative: now.price1)
            let previous = try store.read.observation(pool.id)
            store.write(current, pool: pool.id)
            guard let previous, let average = previous.averagePrices(to: current) else {
                context.emit(ExchangeEvents.buybackSkipped(pool: pool.id, reason: "no time has passed since the last observation"))
                continue
            }
            let spot = PoolMath.price(numerator: pool.reserve1, denominator: pool.reserve0)
            guard Self.within(spot, of: average.price0, bps: params.maxTwapDeviationBps) else {
                context.emit(ExchangeEvents.buybackSkipped(pool: pool.id, reason: "the spot price is more than \(params.maxTwapDeviationBps) "
                                                          + "basis points from its average since the last buyback"))
                continue
            }
            fair.insert(pool.id)
            // Redeem the protocol's shares of a fairly priced pool.
            let held = try balance(ExchangeAccounts.protocolFee, pool.shareDenom, context.state)
            guard held > 0, let exit = try? pool.exit(shares: held, protocolFee: params.protocolFeeOn, time: context.time) else { continue }
            try bank.burn(Self.coin(pool.shareDenom, held), from: ExchangeAccounts.protocolFee, context: context)
            try bank.mint(Self.coin(pool.shareDenom, exit.protocolShares), to: ExchangeAccounts.protocolFee, context: context)
            try bank.send(Self.coin(pool.denom0, exit.amount0), from: ExchangeAccounts.pools, to: ExchangeAccounts.protocolFee, context: context)
            try bank.send(Self.coin(pool.denom1, exit.amount1), from: ExchangeAccounts.pools, to: ExchangeAccounts.protocolFee, context: context)
            store.write(pool)
            context.emit(ExchangeEvents.remove(pool, provider: ExchangeAccounts.protocolFee, shares: held, exit: exit))
        }
        // Sell every other denomination the protocol holds for CAIRN, through a fairly priced pool.
        let holdings: [Coin]
        do { holdings = try bank.balances(of: ExchangeAccounts.protocolFee, state: context.state) } catch {
            throw ExchangeError.corrupt("protocol account balances: \(error)")
        }
        for coin in holdings where coin.denom != Denom.native && !Pool.isShareDenom(coin.denom) {
            guard let id = try store.read.poolID(coin.denom, Denom.native), fair.contains(id) else { continue }
            var pool = try store.read.existingPool(id)
            guard let done = try? pool.swap(denomIn: coin.denom, .exactIn(amount: coin.amount.value, minOut: 1), feeBps: UInt128(params.swapFeeBps),
                                            time: context.time) else { continue }
            try bank.send(Self.coin(coin.denom, done.amountIn), from: ExchangeAccounts.protocolFee, to: ExchangeAccounts.pools, context: context)
            try bank.send(Self.coin(Denom.native, done.amountOut), from: ExchangeAccounts.pools, to: ExchangeAccounts.protocolFee, context: context)
            store.write(pool)
            context.emit(ExchangeEvents.swap(pool, trader: ExchangeAccounts.protocolFee, denomIn: coin.denom, amountIn: done.amountIn,
                                             denomOut: Denom.native, amountOut: done.amountOut))
        }
        let cairn = try balance(ExchangeAccounts.protocolFee, Denom.native, context.state)
        try burn(Amount(cairn), from: ExchangeAccounts.protocolFee, cause: .protocolFee, store: store, context: context)
        // The treasury's CAIRN income since the last buyback, and the share of it governance set aside to burn.
        let treasury = Amount(try balance(ModuleAccount.treasury, Denom.native, context.state))
        let mark = try store.read.treasuryMark() ?? treasury
        let income = treasury.subtracting(mark) ?? .zero
        let toBurn = Amount(UInt256.product(income.value, UInt128(params.treasuryBuybackBps)).divided(by: 10_000) ?? 0)
        try burn(toBurn, from: ModuleAccount.treasury, cause: .treasury, store: store, context: context)
        store.setAmount(ExchangeKeys.treasuryMark, treasury.subtracting(toBurn) ?? .zero)
    }

    func burn(_ amount: Amount, from: Address, cause: BuybackCause, store: ExchangeStore, context: ExecutionContext) throws(LedgerError) {
        guard amount > .zero else { return }
        try bank.burn(Coin(denom: Denom.native, amount: amount), from: from, context: context)
        let total = try store.read.burned(cause)
        guard let sum = total.adding(amount) else { throw ExchangeError.tooLarge("the total burned for \(cause.rawValue)") }
        store.setAmount(ExchangeKeys.burned(cause), sum)
        context.emit(ExchangeEvents.buyback(cause: cause, burned: amount))
    }

    func balance(_ a: Address, _ denom: String, _ state: any StateReader) throws(LedgerError) -> UInt128 {
        do { return try bank.balance(of: a, denom: denom, state: state).value } catch { throw ExchangeError.corrupt("balance of \(denom): \(error)") }
    }

    /// Whether `spot` is within `bps` basis points of `average`.
    static func within(_ spot: UInt256, of average: UInt256, bps: UInt32) -> Bool {
        guard !average.isZero else { return false }
        let difference = spot > average ? spot.subtracting(average)! : average.subtracting(spot)!
        guard let lhs = difference.multiplied(by: 10_000) else { return false }
        guard let rhs = average.multiplied(by: UInt128(bps)) else { return true }
        return lhs <= rhs
    }
}
