public import CairnPrimitives
public import CairnLedger

/// The verification module's parameters, at `verification/params`; governance changes them.
public struct VerificationParams: Sendable, Equatable, Codable, ParameterSet {
    /// The least bond (ucairn) of a verifier that may sit on committees.
    public var minVerifierBond: Amount
    /// The least bond (ucairn) a challenger puts up; forfeited when the committee finds the provider honest.
    public var challengeBond: Amount
    /// Verifiers drawn for each challenge (odd, so a full committee cannot tie).
    public var committeeSize: UInt32
    /// Blocks after the draw during which the committee commits to its verdicts.
    public var commitBlocks: UInt64
    /// Blocks after the commit phase during which the committee reveals them.
    public var revealBlocks: UInt64
    /// The share of a cheating provider's stake slashed, basis points.
    public var slashBps: UInt32
    /// The share of the slashed stake paid to the challenger, basis points; the rest is burned.
    public var bountyBps: UInt32
    /// Blocks a provider found cheating stays jailed (0: not jailed).
    public var jailBlocks: UInt64
    /// The share of its bond a committee member loses when it does not reveal a verdict in time, basis points.
    public var absentPenaltyBps: UInt32
    /// A pooled challenge's window: this many consecutive jobs of one channel and model, drawn by the chain from the last
    /// `pooledLookback` before the receipt the challenge names.
    public var pooledJobs: UInt32
    public var pooledLookback: UInt32
    /// Blocks after its window is drawn in which a pooled challenge's evidence must be complete.
    public var evidenceBlocks: UInt64
    /// The commit phase of a pooled challenge: its committee re-runs the check on every job of the window.
    public var pooledCommitBlocks: UInt64

    /// 100 cairn per verifier, 10 cairn per challenge, committees of 3, 8 + 8 blocks to commit and reveal, 10% slashed of
    /// which half goes to the challenger, 1,000 blocks of jail, 5% of an absent member's bond; pooled windows of 20 jobs
    /// drawn from the last 80, their evidence within 2 blocks (a challenge window of 20 blocks, the devnet's settle delay).
    public static let `default` = VerificationParams(
        minVerifierBond: Amount(100_000_000), challengeBond: Amount(10_000_000), committeeSize: 3, commitBlocks: 8, revealBlocks: 8,
        slashBps: 1_000, bountyBps: 5_000, jailBlocks: 1_000, absentPenaltyBps: 500)

    public init(minVerifierBond: Amount, challengeBond: Amount, committeeSize: UInt32, commitBlocks: UInt64, revealBlocks: UInt64,
                slashBps: UInt32, bountyBps: UInt32, jailBlocks: UInt64, absentPenaltyBps: UInt32, pooledJobs: UInt32 = 20,
                pooledLookback: UInt32 = 80, evidenceBlocks: UInt64 = 2, pooledCommitBlocks: UInt64 = 8) {
        self.minVerifierBond = minVerifierBond
        self.challengeBond = challengeBond
        self.committeeSize = committeeSize
        self.commitBlocks = commitBlocks
        self.revealBlocks = revealBlocks
        self.slashBps = slashBps
        self.bountyBps = bountyBps
        self.jailBlocks = jailBlocks
        self.absentPenaltyBps = absentPenaltyBps
        self.pooledJobs = pooledJobs
        self.pooledLookback = pooledLookback
        self.evidenceBlocks = evidenceBlocks
        self.pooledCommitBlocks = pooledCommitBlocks
    }

