import CairnPrimitives
public import CairnLedger

extension TrainingModule {
    /// Every job decodes under its id, below the next id; a job is indexed active exactly while it is not over; its
    /// participant count matches its records, with indices 0 to n-1; nobody was paid more than the pool; and the
    /// escrow holds exactly the unpaid pools and the stakes of the jobs not over.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let reader = TrainingReader(state: state)
        let next = try reader.nextJobID()
        let active = Set(try reader.activeJobIDs())
        var owed: UInt128 = 0
        for entry in try state.scan(prefix: TrainingKeys.jobPrefix) {
            guard let j = try? TrainingJob(canonicalBytes: entry.value) else {
                violations.append("job record \(entry.key.hexString) does not decode")
                continue
            }
            if entry.key != TrainingKeys.job(j.id) { violations.append("job \(j.id) is stored under another id") }
            if j.id >= next { violations.append("job \(j.id) is not below the next id \(next)") }
            if active.contains(j.id) == j.status.isOver { violations.append("job \(j.id) is \(j.status.name) but \(active.contains(j.id) ? "" : "not ")indexed active") }
            if j.paid > j.reward { violations.append("job \(j.id) paid \(j.paid) out of a pool of \(j.reward)") }
            let members = try reader.members(j.id)
            if members.count != Int(j.participants) { violations.append("job \(j.id) counts \(j.participants) participants, \(members.count) are stored") }
            if members.map(\.index) != Array(0..<UInt32(members.count)) { violations.append("job \(j.id): participant indices are not 0 to n-1") }
            var earned: UInt128 = 0
            for p in members { earned &+= p.earned.value }
            if earned != j.paid.value { violations.append("job \(j.id): participants earned \(earned), the job paid \(j.paid)") }
            // Round records live only while their round runs (or, for shares sent early, while the round before it runs).
            let live: Set<UInt64> = j.status == .training ? [UInt64(j.round), UInt64(j.round) + 1] : []
            for prefix in [TrainingKeys.sharePrefix, TrainingKeys.submittedPrefix, TrainingKeys.revealPrefix] {
                let scope = prefix + StateKey.bigEndian(j.id) + TrainingKeys.slash
                for e in try state.scan(prefix: scope) {
                    let round = e.key.dropFirst(scope.count).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    if !live.contains(round) { violations.append("job \(j.id) (\(j.status.name), round \(j.round)) keeps a record of round \(round)") }
                }
            }
            if !j.status.isOver {
                owed &+= j.reward.value - min(j.reward.value, j.paid.value)
                for p in members { owed &+= p.stake.value }
            }
        }
        for id in active where try reader.job(id) == nil { violations.append("active index names job \(id), which does not exist") }
        let held = try bank.balance(of: TrainingAccounts.escrow, denom: Denom.native, state: state).value
        if held != owed { violations.append("the training escrow holds \(held) ucairn; the open pools and stakes come to \(owed)") }
        return violations
    }
}
