public import CairnPrimitives
public import CairnLedger
import CairnMarket

extension VerificationModule {
    /// At the end of each block, for every undecided challenge: draws the committee of a challenge raised in an earlier
    /// block, opens the reveal phase after the commit deadline, and decides a challenge once every committed member has
    /// revealed after the commit phase, or at its reveal deadline.
    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        let ids = try store.read.openChallenges()
        guard !ids.isEmpty else { return }
        let params = try params(state: context.state)
        for id in ids {
            var c = try store.read.existingChallenge(id)
            switch c.status {
            case .drawing:
                // Drawn one block after the challenge (or its last evidence), from that block's parent hash: the
                // challenger could not know it.
                guard context.height > max(c.raisedHeight, c.window?.readyHeight ?? 0) else { continue }
                try draw(&c, params: params, store: store, context: context)
            case .gathering:
                guard var window = c.window else { throw VerificationError.corrupt("challenge \(id) gathers without a window") }
                if window.range == nil {
                    guard context.height > c.raisedHeight else { continue }
                    // The window, from the parent hash of the block after the challenge: uniform among the windows that
                    // end at or before the named receipt's job and start within the lookback.
                    let last = window.upTo - UInt64(window.size) + 1
                    let first = window.upTo >= UInt64(window.lookback) ? window.upTo - UInt64(window.lookback) + 1 : 1
                    let lo = min(first, last)
                    let seed = Self.seed(challenge: id, context: context, tag: "cairn/pooled-window/v1").bytes
                    let r = seed[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    window.start = lo + r % (last - lo + 1)
                    window.evidenceDeadline = context.height + params.evidenceBlocks
                    c.window = window
                    store.write(c)
                    context.emit(VerificationEvents.window(c))
                } else if context.height >= window.evidenceDeadline {
                    try lapse(&c, store: store, context: context)
                }
            case .committing:
                if context.height >= c.commitDeadline {
                    c.status = .revealing
                    store.write(c)
                }
            case .revealing:
                let waiting = c.committee.contains { $0.commitment != nil && $0.verdict == nil }
                let everyoneCommitted = c.committee.allSatisfy { $0.commitment != nil }
                if context.height >= c.revealDeadline || (!waiting && (everyoneCommitted || context.height > c.commitDeadline)) {
                    try decide(&c, params: params, store: store, context: context)
                }
            case .upheld, .rejected, .void, .lapsed:
                store.close(c)
            }
        }
    }

    /// A pooled challenge whose evidence is not complete by its deadline: the bond is burned (a challenger that could
    /// drop a window it does not like for free could pick its windows), and nothing else happens.
    func lapse(_ c: inout Challenge, store: VerificationStore, context: ExecutionContext) throws(LedgerError) {
        try bank.burn(Self.native(c.bond), from: VerificationAccounts.bonds, context: context)
        c.status = .lapsed
        c.decidedHeight = context.height
        store.write(c)
        store.close(c)
        context.emit(VerificationEvents.verdict(c))
    }

    /// The entropy of challenge `id`'s draw (`tag` names which): the previous block's hash where the chain gives it.
    static func seed(challenge id: UInt64, context: ExecutionContext, tag: String = "cairn/committee/v1") -> Hash {
        var w = CanonicalWriter()
        w.write(tag)
        w.write(context.chainID)
        if let previous = context.previousBlockHash { w.write(previous) } else {
            w.write(context.height)
            w.write(context.time)
        }
        w.write(id)
        return Hash.sha256(w.bytes)
    }

    /// Draws `count` distinct members from `candidates` (in address order), each draw in proportion to the bonds of those
    /// not yet drawn, from `seed`.
    public static func drawCommittee(_ candidates: [(address: Address, weight: UInt128)], count: Int, seed: Hash) -> [Address] {
        var pool = candidates.filter { $0.weight > 0 }
        var drawn = [Address]()
        var k: UInt64 = 0
        while drawn.count < count, !pool.isEmpty {
            let total = pool.reduce(UInt128(0)) { $0 + $1.weight }
            var w = CanonicalWriter()
            w.write(seed)
            w.write(k)
            let bytes = Hash.sha256(w.bytes).bytes
            let r = bytes[0..<16].reduce(UInt128(0)) { $0 << 8 | UInt128($1) } % total
            var acc: UInt128 = 0
            var pick = pool.count - 1
            for (i, c) in pool.enumerated() {
                acc += c.weight
                if r < acc {
                    pick = i
                    break
                }
            }
            drawn.append(pool.remove(at: pick).address)
            k += 1
        }
        return drawn
    }

