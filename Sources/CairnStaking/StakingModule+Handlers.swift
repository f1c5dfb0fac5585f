public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    func createOperator(_ kind: OperatorKind, _ spec: OperatorSpec, signer: Address, context: ExecutionContext) throws(LedgerError) {
        guard let key = PublicKey(rawRepresentation: spec.publicKey), key.address == signer else {
            throw StakingError.invalidMessage("the public key is not the signer's")
        }
        let params = try params(state: context.state)
        guard spec.selfBond >= params.minSelfBond else {
            throw StakingError.selfBondTooLow(have: spec.selfBond.description, minimum: params.minSelfBond.description)
        }
        let store = StakingStore(state: context.state)
        try store.register(signer, kind: kind, commissionBps: spec.commissionBps, moniker: spec.moniker, publicKey: spec.publicKey)
        try bank.send(Self.native(spec.selfBond), from: signer, to: StakingAccounts.bonded, context: context)
        try store.delegate(signer, to: signer, amount: spec.selfBond)
        if kind == .validator { writeSigningInfo(SigningInfo(startHeight: context.height, window: params.signedBlocksWindow), signer, context) }
        context.emit(StakingEvents.createOperator(signer, kind: kind, moniker: spec.moniker, commissionBps: spec.commissionBps, selfBond: spec.selfBond))
    }

    func delegate(_ m: MsgDelegate, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = StakingStore(state: context.state)
        _ = try store.existingOperator(m.operator)
        try bank.send(Self.native(m.amount), from: signer, to: StakingAccounts.bonded, context: context)
        try store.delegate(signer, to: m.operator, amount: m.amount)
        context.emit(StakingEvents.delegate(signer, m.operator, m.amount))
    }

    /// An operator may lower its own bond only to zero (leaving) or to at least the minimum; leaving jails it.
    func checkSelfBond(after amount: Amount, of op: Address, signer: Address, store: StakingStore, params: StakingParams,
                       context: ExecutionContext) throws(LedgerError) {
        guard signer == op else { return }
        let have = try store.tokens(of: op, in: op)
        guard have >= amount else { return } // the store reports the shortfall
        let left = Amount(have.value - amount.value)
        if left == .zero {
            var record = try store.existingOperator(op)
            if !record.jailed {
                record.jailed = true
                record.jailedUntil = context.height
                store.write(record, op)
                context.emit(StakingEvents.jail(op, until: context.height, reason: "self-bond withdrawn"))
            }
        } else if left < params.minSelfBond {
            throw StakingError.selfBondTooLow(have: left.description, minimum: params.minSelfBond.description)
        }
    }

    func undelegate(_ m: MsgUndelegate, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = StakingStore(state: context.state)
        let params = try params(state: context.state)
        try checkSelfBond(after: m.amount, of: m.operator, signer: signer, store: store, params: params, context: context)
        let returned = try store.undelegate(signer, from: m.operator, amount: m.amount)
        try bank.send(Self.native(returned), from: StakingAccounts.bonded, to: StakingAccounts.unbonding, context: context)
        let completion = context.height + params.unbondingBlocks
        let key = StakingKeys.unbonding(m.operator, signer, completion)
        var entry = try store.read(key, "unbonding entry") as UnbondingEntry?
            ?? UnbondingEntry(creationHeight: context.height, initialBalance: .zero, balance: .zero)
        guard let initial = entry.initialBalance.adding(returned), let balance = entry.balance.adding(returned) else {
            throw StakingError.overflow("unbonding entry")
        }
        entry.initialBalance = initial
        entry.balance = balance
        context.state.set(key, entry.canonicalBytes)
        context.state.set(StakingKeys.unbondingQueue(completion, m.operator, signer), [])
        context.state.set(StakingKeys.unbondingByDelegator(signer, m.operator, completion), [])
        context.emit(StakingEvents.undelegate(signer, m.operator, returned, completion: completion))
    }

    func redelegate(_ m: MsgRedelegate, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = StakingStore(state: context.state)
        let params = try params(state: context.state)
        _ = try store.existingOperator(m.destination)
        let maturing: [(key: [UInt8], value: [UInt8])]
        do { maturing = try context.state.scan(prefix: StakingKeys.redelegationsInto(signer, m.source)) } catch {
            throw StakingError.corrupt("redelegations: \(error)")
        }
        guard maturing.isEmpty else { throw StakingError.redelegationHop("\(m.source)") }
        try checkSelfBond(after: m.amount, of: m.source, signer: signer, store: store, params: params, context: context)
        let moved = try store.undelegate(signer, from: m.source, amount: m.amount)
        let shares = try store.delegate(signer, to: m.destination, amount: moved)
        let completion = context.height + params.unbondingBlocks
        let key = StakingKeys.redelegation(m.source, signer, m.destination, completion)
        var entry = try store.read(key, "redelegation entry") as RedelegationEntry?
            ?? RedelegationEntry(creationHeight: context.height, initialBalance: .zero, sharesDestination: 0)
        guard let initial = entry.initialBalance.adding(moved) else { throw StakingError.overflow("redelegation entry") }
        entry.initialBalance = initial
        entry.sharesDestination = try RewardMath.add(entry.sharesDestination, shares, "redelegation shares")
        context.state.set(key, entry.canonicalBytes)
        context.state.set(StakingKeys.redelegationQueue(completion, m.source, signer, m.destination), [])
        context.state.set(StakingKeys.redelegationInto(signer, m.destination, completion), [])
        context.emit(StakingEvents.redelegate(signer, m.source, m.destination, moved, completion: completion))
    }

    func withdrawRewards(_ m: MsgWithdrawRewards, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = StakingStore(state: context.state)
        var paid = try store.withdrawRewards(signer, from: m.operator)
        var commission = Amount.zero
        if signer == m.operator {
            commission = try store.withdrawCommission(m.operator)
            guard let total = paid.adding(commission) else { throw StakingError.overflow("withdrawal") }
            paid = total
        }
        try bank.send(Self.native(paid), from: StakingAccounts.rewards, to: signer, context: context)
        context.emit(StakingEvents.withdraw(signer, m.operator, paid, commission: commission))
    }

    func unjail(signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = StakingStore(state: context.state)
        let params = try params(state: context.state)
        guard var record = try store.operatorRecord(signer) else { throw StakingError.unknownOperator("\(signer)") }
        guard record.jailed else { throw StakingError.cannotUnjail("operator is not jailed") }
        guard !record.tombstoned else { throw StakingError.cannotUnjail("operator was jailed for good for double-signing") }
        guard context.height >= record.jailedUntil else {
            throw StakingError.cannotUnjail("jailed until height \(record.jailedUntil), this is \(context.height)")
        }
        let bond = try store.tokens(of: signer, in: signer)
        guard bond >= params.minSelfBond else {
            throw StakingError.cannotUnjail("self-bond \(bond) is below the minimum \(params.minSelfBond)")
        }
        record.jailed = false
        store.write(record, signer)
        if record.kind == .validator { writeSigningInfo(SigningInfo(startHeight: context.height, window: params.signedBlocksWindow), signer, context) }
        context.emit(StakingEvents.unjail(signer))
    }

    func writeSigningInfo(_ info: SigningInfo, _ op: Address, _ context: ExecutionContext) {
        context.state.set(StakingKeys.signingInfo(op), info.canonicalBytes)
    }
}
