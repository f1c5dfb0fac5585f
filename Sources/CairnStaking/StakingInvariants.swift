public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    /// The module accounts hold exactly what the records say:
    /// - bonded account = Σ operators' tokens;
    /// - unbonding account = Σ unbonding entries' balances, and every entry is queued and indexed;
    /// - rewards account × 10^18 = Σ (commission × 10^18 + carry) over operators + Σ (pending + unsettled)
    ///   over delegations, to the unit: no reward is created or lost by rounding;
    /// - each operator's shares = Σ of its delegations' shares.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let store = StakingStore(state: StateOverlay(base: state))
        let operators = try store.operators()
        var records: [Address: OperatorRecord] = [:]
        var bondedSum: UInt128 = 0
        var rewardsScaled: UInt128 = 0
        for (op, r) in operators {
            records[op] = r
            bondedSum += r.tokens.value
            rewardsScaled += r.commission.value * RewardMath.scale + r.carry
        }
        var sharesByOperator: [Address: UInt128] = [:]
        for entry in try state.scan(prefix: StakingKeys.delegationPrefix) {
            let rest = Array(entry.key[StakingKeys.delegationPrefix.count...])
            guard rest.count == 41, let op = Address(bytes: Array(rest[21...])) else {
                violations.append("delegation key \(entry.key.hexString) is malformed")
                continue
            }
            let d = try DelegationRecord(canonicalBytes: entry.value)
            guard let r = records[op] else {
                violations.append("delegation to unknown operator \(op)")
                continue
            }
            if d.shares == 0 && d.pendingScaled == 0 { violations.append("empty delegation stored to \(op)") }
            sharesByOperator[op, default: 0] += d.shares
            rewardsScaled += d.pendingScaled + d.shares * (r.rewardPerShare - d.rewardPerShareAtSettle)
        }
        for (op, r) in operators where sharesByOperator[op, default: 0] != r.shares {
            violations.append("operator \(op) has \(r.shares) shares but its delegations hold \(sharesByOperator[op, default: 0])")
        }
        let pools = try pools(state: state)
        if pools.bonded.value != bondedSum { violations.append("bonded account \(pools.bonded) != operators' tokens \(bondedSum)") }
        if pools.rewards.value * RewardMath.scale != rewardsScaled {
            violations.append("rewards account \(pools.rewards) × 10^18 != owed rewards \(rewardsScaled) (scaled)")
        }
        var unbondingSum: UInt128 = 0
        let prefix = StakingKeys.unbondingPrefix
        let entries = try state.scan(prefix: prefix)
        for entry in entries {
            let rest = Array(entry.key[prefix.count...])
            guard rest.count == 50, let op = Address(bytes: Array(rest[0..<20])), let delegator = Address(bytes: Array(rest[21..<41])),
                  let completion = StateKey.readBigEndian(rest, at: 42) else {
                violations.append("unbonding key \(entry.key.hexString) is malformed")
                continue
            }
            unbondingSum += try UnbondingEntry(canonicalBytes: entry.value).balance.value
            if try state.get(StakingKeys.unbondingQueue(completion, op, delegator)) == nil { violations.append("unbonding entry not queued") }
            if try state.get(StakingKeys.unbondingByDelegator(delegator, op, completion)) == nil { violations.append("unbonding entry not indexed") }
        }
        if try state.scan(prefix: StakingKeys.unbondingQueuePrefix).count != entries.count {
            violations.append("unbonding queue and entries differ in number")
        }
        if pools.unbonding.value != unbondingSum { violations.append("unbonding account \(pools.unbonding) != entries \(unbondingSum)") }
        return violations
    }
}
