public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    /// Slashes `fractionBps` basis points of `op`'s stake and burns it: of its bonded tokens, of every entry
    /// still unbonding from it, and of every redelegation from it still maturing (taken from the shares the
    /// move bought at its destination). Returns the total burned. Other modules call this for proven faults
    /// (the market, for a provider's); `jailFor` jails the operator for that many blocks (nil: no jail).
    @discardableResult
    public func slash(_ op: Address, fractionBps: UInt32, jailFor: UInt64?, reason: String,
                      context: ExecutionContext) throws(LedgerError) -> Amount {
        let store = StakingStore(state: context.state)
        let bps = UInt128(fractionBps)
        var burned = try store.slash(op, fractionBps: fractionBps)
        try bank.burn(Self.native(burned), from: StakingAccounts.bonded, context: context)

        for (key, raw) in try store.entries(StakingKeys.unbondings(of: op)) {
            var entry: UnbondingEntry = try StakingStore.decode(raw, "unbonding entry")
            let take = min(entry.balance.value, try RewardMath.multiply(entry.initialBalance.value, bps, "slash") / RewardMath.basisPoints)
            guard take > 0 else { continue }
            entry.balance = Amount(entry.balance.value - take)
            context.state.set(key, entry.canonicalBytes)
            try bank.burn(Self.native(Amount(take)), from: StakingAccounts.unbonding, context: context)
            burned = Amount(burned.value + take)
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
            try bank.burn(Self.native(removed.tokens), from: StakingAccounts.bonded, context: context)
            burned = Amount(burned.value + removed.tokens.value)
        }

        if let jailFor {
            var record = try store.existingOperator(op)
            record.jailed = true
            record.jailedUntil = max(record.jailedUntil, context.height + jailFor)
            store.write(record, op)
            context.emit(StakingEvents.jail(op, until: record.jailedUntil, reason: reason))
        }
        context.emit(StakingEvents.slash(op, fractionBps: fractionBps, burned: burned, reason: reason))
        return burned
    }

    func submitEvidence(_ m: MsgSubmitEvidence, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let params = try params(state: context.state)
        let height = m.first.height
        guard m.first.chainID == context.chainID else { throw StakingError.invalidEvidence("headers are of chain '\(m.first.chainID)'") }
        guard height <= context.height else { throw StakingError.invalidEvidence("height \(height) is in the future") }
        guard context.height - height <= params.maxEvidenceAgeBlocks else {
            throw StakingError.invalidEvidence("height \(height) is older than \(params.maxEvidenceAgeBlocks) blocks")
        }
        guard m.first.proposer == m.second.proposer else { throw StakingError.invalidEvidence("the headers name different proposers") }
        let op = m.first.proposer
        let store = StakingStore(state: context.state)
        guard let record = try store.operatorRecord(op), record.kind == .validator else {
            throw StakingError.invalidEvidence("\(op) is not a validator")
        }
        guard !record.tombstoned else { throw StakingError.invalidEvidence("\(op) was already punished for double-signing") }
        guard let key = PublicKey(rawRepresentation: record.publicKey) else { throw StakingError.corrupt("validator key of \(op)") }
        for (header, signature) in [(m.first, m.firstSignature), (m.second, m.secondSignature)] {
            guard key.isValidSignature(signature, domain: .block, chainID: header.chainID, payload: header.canonicalBytes) else {
                throw StakingError.invalidEvidence("a signature does not verify with the validator's key")
            }
        }
        try slash(op, fractionBps: params.doubleSignSlashBps, jailFor: 0, reason: "double-signing at height \(height)", context: context)
        var punished = try store.existingOperator(op)
        punished.tombstoned = true
        store.write(punished, op)
        context.emit(StakingEvents.evidence(op, height: height, reporter: signer))
    }
}
