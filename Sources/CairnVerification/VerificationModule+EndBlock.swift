public import CairnPrimitives
public import CairnLedger

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
                // Drawn one block after the challenge, from that block's parent hash: the challenger could not know it.
                guard context.height > c.raisedHeight else { continue }
                try draw(&c, params: params, store: store, context: context)
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
            case .upheld, .rejected, .void:
                store.close(c)
            }
        }
    }

    /// The entropy of challenge `id`'s draw: the previous block's hash where the chain gives it.
    static func seed(challenge id: UInt64, context: ExecutionContext) -> Hash {
        var w = CanonicalWriter()
        w.write("cairn/committee/v1")
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
        c.commitDeadline = context.height + params.commitBlocks
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
                                                 reason: "challenge \(c.id): a committee found receipt \(Self.receiptHash(c.receipt).hex) cheated",
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
