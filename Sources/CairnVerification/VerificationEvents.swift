public import CairnPrimitives
public import CairnLedger

/// Events of the verification module (the bank and staking add their own transfers, burns and slashes).
public enum VerificationEvents {
    /// `verification.register`: verifier, bond (its whole bond after the deposit).
    public static func register(_ a: Address, bond: Amount) -> Event {
        Event(type: "verification.register", [("verifier", a.bech32), ("bond", bond.description)])
    }

    /// `verification.leave`: verifier, bond (returned).
    public static func leave(_ a: Address, bond: Amount) -> Event {
        Event(type: "verification.leave", [("verifier", a.bech32), ("bond", bond.description)])
    }

    /// `verification.challenge`: challenge_id, challenger, provider, receipt (its hash), bond; a pooled one adds
    /// pooled_jobs (the window's size) and up_to (the named receipt's job count).
    public static func challenge(_ c: Challenge) -> Event {
        Event(type: "verification.challenge", [("challenge_id", String(c.id)), ("challenger", c.challenger.bech32),
                                               ("provider", c.provider.bech32), ("receipt", VerificationModule.receiptHash(c.receipt).hex),
                                               ("bond", c.bond.description)]
              + (c.window.map { [("pooled_jobs", String($0.size)), ("up_to", String($0.upTo))] } ?? []))
    }

    /// `verification.window`: challenge_id, first and last (the window's `modelRequests`), evidence_deadline.
    public static func window(_ c: Challenge) -> Event {
        Event(type: "verification.window", [("challenge_id", String(c.id)), ("first", String(c.window?.start ?? 0)),
                                            ("last", String(c.window?.range?.upperBound ?? 0)),
                                            ("evidence_deadline", String(c.window?.evidenceDeadline ?? 0))])
    }

    /// `verification.evidence`: challenge_id, added (jobs in this message), given (so far), of (the window's size).
    public static func evidence(_ c: Challenge, added: Int) -> Event {
        Event(type: "verification.evidence", [("challenge_id", String(c.id)), ("added", String(added)),
                                              ("given", String(c.window?.jobs.count ?? 0)), ("of", String(c.window?.size ?? 0))])
    }

    /// `verification.committee`: challenge_id, members (comma-separated), commit_deadline, reveal_deadline.
    public static func committee(_ c: Challenge) -> Event {
        Event(type: "verification.committee", [("challenge_id", String(c.id)), ("members", c.committee.map(\.member.bech32).joined(separator: ",")),
                                               ("commit_deadline", String(c.commitDeadline)), ("reveal_deadline", String(c.revealDeadline))])
    }

    /// `verification.commit` and `verification.reveal`: challenge_id, member (and verdict, once revealed).
    public static func vote(_ id: UInt64, member: Address, verdict: Verdict?) -> Event {
        Event(type: verdict == nil ? "verification.commit" : "verification.reveal",
              [("challenge_id", String(id)), ("member", member.bech32)] + (verdict.map { [("verdict", $0.name)] } ?? []))
    }

    /// `verification.verdict`: challenge_id, provider, outcome (upheld, rejected, void, lapsed), cheated and honest votes, slashed, bounty.
    public static func verdict(_ c: Challenge) -> Event {
        Event(type: "verification.verdict", [("challenge_id", String(c.id)), ("provider", c.provider.bech32), ("outcome", c.status.name),
                                             ("cheated", String(c.count(.cheated))), ("honest", String(c.count(.honest))),
                                             ("slashed", c.slashed.description), ("bounty", c.bounty.description)])
    }

    /// `verification.absent`: challenge_id, member, penalty (burned from its bond).
    public static func absent(_ id: UInt64, member: Address, penalty: Amount) -> Event {
        Event(type: "verification.absent", [("challenge_id", String(id)), ("member", member.bech32), ("penalty", penalty.description)])
    }

    /// `verification.check`: provider, reporter, receipt, passed.
    public static func check(provider: Address, reporter: Address, receipt: Hash, passed: Bool) -> Event {
        Event(type: "verification.check", [("provider", provider.bech32), ("reporter", reporter.bech32), ("receipt", receipt.hex),
                                           ("passed", passed ? "true" : "false")])
    }
}
