public import CairnPrimitives
public import CairnLedger

/// `exchange/create-pool`: a pool of two denominations, funded by the signer with its first liquidity.
public struct MsgCreatePool: LedgerMessage, Equatable {
    public static let typeName = "exchange/create-pool"

    public var denomA: String
    public var amountA: Amount
    public var denomB: String
    public var amountB: Amount

    public init(denomA: String, amountA: Amount, denomB: String, amountB: Amount) {
        self.denomA = denomA
        self.amountA = amountA
        self.denomB = denomB
        self.amountB = amountB
    }

    /// 50,000 gas.
    public var gas: UInt64 { ExchangeGas.createPool }

    public func validate() throws(LedgerError) {
        for d in [denomA, denomB] {
            guard Denom.isValid(d) else { throw ExchangeError.invalidDenom(d, "is not a valid denomination") }
            guard !Pool.isShareDenom(d) else { throw ExchangeError.invalidDenom(d, "is a pool's shares, which no pool trades") }
        }
        guard denomA != denomB else { throw ExchangeError.invalidDenom(denomA, "is on both sides; a pool trades two denominations") }
        guard amountA > .zero else { throw ExchangeError.zeroAmount("the first deposit of \(denomA)") }
        guard amountB > .zero else { throw ExchangeError.zeroAmount("the first deposit of \(denomB)") }
        guard amountA.value <= PoolMath.maxReserve, amountB.value <= PoolMath.maxReserve else {
            throw ExchangeError.tooLarge("a reserve holds at most 2^112 - 1")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(denomA)
        w.write(amountA)
        w.write(denomB)
        w.write(amountB)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        denomA = try r.readString(limit: 64)
        amountA = try r.readAmount()
        denomB = try r.readString(limit: 64)
        amountB = try r.readAmount()
    }
}

/// `exchange/add-liquidity`: deposits at most the desired amounts at the pool's ratio for at least `minShares`.
public struct MsgAddLiquidity: LedgerMessage, Equatable {
    public static let typeName = "exchange/add-liquidity"

    public var poolID: UInt64
    /// At most this much of the pool's denom0 goes in.
    public var amount0: Amount
    /// At most this much of the pool's denom1 goes in.
    public var amount1: Amount
    /// Fewer shares than this fail the transaction.
    public var minShares: Amount
    /// The last height the deposit may execute in.
    public var deadline: UInt64

    public init(poolID: UInt64, amount0: Amount, amount1: Amount, minShares: Amount, deadline: UInt64) {
        self.poolID = poolID
        self.amount0 = amount0
        self.amount1 = amount1
        self.minShares = minShares
        self.deadline = deadline
    }

    /// 30,000 gas.
    public var gas: UInt64 { ExchangeGas.addLiquidity }

    public func validate() throws(LedgerError) {
        guard amount0 > .zero, amount1 > .zero else { throw ExchangeError.zeroAmount("each side of a deposit") }
        guard amount0.value <= PoolMath.maxReserve, amount1.value <= PoolMath.maxReserve else {
            throw ExchangeError.tooLarge("a reserve holds at most 2^112 - 1")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(poolID)
        w.write(amount0)
        w.write(amount1)
        w.write(minShares)
        w.write(deadline)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        poolID = try r.readUInt64()
        amount0 = try r.readAmount()
        amount1 = try r.readAmount()
        minShares = try r.readAmount()
        deadline = try r.readUInt64()
    }
}

/// `exchange/remove-liquidity`: burns shares for their part of both reserves, at least the minimums.
public struct MsgRemoveLiquidity: LedgerMessage, Equatable {
    public static let typeName = "exchange/remove-liquidity"

    public var poolID: UInt64
    public var shares: Amount
    public var minAmount0: Amount
    public var minAmount1: Amount
    public var deadline: UInt64

    public init(poolID: UInt64, shares: Amount, minAmount0: Amount, minAmount1: Amount, deadline: UInt64) {
        self.poolID = poolID
        self.shares = shares
        self.minAmount0 = minAmount0
        self.minAmount1 = minAmount1
        self.deadline = deadline
    }

    /// 30,000 gas.
    public var gas: UInt64 { ExchangeGas.removeLiquidity }

    public func validate() throws(LedgerError) {
        guard shares > .zero else { throw ExchangeError.zeroAmount("the shares to remove") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(poolID)
        w.write(shares)
        w.write(minAmount0)
        w.write(minAmount1)
        w.write(deadline)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        poolID = try r.readUInt64()
        shares = try r.readAmount()
        minAmount0 = try r.readAmount()
        minAmount1 = try r.readAmount()
        deadline = try r.readUInt64()
    }
}

/// `exchange/swap`: sells `denomIn` for the pool's other denomination, exactly in with a minimum out, or exactly
/// out with a maximum in.
public struct MsgSwap: LedgerMessage, Equatable {
    public static let typeName = "exchange/swap"

    public var poolID: UInt64
    public var denomIn: String
    public var trade: Pool.Trade
    public var deadline: UInt64

    public init(poolID: UInt64, denomIn: String, trade: Pool.Trade, deadline: UInt64) {
        self.poolID = poolID
        self.denomIn = denomIn
        self.trade = trade
        self.deadline = deadline
    }

    /// 25,000 gas.
    public var gas: UInt64 { ExchangeGas.swap }

    public func validate() throws(LedgerError) {
        guard Denom.isValid(denomIn) else { throw ExchangeError.invalidDenom(denomIn, "is not a valid denomination") }
        switch trade {
        case let .exactIn(amount, _):
            guard amount > 0 else { throw ExchangeError.zeroAmount("the amount in") }
            guard amount <= PoolMath.maxReserve else { throw ExchangeError.tooLarge("a reserve holds at most 2^112 - 1") }
        case let .exactOut(amount, maxIn):
            guard amount > 0 else { throw ExchangeError.zeroAmount("the amount out") }
            guard maxIn > 0 else { throw ExchangeError.zeroAmount("the most to put in") }
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(poolID)
        w.write(denomIn)
        switch trade {
        case let .exactIn(amount, minOut):
            w.write(UInt8(0))
            w.write(amount)
            w.write(minOut)
        case let .exactOut(amount, maxIn):
            w.write(UInt8(1))
            w.write(amount)
            w.write(maxIn)
        }
        w.write(deadline)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        poolID = try r.readUInt64()
        denomIn = try r.readString(limit: 64)
        switch try r.readUInt8() {
        case 0: trade = .exactIn(amount: try r.readUInt128(), minOut: try r.readUInt128())
        case 1: trade = .exactOut(amount: try r.readUInt128(), maxIn: try r.readUInt128())
        case let k: throw DecodeError("unknown swap kind \(k)")
        }
        deadline = try r.readUInt64()
    }
}

extension Pool.Trade: Encodable {
    enum CodingKeys: String, CodingKey { case exactIn, exactOut, amount, minOut, maxIn }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .exactIn(amount, minOut):
            try c.encode(Amount(amount), forKey: .exactIn)
            try c.encode(Amount(minOut), forKey: .minOut)
        case let .exactOut(amount, maxIn):
            try c.encode(Amount(amount), forKey: .exactOut)
            try c.encode(Amount(maxIn), forKey: .maxIn)
        }
    }
}

/// The exchange's gas costs (see README).
public enum ExchangeGas {
    public static let createPool: UInt64 = 50_000
    public static let addLiquidity: UInt64 = 30_000
    public static let removeLiquidity: UInt64 = 30_000
    public static let swap: UInt64 = 25_000
}
