public import CairnPrimitives
public import CairnLedger

/// The exchange's parameters, at `exchange/params` in the canonical parameter encoding; governance changes them.
public struct ExchangeParams: Sendable, Equatable, Codable, ParameterSet {
    /// The swap fee, basis points of what goes in; it stays in the pool for its liquidity providers.
    public var swapFeeBps: UInt32
    /// Whether the protocol takes 1/6 of the fees (as Uniswap v2's `feeTo`): shares minted to the exchange's
    /// protocol account at each join and exit, sold for CAIRN and burned at each buyback.
    public var protocolFeeOn: Bool
    /// Blocks between buybacks.
    public var buybackIntervalBlocks: UInt64
    /// The share of the treasury's CAIRN income since the last buyback that is burned at each buyback, basis points.
    public var treasuryBuybackBps: UInt32
    /// A buyback leaves a pool alone while its spot price is further than this from its time-weighted average
    /// since the last buyback, basis points (a price pushed within the block cannot make the protocol sell cheap).
    public var maxTwapDeviationBps: UInt32

    /// Uniswap v2's 0.3% fee with the protocol's sixth on, a buyback every 100 blocks, no treasury burn, a 2% band.
    public static let `default` = ExchangeParams(swapFeeBps: 30, protocolFeeOn: true, buybackIntervalBlocks: 100, treasuryBuybackBps: 0,
                                                 maxTwapDeviationBps: 200)

    public init(swapFeeBps: UInt32, protocolFeeOn: Bool, buybackIntervalBlocks: UInt64, treasuryBuybackBps: UInt32, maxTwapDeviationBps: UInt32) {
        self.swapFeeBps = swapFeeBps
        self.protocolFeeOn = protocolFeeOn
        self.buybackIntervalBlocks = buybackIntervalBlocks
        self.treasuryBuybackBps = treasuryBuybackBps
        self.maxTwapDeviationBps = maxTwapDeviationBps
    }

    public static var defaults: ExchangeParams { .default }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<ExchangeParams>] {
        [.init("swapFeeBps", .uint32(\.swapFeeBps)), .init("protocolFeeOn", .bool(\.protocolFeeOn)),
         .init("buybackIntervalBlocks", .uint64(\.buybackIntervalBlocks)), .init("treasuryBuybackBps", .uint32(\.treasuryBuybackBps)),
         .init("maxTwapDeviationBps", .uint32(\.maxTwapDeviationBps))]
    }

    /// The highest swap fee: 10%.
    public static let maxSwapFeeBps: UInt32 = 1_000
    public static let maxBuybackIntervalBlocks: UInt64 = 10_000_000

    public func validate() throws(LedgerError) {
        func check(_ ok: Bool, _ key: String, _ why: String) throws(LedgerError) {
            guard ok else { throw CoreError.invalidParameter(ExchangeKeys.module, key, why) }
        }
        try check(swapFeeBps <= Self.maxSwapFeeBps, "swapFeeBps", "\(swapFeeBps) basis points is above \(Self.maxSwapFeeBps)")
        try check((1...Self.maxBuybackIntervalBlocks).contains(buybackIntervalBlocks), "buybackIntervalBlocks",
                  "must be 1 to \(Self.maxBuybackIntervalBlocks)")
        try check(treasuryBuybackBps <= 10_000, "treasuryBuybackBps", "\(treasuryBuybackBps) basis points is above 10000")
        try check((1...10_000).contains(maxTwapDeviationBps), "maxTwapDeviationBps", "must be 1 to 10000")
    }
}

extension ExchangeModule {
    /// The stored parameters (the defaults before genesis writes them).
    public func params(state: any StateReader) throws(LedgerError) -> ExchangeParams {
        let raw: [UInt8]?
        do { raw = try state.get(ExchangeKeys.params) } catch { throw ExchangeError.corrupt("params: \(error)") }
        do { return try ExchangeParams.stored(raw) } catch { throw ExchangeError.corrupt("params: \(error)") }
    }

    func store(_ params: ExchangeParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        context.state.set(ExchangeKeys.params, params.canonicalBytes)
    }

    public var hasParameters: Bool { true }

    public func parameters(state: any StateReader) throws -> JSONValue? { try params(state: state).jsonValue }

    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try params(state: context.state).replacing(key, with: value, module: name)
        try store(updated, context: context)
    }
}
