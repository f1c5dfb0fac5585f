public import CairnPrimitives
public import CairnLedger

/// The staking module's parameters, at `staking/params` in the canonical parameter encoding; governance changes them.
public struct StakingParams: Sendable, Equatable, Codable, ParameterSet {
    /// Blocks undelegated stake waits before it is paid out; it stays slashable meanwhile.
    public var unbondingBlocks: UInt64
    /// The least an operator must bond itself to register, and keep bonded while it has any.
    public var minSelfBond: Amount
    /// Yearly inflation in the first year, basis points of the circulating supply.
    public var inflationInitialBps: UInt32
    /// Each year's inflation is the previous year's times (1 − decay); basis points.
    public var inflationDecayBps: UInt32
    /// Inflation never falls below this; basis points.
    public var inflationFloorBps: UInt32
    /// Blocks in a year: the emission per block is the yearly emission divided by this.
    public var blocksPerYear: UInt64
    /// Share of emission and of tips that goes to the treasury; basis points.
    public var communityTaxBps: UInt32
    /// Blocks over which a validator's signing is counted.
    public var signedBlocksWindow: UInt64
    /// A validator that signs fewer than this share of the window is slashed and jailed; basis points.
    public var minSignedBps: UInt32
    /// Share of stake slashed for downtime; basis points.
    public var downtimeSlashBps: UInt32
    /// Blocks a validator jailed for downtime waits before it may unjail.
    public var downtimeJailBlocks: UInt64
    /// Share of stake slashed for double-signing (the validator is also jailed for good); basis points.
    public var doubleSignSlashBps: UInt32
    /// Evidence of a fault older than this many blocks is refused.
    public var maxEvidenceAgeBlocks: UInt64
    /// The validator set holds at most this many operators, those with the most bonded power.
    public var maxValidators: UInt32

    public static let `default` = StakingParams(
        unbondingBlocks: 86_400, minSelfBond: 1_000_000, inflationInitialBps: 800, inflationDecayBps: 1_500,
        inflationFloorBps: 200, blocksPerYear: 31_557_600, communityTaxBps: 200, signedBlocksWindow: 100,
        minSignedBps: 5_000, downtimeSlashBps: 1, downtimeJailBlocks: 600, doubleSignSlashBps: 500,
        maxEvidenceAgeBlocks: 86_400, maxValidators: 100
    )

    public init(unbondingBlocks: UInt64, minSelfBond: Amount, inflationInitialBps: UInt32, inflationDecayBps: UInt32,
                inflationFloorBps: UInt32, blocksPerYear: UInt64, communityTaxBps: UInt32, signedBlocksWindow: UInt64,
                minSignedBps: UInt32, downtimeSlashBps: UInt32, downtimeJailBlocks: UInt64, doubleSignSlashBps: UInt32,
                maxEvidenceAgeBlocks: UInt64, maxValidators: UInt32 = 100) {
        self.unbondingBlocks = unbondingBlocks
        self.minSelfBond = minSelfBond
        self.inflationInitialBps = inflationInitialBps
        self.inflationDecayBps = inflationDecayBps
        self.inflationFloorBps = inflationFloorBps
        self.blocksPerYear = blocksPerYear
        self.communityTaxBps = communityTaxBps
        self.signedBlocksWindow = signedBlocksWindow
        self.minSignedBps = minSignedBps
        self.downtimeSlashBps = downtimeSlashBps
        self.downtimeJailBlocks = downtimeJailBlocks
        self.doubleSignSlashBps = doubleSignSlashBps
        self.maxEvidenceAgeBlocks = maxEvidenceAgeBlocks
        self.maxValidators = maxValidators
    }

    public static var defaults: StakingParams { .default }

    enum CodingKeys: String, CodingKey {
        case unbondingBlocks, minSelfBond, inflationInitialBps, inflationDecayBps, inflationFloorBps, blocksPerYear, communityTaxBps,
             signedBlocksWindow, minSignedBps, downtimeSlashBps, downtimeJailBlocks, doubleSignSlashBps, maxEvidenceAgeBlocks, maxValidators
    }

