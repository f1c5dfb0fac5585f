import CairnPrimitives
public import CairnLedger

extension GovModule {
    /// Escrow holds exactly the deposits of open proposals; every record decodes; every proposal's total
    /// matches its deposit records (sums wrap rather than trap: a wrapped sum shows as a mismatch); the queues hold exactly the open proposals, at their end heights.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let reader = GovReader(state: state)
        let nextID = try reader.nextID()
        var open: UInt128 = 0
        var expected = Set<[UInt8]>()
        for entry in try state.scan(prefix: GovKeys.proposalPrefix) {
            guard let p = try? Proposal(canonicalBytes: entry.value) else {
                violations.append("proposal record \(entry.key.hexString) does not decode")
                continue
            }
            if entry.key != GovKeys.proposal(p.id) { violations.append("proposal \(p.id) is stored under another id") }
            if p.id >= nextID { violations.append("proposal \(p.id) is not below the next id \(nextID)") }
            let sum = try reader.deposits(p.id).reduce(UInt128(0)) { $0 &+ $1.amount.value }
            if sum != p.totalDeposit.value { violations.append("proposal \(p.id): deposits sum to \(sum), record says \(p.totalDeposit)") }
            switch p.status {
            case .depositPeriod:
                open &+= sum
                expected.insert(GovKeys.Queue.deposit.entry(p.depositEndHeight, p.id))
            case .votingPeriod:
                open &+= sum
                guard let end = p.votingEndHeight else {
                    violations.append("proposal \(p.id) is voting without an end height")
                    continue
                }
                expected.insert(GovKeys.Queue.voting.entry(end, p.id))
            default:
                break
            }
        }
        var queued = Set<[UInt8]>()
        for q in GovKeys.Queue.allCases { for e in try state.scan(prefix: q.prefix) { queued.insert(e.key) } }
        for k in queued.subtracting(expected) { violations.append("queue entry \(k.hexString) matches no open proposal") }
        for k in expected.subtracting(queued) { violations.append("open proposal missing from its queue: \(k.hexString)") }
        let escrow = try bank.balance(of: GovModule.escrow, denom: Denom.native, state: state)
        if escrow.value != open { violations.append("escrow holds \(escrow), open proposals' deposits sum to \(open)") }
        return violations.sorted()
    }
}
