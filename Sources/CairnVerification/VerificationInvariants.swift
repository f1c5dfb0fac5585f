import CairnPrimitives
public import CairnLedger

extension VerificationModule {
    /// The bonds account holds exactly Σ verifiers' bonds + Σ bonds of undecided challenges; every undecided challenge is
    /// indexed as open and pending against its provider, and no decided one is; each verifier's count of open committees
    /// is the number of undecided, drawn challenges it sits on; committee members are distinct verifiers.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let reader = VerificationReader(state: state)
        var owed: UInt128 = 0
        var seats = [Address: UInt32]()
        let verifiers = try reader.verifiers()
        for v in verifiers { owed += v.record.bond.value }
        let open = Set(try reader.openChallenges())
        for c in try reader.challenges() {
            let pending = Set(try reader.pending(c.provider))
            if c.status.isDecided {
                if open.contains(c.id) || pending.contains(c.id) { violations.append("challenge \(c.id) is decided but still indexed as open") }
            } else {
                owed += c.bond.value
                if !open.contains(c.id) || !pending.contains(c.id) { violations.append("challenge \(c.id) is undecided but not indexed") }
                for s in c.committee { seats[s.member, default: 0] += 1 }
            }
            if Set(c.committee.map(\.member)).count != c.committee.count { violations.append("challenge \(c.id) seats a member twice") }
            if c.committee.contains(where: { $0.member == c.provider || $0.member == c.challenger }) {
                violations.append("challenge \(c.id) seats one of its parties")
            }
        }
        for v in verifiers where v.record.openCommittees != seats[v.address, default: 0] {
            violations.append("verifier \(v.address) counts \(v.record.openCommittees) open committees, sits on \(seats[v.address, default: 0])")
        }
        for (member, _) in seats where !verifiers.contains(where: { $0.address == member }) {
            violations.append("\(member) sits on an undecided committee but is not a verifier")
        }
        let held = try bank.balance(of: VerificationAccounts.bonds, denom: Denom.native, state: state).value
        if held != owed { violations.append("the bonds account holds \(held) ucairn, the records owe \(owed)") }
        return violations
    }
}
