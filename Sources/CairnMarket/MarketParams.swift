public import CairnPrimitives
public import CairnLedger

/// The market module's parameters, at `market/params` (sorted-key JSON); governance changes them.
public struct MarketParams: Sendable, Equatable, Codable {
    /// The least bonded stake (ucairn) of a provider listed as active.
    public var minProviderStake: Amount
    /// The protocol fee on every claim, basis points of each model's part.
    public var protocolFeeBps: UInt32
    /// The share of the protocol fee that is burned, basis points; the rest goes to the treasury.
    public var feeBurnBps: UInt32
    /// Blocks between a client's close and the refund of what was not claimed; the provider may still claim.
    public var settleDelayBlocks: UInt64

    /// 1,000 cairn minimum stake, a 5% fee of which half is burned, and 100 blocks of settle delay.
    public static let `default` = MarketParams(minProviderStake: 1_000_000_000, protocolFeeBps: 500, feeBurnBps: 5_000,
                                               settleDelayBlocks: 100)

    /// Parameters with every field given.
    public init(minProviderStake: Amount, protocolFeeBps: UInt32, feeBurnBps: UInt32, settleDelayBlocks: UInt64) {
        self.minProviderStake = minProviderStake
        self.protocolFeeBps = protocolFeeBps
        self.feeBurnBps = feeBurnBps
        self.settleDelayBlocks = settleDelayBlocks
    }

    /// The most blocks a settle delay may be.
    public static let maxSettleDelayBlocks: UInt64 = 10_000_000

    /// Checks every range; the error names the parameter.
    public func validate() throws(LedgerError) {
        func check(_ ok: Bool, _ key: String, _ why: String) throws(LedgerError) {
            guard ok else { throw CoreError.invalidParameter(MarketKeys.module, key, why) }
        }
        try check(minProviderStake > .zero, "minProviderStake", "must be above zero")
        try check(protocolFeeBps <= 10_000, "protocolFeeBps", "\(protocolFeeBps) basis points is above 10000")
        try check(feeBurnBps <= 10_000, "feeBurnBps", "\(feeBurnBps) basis points is above 10000")
        try check((1...Self.maxSettleDelayBlocks).contains(settleDelayBlocks), "settleDelayBlocks",
                  "must be 1 to \(Self.maxSettleDelayBlocks)")
    }
}

extension MarketModule {
    /// The stored parameters (the defaults before genesis writes them).
    public func params(state: any StateReader) throws(LedgerError) -> MarketParams {
        let raw: [UInt8]?
        do { raw = try state.get(MarketKeys.params) } catch { throw MarketError.corrupt("params: \(error)") }
        guard let raw else { return .default }
        do { return try ParameterCoding.decode(MarketParams.self, from: raw) } catch { throw MarketError.corrupt("params: \(error)") }
    }

    func store(_ params: MarketParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        do { context.state.set(MarketKeys.params, try ParameterCoding.encode(params)) } catch { throw MarketError.corrupt("params: \(error)") }
    }

    /// Governance may change the market's parameters.
    public var hasParameters: Bool { true }

    /// The stored parameters as a JSON object.
    public func parameters(state: any StateReader) throws -> JSONValue? { try JSONValue(encoding: params(state: state)) }

    /// Validates and stores one changed parameter; nothing is written when the change is refused.
    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try ParameterCoding.replacing(key, with: value, in: try params(state: context.state), module: name)
        try store(updated, context: context)
    }
}
