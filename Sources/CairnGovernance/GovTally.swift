public import CairnPrimitives
public import CairnLedger

/// The tally: stake-weighted votes with inheritance from operators to their delegators, then the
/// optional anti-concentration weighting, then quorum, veto and threshold. Pure: it reads, never writes.
public enum Tally {
    /// Counts `votes` against the stake of the unjailed `operators`.
    ///
    /// A voter's power is the tokens behind its own delegations; an operator that votes also carries the
    /// delegations of its delegators that did not vote themselves. Each voter's power is then capped at
    /// `voterCapBps` of all power that voted (when on) and square-rooted (when quadratic).
    public static func compute(votes: [(voter: Address, option: VoteOption)], operators: [VotingOperator],
                               delegations: (Address) throws -> [(operator: Address, shares: UInt128)],
                               params: GovParams) throws(LedgerError) -> TallyResult {
        let active = operators.filter { !$0.jailed }
        var byAddress: [Address: VotingOperator] = [:]
        var totalBonded: UInt128 = 0
        for op in active {
            byAddress[op.address] = op
            totalBonded = try add(totalBonded, op.tokens.value, "total bonded")
        }
        var deducted: [Address: UInt128] = [:]
        var powers = [UInt128](repeating: 0, count: votes.count)
        for (i, vote) in votes.enumerated() {
            let held: [(operator: Address, shares: UInt128)]
            do { held = try delegations(vote.voter) } catch { throw GovError.readFailed("delegations of \(vote.voter)", error) }
            for d in held {
                guard let op = byAddress[d.operator], op.shares > 0 else { continue }
                let shares = min(d.shares, op.shares)
                powers[i] = try add(powers[i], mulDiv(shares, op.tokens.value, op.shares), "power of \(vote.voter)")
                deducted[d.operator] = try add(deducted[d.operator, default: 0], shares, "deducted shares")
            }
        }
        for (i, vote) in votes.enumerated() {
            guard let op = byAddress[vote.voter], op.shares > 0 else { continue }
            let left = op.shares - min(deducted[op.address, default: 0], op.shares)
            powers[i] = try add(powers[i], mulDiv(left, op.tokens.value, op.shares), "power of \(vote.voter)")
        }
        var raw: UInt128 = 0
        for p in powers { raw = try add(raw, p, "voted power") }
        let cap: UInt128? = params.voterCapBps == 0 ? nil : mulDiv(raw, UInt128(params.voterCapBps), 10_000)
        var sums: [VoteOption: UInt128] = [:]
        for (i, vote) in votes.enumerated() {
            let w = weight(powers[i], cap: cap, quadratic: params.quadraticVoting)
            sums[vote.option] = try add(sums[vote.option, default: 0], w, "tally of \(vote.option.name)")
        }
        return TallyResult(yes: Amount(sums[.yes, default: 0]), no: Amount(sums[.no, default: 0]),
                           abstain: Amount(sums[.abstain, default: 0]), noWithVeto: Amount(sums[.noWithVeto, default: 0]),
                           votedPower: Amount(raw), totalBonded: Amount(totalBonded))
    }

    /// The weight a voter of raw `power` gets: capped, then square-rooted when `quadratic`.
    public static func weight(_ power: UInt128, cap: UInt128?, quadratic: Bool) -> UInt128 {
        let capped = cap.map { min(power, $0) } ?? power
        return quadratic ? squareRoot(capped) : capped
    }

    /// The outcome of `t` under `params`, in exact integer arithmetic.
    public static func outcome(_ t: TallyResult, params: GovParams) -> ProposalStatus {
        // Quorum counts raw stake: weighting must not let a proposal reach quorum with less stake behind it.
        guard t.totalBonded > .zero,
              !exceeds(UInt128(params.quorumBps), t.totalBonded.value, t.votedPower.value, 10_000) else { return .noQuorum }
        // Sums of four amounts that each fit in UInt128 fit in 130 bits; compare on halves to stay exact.
        let (against, a1) = t.no.value.addingReportingOverflow(t.noWithVeto.value)
        let (decisive, a2) = t.yes.value.addingReportingOverflow(against)
        let (all, a3) = decisive.addingReportingOverflow(t.abstain.value)
        guard !(a1 || a2 || a3) else { return outcomeHalved(t, params: params) }
        if decisive == 0 { return .rejected }
        if exceeds(t.noWithVeto.value, 10_000, UInt128(params.vetoBps), all) { return .vetoed }
        if exceeds(t.yes.value, 10_000, UInt128(params.thresholdBps), decisive) { return .passed }
        return .rejected
    }

    /// The same rules on halved figures, for tallies whose sums pass UInt128 (not reachable with real supply).
    static func outcomeHalved(_ t: TallyResult, params: GovParams) -> ProposalStatus {
        func h(_ a: Amount) -> Amount { Amount(a.value / 2) }
        return outcome(TallyResult(yes: h(t.yes), no: h(t.no), abstain: h(t.abstain), noWithVeto: h(t.noWithVeto),
                                   votedPower: h(t.votedPower), totalBonded: h(t.totalBonded)), params: params)
    }

    /// Whether `a × b > c × d`, exactly.
    public static func exceeds(_ a: UInt128, _ b: UInt128, _ c: UInt128, _ d: UInt128) -> Bool {
        let l = a.multipliedFullWidth(by: b)
        let r = c.multipliedFullWidth(by: d)
        return l.high != r.high ? l.high > r.high : l.low > r.low
    }

    /// `a × b / d` rounded down, through a 256-bit product; the caller ensures the result fits (`a ≤ d` or `b ≤ d`).
    static func mulDiv(_ a: UInt128, _ b: UInt128, _ d: UInt128) -> UInt128 {
        d.dividingFullWidth(a.multipliedFullWidth(by: b)).quotient
    }

    /// The integer square root: the largest `r` with `r × r ≤ n`.
    public static func squareRoot(_ n: UInt128) -> UInt128 {
        guard n > 1 else { return n }
        let bits = UInt128.bitWidth - n.leadingZeroBitCount
        var x: UInt128 = 1 << ((bits + 1) / 2)
        while true {
            let y = (x + n / x) / 2
            if y >= x { return x }
            x = y
        }
    }

    static func add(_ a: UInt128, _ b: UInt128, _ what: String) throws(LedgerError) -> UInt128 {
        let (s, o) = a.addingReportingOverflow(b)
        guard !o else { throw GovError.overflow(what) }
        return s
    }
}