    /// Every field by name; `maxValidators`, added with BFT consensus, takes its default when a genesis file written
    /// before it leaves it out.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(unbondingBlocks: try c.decode(UInt64.self, forKey: .unbondingBlocks), minSelfBond: try c.decode(Amount.self, forKey: .minSelfBond),
                  inflationInitialBps: try c.decode(UInt32.self, forKey: .inflationInitialBps),
                  inflationDecayBps: try c.decode(UInt32.self, forKey: .inflationDecayBps),
                  inflationFloorBps: try c.decode(UInt32.self, forKey: .inflationFloorBps), blocksPerYear: try c.decode(UInt64.self, forKey: .blocksPerYear),
                  communityTaxBps: try c.decode(UInt32.self, forKey: .communityTaxBps),
                  signedBlocksWindow: try c.decode(UInt64.self, forKey: .signedBlocksWindow),
                  minSignedBps: try c.decode(UInt32.self, forKey: .minSignedBps), downtimeSlashBps: try c.decode(UInt32.self, forKey: .downtimeSlashBps),
                  downtimeJailBlocks: try c.decode(UInt64.self, forKey: .downtimeJailBlocks),
                  doubleSignSlashBps: try c.decode(UInt32.self, forKey: .doubleSignSlashBps),
                  maxEvidenceAgeBlocks: try c.decode(UInt64.self, forKey: .maxEvidenceAgeBlocks),
                  maxValidators: try c.decodeIfPresent(UInt32.self, forKey: .maxValidators) ?? Self.default.maxValidators)
    }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<StakingParams>] {
        [.init("unbondingBlocks", .uint64(\.unbondingBlocks)), .init("minSelfBond", .amount(\.minSelfBond)),
         .init("inflationInitialBps", .uint32(\.inflationInitialBps)), .init("inflationDecayBps", .uint32(\.inflationDecayBps)),
         .init("inflationFloorBps", .uint32(\.inflationFloorBps)), .init("blocksPerYear", .uint64(\.blocksPerYear)),
         .init("communityTaxBps", .uint32(\.communityTaxBps)), .init("signedBlocksWindow", .uint64(\.signedBlocksWindow)),
         .init("minSignedBps", .uint32(\.minSignedBps)), .init("downtimeSlashBps", .uint32(\.downtimeSlashBps)),
         .init("downtimeJailBlocks", .uint64(\.downtimeJailBlocks)), .init("doubleSignSlashBps", .uint32(\.doubleSignSlashBps)),
         .init("maxEvidenceAgeBlocks", .uint64(\.maxEvidenceAgeBlocks)), .init("maxValidators", .uint32(\.maxValidators))]
    }

    /// Checks every range; the error names the parameter.
    public func validate() throws(LedgerError) {
        func check(_ ok: Bool, _ key: String, _ why: String) throws(LedgerError) {
            guard ok else { throw CoreError.invalidParameter(StakingKeys.module, key, why) }
        }
        let bps: [(String, UInt32)] = [("inflationInitialBps", inflationInitialBps), ("inflationDecayBps", inflationDecayBps),
                                       ("inflationFloorBps", inflationFloorBps), ("communityTaxBps", communityTaxBps),
                                       ("minSignedBps", minSignedBps), ("downtimeSlashBps", downtimeSlashBps),
                                       ("doubleSignSlashBps", doubleSignSlashBps)]
        for (key, value) in bps { try check(value <= 10_000, key, "\(value) basis points is above 10000") }
        try check(inflationFloorBps <= inflationInitialBps, "inflationFloorBps", "must not exceed inflationInitialBps")
        try check((1...100_000_000).contains(unbondingBlocks), "unbondingBlocks", "must be 1 to 100000000")
        try check(minSelfBond > .zero, "minSelfBond", "must be above zero")
        try check((1...1_000_000_000).contains(blocksPerYear), "blocksPerYear", "must be 1 to 10^9")
        try check((1...100_000).contains(signedBlocksWindow), "signedBlocksWindow", "must be 1 to 100000")
        try check((1...100_000_000).contains(downtimeJailBlocks), "downtimeJailBlocks", "must be 1 to 100000000")
        try check((1...100_000_000).contains(maxEvidenceAgeBlocks), "maxEvidenceAgeBlocks", "must be 1 to 100000000")
        try check((1...10_000).contains(maxValidators), "maxValidators", "must be 1 to 10000")
    }

    /// Inflation in year `year` (0 first), in units of 10^-8 (basis points × 10^4): the initial rate decayed
    /// `year` times, each step rounded down, never below the floor.
    public func inflation(year: UInt64) -> UInt128 {
        let floor = UInt128(inflationFloorBps) * 10_000
        var rate = UInt128(inflationInitialBps) * 10_000
        var y: UInt64 = 0
        while y < year && rate > floor {
            rate = rate * UInt128(10_000 - inflationDecayBps) / 10_000
            y += 1
        }
        return max(rate, floor)
    }

    /// The emission of block `height` on a circulating supply of `circulating`, rounded down.
    public func emission(height: UInt64, circulating: Amount) -> Amount {
        let yearly = circulating.value.multipliedFullWidth(by: inflation(year: height / blocksPerYear))
        // circulating < 2^128 and the rate ≤ 10^8, so the product fits in 2^155; divide in two steps.
        let divisor = UInt128(100_000_000) * UInt128(blocksPerYear)
        let (q, _) = divisor.dividingFullWidth(yearly)
        return Amount(q)
    }
}
