public import CairnPrimitives
public import CairnLedger

/// Governance parameters, stored at `gov/params` in the canonical parameter encoding; governance changes them by vote.
public struct GovParams: Sendable, Equatable, Codable, ParameterSet {
    /// Total deposit (ucairn) a proposal needs before its voting period starts.
    public var minDeposit: Amount
    /// Blocks a proposal may gather deposits before it expires.
    public var depositPeriodBlocks: UInt64
    /// Blocks a proposal stays open for votes.
    public var votingPeriodBlocks: UInt64
    /// Share of bonded stake (basis points) that must vote, abstain included.
    public var quorumBps: UInt32
    /// Share of yes among yes + no + veto (basis points) that a proposal must exceed to pass.
    public var thresholdBps: UInt32
    /// Share of veto among all votes (basis points) above which a proposal is vetoed.
    public var vetoBps: UInt32
    /// Burn the deposit of a vetoed proposal (else refund it).
    public var burnDepositOnVeto: Bool
    /// Burn the deposit of a proposal that missed quorum.
    public var burnDepositOnNoQuorum: Bool
    /// Burn the deposit of a proposal that never reached the minimum deposit.
    public var burnDepositOnExpiry: Bool
    /// The most one voter, with the delegators it votes for, may weigh in a tally, in basis points of the
    /// raw voted power; 0 turns the cap off.
    public var voterCapBps: UInt32
    /// Weigh each voter by the integer square root of its (capped) power.
    public var quadraticVoting: Bool
    /// Longest proposal description, in bytes (at most `GovLimits.maxDescriptionBytes`).
    public var maxDescriptionBytes: Int

    /// The defaults: Cosmos SDK's quorum, threshold and veto (0.334, 0.5, 0.334), anti-concentration off.
    public static let `default` = GovParams(
        minDeposit: 10_000_000, depositPeriodBlocks: 600, votingPeriodBlocks: 600, quorumBps: 3_340, thresholdBps: 5_000,
        vetoBps: 3_340, burnDepositOnVeto: true, burnDepositOnNoQuorum: true, burnDepositOnExpiry: false,
        voterCapBps: 0, quadraticVoting: false, maxDescriptionBytes: 10_000)

    public init(minDeposit: Amount, depositPeriodBlocks: UInt64, votingPeriodBlocks: UInt64, quorumBps: UInt32,
                thresholdBps: UInt32, vetoBps: UInt32, burnDepositOnVeto: Bool, burnDepositOnNoQuorum: Bool,
                burnDepositOnExpiry: Bool, voterCapBps: UInt32, quadraticVoting: Bool, maxDescriptionBytes: Int) {
        self.minDeposit = minDeposit
        self.depositPeriodBlocks = depositPeriodBlocks
        self.votingPeriodBlocks = votingPeriodBlocks
        self.quorumBps = quorumBps
        self.thresholdBps = thresholdBps
        self.vetoBps = vetoBps
        self.burnDepositOnVeto = burnDepositOnVeto
        self.burnDepositOnNoQuorum = burnDepositOnNoQuorum
        self.burnDepositOnExpiry = burnDepositOnExpiry
        self.voterCapBps = voterCapBps
        self.quadraticVoting = quadraticVoting
        self.maxDescriptionBytes = maxDescriptionBytes
    }

    public static var defaults: GovParams { .default }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<GovParams>] {
        [.init("minDeposit", .amount(\.minDeposit)), .init("depositPeriodBlocks", .uint64(\.depositPeriodBlocks)),
         .init("votingPeriodBlocks", .uint64(\.votingPeriodBlocks)), .init("quorumBps", .uint32(\.quorumBps)),
         .init("thresholdBps", .uint32(\.thresholdBps)), .init("vetoBps", .uint32(\.vetoBps)),
         .init("burnDepositOnVeto", .bool(\.burnDepositOnVeto)), .init("burnDepositOnNoQuorum", .bool(\.burnDepositOnNoQuorum)),
         .init("burnDepositOnExpiry", .bool(\.burnDepositOnExpiry)), .init("voterCapBps", .uint32(\.voterCapBps)),
         .init("quadraticVoting", .bool(\.quadraticVoting)), .init("maxDescriptionBytes", .int(\.maxDescriptionBytes))]
    }

    /// Checks every range; the error names the offending parameter.
    public func validate() throws(LedgerError) {
        func check(_ ok: Bool, _ key: String, _ why: String) throws(LedgerError) {
            guard ok else { throw CoreError.invalidParameter(GovKeys.module, key, why) }
        }
        let periods: ClosedRange<UInt64> = 1...GovLimits.maxPeriodBlocks
        try check(minDeposit > .zero, "minDeposit", "must be greater than zero")
        try check(periods.contains(depositPeriodBlocks), "depositPeriodBlocks", "must be between 1 and \(GovLimits.maxPeriodBlocks)")
        try check(periods.contains(votingPeriodBlocks), "votingPeriodBlocks", "must be between 1 and \(GovLimits.maxPeriodBlocks)")
        try check((1...10_000).contains(quorumBps), "quorumBps", "must be between 1 and 10000")
        try check((1...10_000).contains(thresholdBps), "thresholdBps", "must be between 1 and 10000")
        try check(vetoBps <= 10_000, "vetoBps", "must be at most 10000")
        try check(voterCapBps <= 10_000, "voterCapBps", "must be at most 10000 (0 turns the cap off)")
        try check((0...GovLimits.maxDescriptionBytes).contains(maxDescriptionBytes), "maxDescriptionBytes",
                  "must be between 0 and \(GovLimits.maxDescriptionBytes)")
    }
}

/// Limits that hold whatever the parameters say (stateless checks use them).
public enum GovLimits {
    /// Longest title, in bytes.
    public static let maxTitleBytes = 140
    /// Longest description any parameter setting allows, in bytes.
    public static let maxDescriptionBytes = 10_000
    /// Most parameter changes in one proposal.
    public static let maxChanges = 16
    /// Longest deposit or voting period, in blocks.
    public static let maxPeriodBlocks: UInt64 = 10_000_000
    /// Longest JSON text of one parameter value, in bytes.
    public static let maxValueBytes = 4_096
}

extension GovModule {
    public var hasParameters: Bool { true }

    public func parameters(state: any StateReader) throws -> JSONValue? {
        try params(state: state).jsonValue
    }

    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let current = try GovStore(state: context.state).params()
        let updated = try current.replacing(key, with: value, module: name)
        try GovStore(state: context.state).setParams(updated)
    }

    /// The stored parameters (the defaults before genesis wrote any).
    public func params(state: any StateReader) throws -> GovParams {
        try GovParams.stored(try state.get(GovKeys.params))
    }
}