    public static var defaults: VerificationParams { .default }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<VerificationParams>] {
        [.init("minVerifierBond", .amount(\.minVerifierBond)), .init("challengeBond", .amount(\.challengeBond)),
         .init("committeeSize", .uint32(\.committeeSize)), .init("commitBlocks", .uint64(\.commitBlocks)),
         .init("revealBlocks", .uint64(\.revealBlocks)), .init("slashBps", .uint32(\.slashBps)), .init("bountyBps", .uint32(\.bountyBps)),
         .init("jailBlocks", .uint64(\.jailBlocks)), .init("absentPenaltyBps", .uint32(\.absentPenaltyBps)),
         .init("pooledJobs", .uint32(\.pooledJobs)), .init("pooledLookback", .uint32(\.pooledLookback)),
         .init("evidenceBlocks", .uint64(\.evidenceBlocks)), .init("pooledCommitBlocks", .uint64(\.pooledCommitBlocks))]
    }

    public static let maxCommitteeSize: UInt32 = 21
    public static let maxPhaseBlocks: UInt64 = 100_000
    /// The most jobs a pooled window holds, and the longest lookback it is drawn from.
    public static let maxPooledJobs: UInt32 = 64
    public static let maxPooledLookback: UInt32 = 10_000

    /// Blocks from a challenge to its verdict at the latest: one to draw the committee, then the commit and reveal phases;
    /// a pooled challenge first has one block to draw its window and its evidence phase, and its own commit phase. A
    /// channel's settle delay is at least this, so a challenge raised before a channel closes is decided before it settles.
    public var challengeWindowBlocks: UInt64 { max(1 + commitBlocks + revealBlocks, 2 + evidenceBlocks + pooledCommitBlocks + revealBlocks) }

    public func validate() throws(LedgerError) {
        func check(_ ok: Bool, _ key: String, _ why: String) throws(LedgerError) {
            guard ok else { throw CoreError.invalidParameter(VerificationKeys.module, key, why) }
        }
        try check(minVerifierBond > .zero, "minVerifierBond", "must be greater than zero")
        try check(challengeBond > .zero, "challengeBond", "must be greater than zero")
        try check((1...Self.maxCommitteeSize).contains(committeeSize) && committeeSize % 2 == 1, "committeeSize",
                  "must be odd, 1 to \(Self.maxCommitteeSize)")
        try check((1...Self.maxPhaseBlocks).contains(commitBlocks), "commitBlocks", "must be 1 to \(Self.maxPhaseBlocks)")
        try check((1...Self.maxPhaseBlocks).contains(revealBlocks), "revealBlocks", "must be 1 to \(Self.maxPhaseBlocks)")
        try check((1...10_000).contains(slashBps), "slashBps", "must be 1 to 10000")
        try check(bountyBps <= 10_000, "bountyBps", "\(bountyBps) basis points is above 10000")
        try check(absentPenaltyBps <= 10_000, "absentPenaltyBps", "\(absentPenaltyBps) basis points is above 10000")
        try check((2...Self.maxPooledJobs).contains(pooledJobs), "pooledJobs", "must be 2 to \(Self.maxPooledJobs)")
        try check((pooledJobs...Self.maxPooledLookback).contains(pooledLookback), "pooledLookback",
                  "must be pooledJobs (\(pooledJobs)) to \(Self.maxPooledLookback)")
        try check((1...Self.maxPhaseBlocks).contains(evidenceBlocks), "evidenceBlocks", "must be 1 to \(Self.maxPhaseBlocks)")
        try check((1...Self.maxPhaseBlocks).contains(pooledCommitBlocks), "pooledCommitBlocks", "must be 1 to \(Self.maxPhaseBlocks)")
    }
}

extension VerificationModule {
    /// The stored parameters (the defaults before genesis writes them).
    public func params(state: any StateReader) throws(LedgerError) -> VerificationParams {
        let raw: [UInt8]?
        do { raw = try state.get(VerificationKeys.params) } catch { throw VerificationError.corrupt("params: \(error)") }
        do { return try VerificationParams.stored(raw) } catch { throw VerificationError.corrupt("params: \(error)") }
    }

    /// Validates and stores `params`; the challenge window must fit in the market's settle delay.
    func store(_ params: VerificationParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        if let settle = try settleDelayBlocks(context), params.challengeWindowBlocks > settle {
            throw CoreError.invalidParameter(name, "revealBlocks", "the challenge window of \(params.challengeWindowBlocks) blocks (the larger of 1 + "
                                             + "commitBlocks + revealBlocks and 2 + evidenceBlocks + pooledCommitBlocks + revealBlocks) is longer than the market's settle delay of \(settle) blocks")
        }
        context.state.set(VerificationKeys.params, params.canonicalBytes)
    }

    /// The market's settle delay, read through the ledger's parameters (nil on a ledger without a market).
    func settleDelayBlocks(_ context: ExecutionContext) throws(LedgerError) -> UInt64? {
        do { return try context.wholeParameter("market", "settleDelayBlocks") } catch { throw VerificationError.corrupt("market params: \(error)") }
    }

    public var hasParameters: Bool { true }

    public func parameters(state: any StateReader) throws -> JSONValue? { try params(state: state).jsonValue }

    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try params(state: context.state).replacing(key, with: value, module: name)
        try store(updated, context: context)
    }
}
