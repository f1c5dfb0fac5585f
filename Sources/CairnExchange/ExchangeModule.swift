public import CairnPrimitives
public import CairnLedger

/// The exchange: constant-product pools of any two denominations (Uniswap v2's arithmetic), their shares as
/// bank denominations, time-weighted price accumulators, and buybacks that burn CAIRN with the protocol's
/// fee and a governance-set share of the treasury's income.
public struct ExchangeModule: LedgerModule {
    public let name = ExchangeKeys.module
    let bank: any ExchangeBank

    public init(bank: any ExchangeBank) { self.bank = bank }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgCreatePool.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgCreatePool(canonicalBytes: b) },
            MsgAddLiquidity.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgAddLiquidity(canonicalBytes: b) },
            MsgRemoveLiquidity.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRemoveLiquidity(canonicalBytes: b) },
            MsgSwap.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgSwap(canonicalBytes: b) },
        ]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgCreatePool: try create(m, signer: signer, context: context)
        case let m as MsgAddLiquidity: try add(m, signer: signer, context: context)
        case let m as MsgRemoveLiquidity: try remove(m, signer: signer, context: context)
        case let m as MsgSwap: try swap(m, signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    static func coin(_ denom: String, _ amount: UInt128) -> Coin { Coin(denom: denom, amount: Amount(amount)) }

    static func checkDeadline(_ deadline: UInt64, _ context: ExecutionContext) throws(LedgerError) {
        guard deadline == 0 || context.height <= deadline else { throw ExchangeError.deadlinePassed(deadline, height: context.height) }
    }

    func create(_ m: MsgCreatePool, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = ExchangeStore(state: context.state)
        let params = try params(state: context.state)
        let (d0, d1) = Pool.order(m.denomA, m.denomB)
        let (a0, a1) = d0 == m.denomA ? (m.amountA.value, m.amountB.value) : (m.amountB.value, m.amountA.value)
        if let existing = try store.read.poolID(d0, d1) { throw ExchangeError.poolExists(existing, d0, d1) }
        let id = try store.read.nextPoolID()
        let created: (pool: Pool, shares: UInt128)
        do {
            created = try Pool.create(id: id, denom0: d0, amount0: a0, denom1: d1, amount1: a1, protocolFee: params.protocolFeeOn,
                                      height: context.height, time: context.time)
        } catch { throw ExchangeError.from(error, "creating the pool") }
        let pool = created.pool
        try bank.send(Self.coin(d0, a0), from: signer, to: ExchangeAccounts.pools, context: context)
        try bank.send(Self.coin(d1, a1), from: signer, to: ExchangeAccounts.pools, context: context)
        try bank.mint(Self.coin(pool.shareDenom, created.shares), to: signer, context: context)
        try bank.mint(Self.coin(pool.shareDenom, PoolMath.minimumLiquidity), to: ExchangeAccounts.locked, context: context)
        store.create(pool)
        store.write(Observation(time: context.time, price0Cumulative: .zero, price1Cumulative: .zero), pool: id)
        context.emit(ExchangeEvents.create(pool, creator: signer, shares: created.shares))
    }

    func add(_ m: MsgAddLiquidity, signer: Address, context: ExecutionContext) throws(LedgerError) {
        try Self.checkDeadline(m.deadline, context)
        let store = ExchangeStore(state: context.state)
        let params = try params(state: context.state)
        var pool = try store.read.existingPool(m.poolID)
        let join: Pool.Join
        do {
            join = try pool.join(desired0: m.amount0.value, desired1: m.amount1.value, minShares: m.minShares.value,
                                 protocolFee: params.protocolFeeOn, time: context.time)
        } catch { throw ExchangeError.from(error, "adding liquidity to pool \(pool.id)") }
        try bank.send(Self.coin(pool.denom0, join.amount0), from: signer, to: ExchangeAccounts.pools, context: context)
        try bank.send(Self.coin(pool.denom1, join.amount1), from: signer, to: ExchangeAccounts.pools, context: context)
        try bank.mint(Self.coin(pool.shareDenom, join.protocolShares), to: ExchangeAccounts.protocolFee, context: context)
        try bank.mint(Self.coin(pool.shareDenom, join.shares), to: signer, context: context)
        store.write(pool)
        context.emit(ExchangeEvents.add(pool, provider: signer, join: join))
    }

    func remove(_ m: MsgRemoveLiquidity, signer: Address, context: ExecutionContext) throws(LedgerError) {
        try Self.checkDeadline(m.deadline, context)
        let store = ExchangeStore(state: context.state)
        let params = try params(state: context.state)
        var pool = try store.read.existingPool(m.poolID)
        let exit: Pool.Exit
        do {
            exit = try pool.exit(shares: m.shares.value, min0: m.minAmount0.value, min1: m.minAmount1.value, protocolFee: params.protocolFeeOn,
                                 time: context.time)
        } catch { throw ExchangeError.from(error, "removing liquidity from pool \(pool.id)") }
        // The burn fails with the bank's error when the signer holds fewer shares.
        try bank.burn(Self.coin(pool.shareDenom, m.shares.value), from: signer, context: context)
        try bank.mint(Self.coin(pool.shareDenom, exit.protocolShares), to: ExchangeAccounts.protocolFee, context: context)
        try bank.send(Self.coin(pool.denom0, exit.amount0), from: ExchangeAccounts.pools, to: signer, context: context)
        try bank.send(Self.coin(pool.denom1, exit.amount1), from: ExchangeAccounts.pools, to: signer, context: context)
        store.write(pool)
        context.emit(ExchangeEvents.remove(pool, provider: signer, shares: m.shares.value, exit: exit))
    }

    func swap(_ m: MsgSwap, signer: Address, context: ExecutionContext) throws(LedgerError) {
        try Self.checkDeadline(m.deadline, context)
        let store = ExchangeStore(state: context.state)
        let params = try params(state: context.state)
        var pool = try store.read.existingPool(m.poolID)
        guard pool.reserve(of: m.denomIn) != nil else {
            throw ExchangeError.invalidDenom(m.denomIn, "is not traded by pool \(pool.id) (\(pool.denom0)/\(pool.denom1))")
        }
        let denomOut = m.denomIn == pool.denom0 ? pool.denom1 : pool.denom0
        let done: (amountIn: UInt128, amountOut: UInt128)
        do { done = try pool.swap(denomIn: m.denomIn, m.trade, feeBps: UInt128(params.swapFeeBps), time: context.time) } catch {
            throw ExchangeError.from(error, "swapping \(m.denomIn) in pool \(pool.id)")
        }
        try bank.send(Self.coin(m.denomIn, done.amountIn), from: signer, to: ExchangeAccounts.pools, context: context)
        try bank.send(Self.coin(denomOut, done.amountOut), from: ExchangeAccounts.pools, to: signer, context: context)
        store.write(pool)
        context.emit(ExchangeEvents.swap(pool, trader: signer, denomIn: m.denomIn, amountIn: done.amountIn, denomOut: denomOut,
                                         amountOut: done.amountOut))
    }
}
