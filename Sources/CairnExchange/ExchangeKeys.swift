public import CairnPrimitives
public import CairnLedger

/// State layout of the exchange (prefix `exchange`):
/// - `exchange/params`: `ExchangeParams`
/// - `exchange/next-pool`: the id the next pool gets (8 bytes BE; absent means 1)
/// - `exchange/pool/<id>`: `Pool`
/// - `exchange/pair/<denom0>/<denom1>`: the pool id of the pair (8 bytes BE)
/// - `exchange/obs/<id>`: the accumulators at the last buyback (`Observation`), the start of the next TWAP window
/// - `exchange/burned/<cause>`: CAIRN the buybacks burned, by cause (`protocol-fee`, `treasury`)
/// - `exchange/treasury-mark`: the treasury's CAIRN balance after the last buyback
public enum ExchangeKeys {
    public static let module = "exchange"
    public static let params = StateKey.make(module, "params")
    static let nextPool = StateKey.make(module, "next-pool")
    static let poolPrefix = StateKey.make(module, "pool") + [UInt8(ascii: "/")]
    static let pairPrefix = StateKey.make(module, "pair") + [UInt8(ascii: "/")]
    static let observationPrefix = StateKey.make(module, "obs") + [UInt8(ascii: "/")]
    static let burnedPrefix = StateKey.make(module, "burned") + [UInt8(ascii: "/")]
    static let treasuryMark = StateKey.make(module, "treasury-mark")

    static func pool(_ id: UInt64) -> [UInt8] { poolPrefix + StateKey.bigEndian(id) }
    static func pair(_ d0: String, _ d1: String) -> [UInt8] { pairPrefix + Array(d0.utf8) + [UInt8(ascii: "/")] + Array(d1.utf8) }
    static func observation(_ id: UInt64) -> [UInt8] { observationPrefix + StateKey.bigEndian(id) }
    static func burned(_ cause: BuybackCause) -> [UInt8] { burnedPrefix + Array(cause.rawValue.utf8) }
}

/// The exchange's accounts.
public enum ExchangeAccounts {
    /// Holds every pool's reserves: its balance of each denomination is the sum of the reserves in it.
    public static let pools = ModuleAccount.address("exchange/pools")
    /// Holds the locked minimum of every pool's shares; nothing ever leaves it.
    public static let locked = ModuleAccount.address("exchange/locked")
    /// Holds the protocol's fee shares and what their redemption yields until a buyback burns it.
    public static let protocolFee = ModuleAccount.address("exchange/protocol")
}

/// Why CAIRN was burned by a buyback.
public enum BuybackCause: String, Sendable, CaseIterable, Codable {
    /// The protocol's sixth of the swap fees, sold for CAIRN.
    case protocolFee = "protocol-fee"
    /// The governance-set share of the treasury's income.
    case treasury
}

/// The accumulators of a pool at a buyback: where the next TWAP window starts.
public struct Observation: Sendable, Equatable, CanonicalCodable {
    public var time: UInt64
    public var price0Cumulative: UInt256
    public var price1Cumulative: UInt256

    public init(time: UInt64, price0Cumulative: UInt256, price1Cumulative: UInt256) {
        self.time = time
        self.price0Cumulative = price0Cumulative
        self.price1Cumulative = price1Cumulative
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(time)
        w.write(price0Cumulative)
        w.write(price1Cumulative)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        time = try r.readUInt64()
        price0Cumulative = try r.readUInt256()
        price1Cumulative = try r.readUInt256()
    }

    /// The time-weighted average prices (UQ112x112) from this observation to `later`; nil when no time passed.
    public func averagePrices(to later: Observation) -> (price0: UInt256, price1: UInt256)? {
        guard later.time > time else { return nil }
        let elapsed = UInt128(later.time - time)
        // The accumulators wrap; their difference modulo 2^256 is still right (as Uniswap v2's oracles rely on).
        let d0 = later.price0Cumulative.subtractingWrapping(price0Cumulative)
        let d1 = later.price1Cumulative.subtractingWrapping(price1Cumulative)
        return (d0.quotientAndRemainder(dividingBy: elapsed).quotient, d1.quotientAndRemainder(dividingBy: elapsed).quotient)
    }
}
