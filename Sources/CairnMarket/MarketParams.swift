public import CairnPrimitives
public import CairnLedger

/// The market module's parameters, at `market/params` in the canonical parameter encoding; governance changes them.
public struct MarketParams: Sendable, Equatable, Codable, ParameterSet {
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

    public static var defaults: MarketParams { .default }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<MarketParams>] {
        [.init("minProviderStake", .amount(\.minProviderStake)), .init("protocolFeeBps", .uint32(\.protocolFeeBps)),
         .init("feeBurnBps", .uint32(\.feeBurnBps)), .init("settleDelayBlocks", .uint64(\.settleDelayBlocks))]
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
        do { return try MarketParams.stored(raw) } catch { throw MarketError.corrupt("params: \(error)") }
    }

    func store(_ params: MarketParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        context.state.set(MarketKeys.params, params.canonicalBytes)
    }

    /// Governance may change the market's parameters.
    public var hasParameters: Bool { true }

    /// The stored parameters as a JSON object.
    public func parameters(state: any StateReader) throws -> JSONValue? { try params(state: state).jsonValue }

    /// Validates and stores one changed parameter; nothing is written when the change is refused.
    /// A settle delay must stay at least the verification module's challenge window (see `VerificationParams.challengeWindowBlocks`,
    /// read through the ledger's parameters where that module runs), so a challenge raised before a channel closes is
    /// decided before the channel settles.
    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try params(state: context.state).replacing(key, with: value, module: name)
        if let window = try challengeWindowBlocks(context), updated.settleDelayBlocks < window {
            throw CoreError.invalidParameter(name, "settleDelayBlocks", "\(updated.settleDelayBlocks) blocks is shorter than the "
                                             + "verification module's challenge window of \(window) blocks")
        }
        try store(updated, context: context)
    }

    func challengeWindowBlocks(_ context: ExecutionContext) throws(LedgerError) -> UInt64? {
        do {
            guard let commit = try context.wholeParameter("verification", "commitBlocks"),
                  let reveal = try context.wholeParameter("verification", "revealBlocks") else { return nil }
            // A pooled challenge's window draw, evidence phase and own commit phase (see VerificationParams.challengeWindowBlocks).
            guard let evidence = try context.wholeParameter("verification", "evidenceBlocks"),
                  let pooledCommit = try context.wholeParameter("verification", "pooledCommitBlocks") else { return 1 + commit + reveal }
            return max(1 + commit + reveal, 2 + evidence + pooledCommit + reveal)
        } catch { throw MarketError.corrupt("verification params: \(error)") }
    }
}