    func draw(_ c: inout Challenge, params: VerificationParams, store: VerificationStore, context: ExecutionContext) throws(LedgerError) {
        let candidates = try eligible(excluding: [c.challenger, c.provider], params: params, reader: store.read)
        guard candidates.count >= Int(params.committeeSize) else {
            // Verifiers left since the challenge: nobody can judge it, so it is void and the bond goes back.
            try decide(&c, params: params, store: store, context: context)
            return
        }
        let members = Self.drawCommittee(candidates, count: Int(params.committeeSize), seed: Self.seed(challenge: c.id, context: context))
        for m in members {
            guard var record = try store.read.verifier(m) else { throw VerificationError.corrupt("drawn verifier \(m)") }
            record.openCommittees += 1
            store.write(record, m)
        }
        c.committee = members.map { CommitteeSeat(member: $0) }
        c.status = .committing
        c.commitDeadline = context.height + (c.window != nil ? params.pooledCommitBlocks : params.commitBlocks)
        c.revealDeadline = c.commitDeadline + params.revealBlocks
        store.write(c)
        context.emit(VerificationEvents.committee(c))
    }

    /// Decides `c` from the revealed verdicts: a majority of the whole committee for "cheated" slashes the provider and pays
    /// the challenger its bounty and bond back; a majority for "honest" forfeits the bond to the members who revealed (what
    /// does not divide evenly is burned); anything else is void and returns the bond. Members that did not reveal lose
    /// `absentPenaltyBps` of their bond (burned).
    func decide(_ c: inout Challenge, params: VerificationParams, store: VerificationStore, context: ExecutionContext) throws(LedgerError) {
        let majority = Int(params.committeeSize) / 2 + 1
        var reputation = try store.read.reputation(c.provider)
        let revealed = c.committee.filter { $0.verdict != nil }.map(\.member)
        if !c.committee.isEmpty && c.count(.cheated) >= majority {
            let result = try stake.slashProvider(c.provider, fractionBps: params.slashBps, jailFor: params.jailBlocks > 0 ? params.jailBlocks : nil,
                                                 reason: c.window.map { "challenge \(c.id): a committee found jobs \($0.start) to "
                                                     + "\($0.start + UInt64($0.size) - 1) of channel \(c.receipt.receipt.channelID) cheated" }
                                                     ?? "challenge \(c.id): a committee found receipt \(Self.receiptHash(c.receipt).hex) cheated",
                                                 bounty: (c.challenger, params.bountyBps), context: context)
            c.slashed = Amount(result.burned.value + result.paid.value)
            c.bounty = result.paid
            try bank.send(Self.native(c.bond), from: VerificationAccounts.bonds, to: c.challenger, context: context)
            reputation.challengesUpheld += 1
            c.status = .upheld
        } else if !c.committee.isEmpty && c.count(.honest) >= majority {
            let share = c.bond.value / UInt128(revealed.count)
            for m in revealed where share > 0 { try bank.send(Self.native(Amount(share)), from: VerificationAccounts.bonds, to: m, context: context) }
            let rest = c.bond.value - share * UInt128(revealed.count)
            if rest > 0 { try bank.burn(Self.native(Amount(rest)), from: VerificationAccounts.bonds, context: context) }
            reputation.challengesRejected += 1
            c.status = .rejected
        } else {
            try bank.send(Self.native(c.bond), from: VerificationAccounts.bonds, to: c.challenger, context: context)
            c.status = .void
        }
        for seat in c.committee {
            guard var record = try store.read.verifier(seat.member) else { throw VerificationError.corrupt("committee member \(seat.member)") }
            record.openCommittees = record.openCommittees > 0 ? record.openCommittees - 1 : 0
            if seat.verdict == nil {
                let bps = UInt128(params.absentPenaltyBps)
                let penalty = record.bond.value / 10_000 * bps + record.bond.value % 10_000 * bps / 10_000  // exact, and cannot overflow
                if penalty > 0 {
                    try bank.burn(Self.native(Amount(penalty)), from: VerificationAccounts.bonds, context: context)
                    record.bond = Amount(record.bond.value - penalty)
                }
                context.emit(VerificationEvents.absent(c.id, member: seat.member, penalty: Amount(penalty)))
            }
            store.write(record, seat.member)
        }
        if c.status != .void { store.write(reputation, c.provider) }
        c.decidedHeight = context.height
        store.write(c)
        store.close(c)
        context.emit(VerificationEvents.verdict(c))
    }
}
