public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    /// Slashes `fractionBps` basis points of `op`'s stake and burns it: of its bonded tokens, of every entry
    /// still unbonding from it, and of every redelegation from it still maturing (taken from the shares the
    /// move bought at its destination). Returns the total burned. Other modules call this for proven faults
    /// (the verification module, for a provider's); `jailFor` jails the operator for that many blocks (nil: no jail).
    @discardableResult
    public func slash(_ op: Address, fractionBps: UInt32, jailFor: UInt64?, reason: String,
                      context: ExecutionContext) throws(LedgerError) -> Amount {
        try slash(op, fractionBps: fractionBps, jailFor: jailFor, reason: reason, bounty: nil, context: context).burned
    }

    /// ``slash(_:fractionBps:jailFor:reason:context:)`` that pays `bounty.bps` basis points of what it takes to
    /// `bounty.to` (out of the bonded tokens first, then the unbonding ones) and burns the rest.
    @discardableResult
    public func slash(_ op: Address, fractionBps: UInt32, jailFor: UInt64?, reason: String, bounty: (to: Address, bps: UInt32)?,
                      context: ExecutionContext) throws(LedgerError) -> (burned: Amount, paid: Amount) {
        precondition(bounty.map { $0.bps <= 10_000 } ?? true, "a bounty is at most the whole slash")
        let store = StakingStore(state: context.state)
        let bps = UInt128(fractionBps)
        var fromBonded = try store.slash(op, fractionBps: fractionBps).value
        var fromUnbonding: UInt128 = 0

        for (key, raw) in try store.entries(StakingKeys.unbondings(of: op)) {
            var entry: UnbondingEntry = try StakingStore.decode(raw, "unbonding entry")
            let take = min(entry.balance.value, try RewardMath.multiply(entry.initialBalance.value, bps, "slash") / RewardMath.basisPoints)
            guard take > 0 else { continue }
            entry.balance = Amount(entry.balance.value - take)
            context.state.set(key, entry.canonicalBytes)
            fromUnbonding += take
        }

        let prefix = StakingKeys.redelegations(from: op)
        for (key, raw) in try store.entries(prefix) {
            var entry: RedelegationEntry = try StakingStore.decode(raw, "redelegation entry")
            // key: prefix | delegator 20 | '/' | destination 20 | '/' | completion 8
            let rest = Array(key[prefix.count...])
            guard rest.count == 50, let delegator = Address(bytes: Array(rest[0..<20])),
                  let destination = Address(bytes: Array(rest[21..<41])) else { throw StakingError.corrupt("redelegation key") }
            let owed = try RewardMath.multiply(entry.initialBalance.value, bps, "slash") / RewardMath.basisPoints
            guard owed > 0, entry.sharesDestination > 0 else { continue }
            let dest = try store.existingOperator(destination)
            guard dest.tokens > .zero else { continue }
            // The destination shares worth `owed`, rounded up, at most what the move bought.
            let wanted = (try RewardMath.multiply(owed, dest.shares, "slash shares") + dest.tokens.value - 1) / dest.tokens.value
            let removed = try store.removeShares(delegator, from: destination, shares: min(wanted, entry.sharesDestination))
            entry.sharesDestination -= removed.shares
            context.state.set(key, entry.canonicalBytes)
            fromBonded += removed.tokens.value
        }

        let taken = fromBonded + fromUnbonding
        let owed = try bounty.map { (b) throws(LedgerError) in try RewardMath.multiply(taken, UInt128(b.bps), "slash bounty") / RewardMath.basisPoints } ?? 0
        let paidBonded = min(owed, fromBonded), paidUnbonding = owed - paidBonded
        if let bounty, owed > 0 {
            if paidBonded > 0 { try bank.send(Self.native(Amount(paidBonded)), from: StakingAccounts.bonded, to: bounty.to, context: context) }
            if paidUnbonding > 0 { try bank.send(Self.native(Amount(paidUnbonding)), from: StakingAccounts.unbonding, to: bounty.to, context: context) }
        }
        if fromBonded > paidBonded { try bank.burn(Self.native(Amount(fromBonded - paidBonded)), from: StakingAccounts.bonded, context: context) }
        if fromUnbonding > paidUnbonding {
            try bank.burn(Self.native(Amount(fromUnbonding - paidUnbonding)), from: StakingAccounts.unbonding, context: context)
        }
        let burned = Amount(taken - owed)

        if let jailFor {
            var record = try store.existingOperator(op)
            record.jailed = true
            record.jailedUntil = max(record.jailedUntil, context.height + jailFor)
            store.write(record, op)
            context.emit(StakingEvents.jail(op, until: record.jailedUntil, reason: reason))
        }
        context.emit(StakingEvents.slash(op, fractionBps: fractionBps, burned: burned, reason: reason,
                                         bounty: bounty.map { ($0.to, Amount(owed)) }))
        return (burned, Amount(owed))
    }

    /// Punishes a validator that signed two votes for one step (the ledger checked the evidence): slashes its stake
    /// (bonded, unbonding and redelegated), jails it and tombstones it so it can never unjail.
    public func punishDoubleSign(_ validator: Address, height: UInt64, context: ExecutionContext) throws(LedgerError) {
        let params = try params(state: context.state)
        let store = StakingStore(state: context.state)
        guard let record = try store.operatorRecord(validator), record.kind == .validator else {
            throw StakingError.invalidEvidence("\(validator) is not a validator")
        }
        guard !record.tombstoned else { throw StakingError.invalidEvidence("\(validator) was already punished for double-signing") }
        try slash(validator, fractionBps: params.doubleSignSlashBps, jailFor: 0, reason: "double-signing at height \(height)", context: context)
        var punished = try store.existingOperator(validator)
        punished.tombstoned = true
        store.write(punished, validator)
        context.emit(StakingEvents.evidence(validator, height: height, reporter: context.proposer))
    }
}
