public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    /// At the end of every block: pay out matured unbondings, drop matured redelegation records, count
    /// validators' signatures (slashing and jailing for downtime), then share out tips and emission.
    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let params = try params(state: context.state)
        let store = StakingStore(state: context.state)
        try matureUnbondings(store: store, context: context)
        try matureRedelegations(store: store, context: context)
        var operators = try store.operators()
        if try countSignatures(store: store, params: params, context: context) {
            operators = try store.operators() // a slash changed tokens and jail state
        }
        try distributeRewards(operators, store: store, params: params, context: context)
    }

    /// Pays out the entries that complete at this height. Every entry completes at a height above the one
    /// it was made at, and every height runs this, so reading only this height's queue misses none.
    func matureUnbondings(store: StakingStore, context: ExecutionContext) throws(LedgerError) {
        let prefix = StakingKeys.unbondingQueue(at: context.height)
        for (key, _) in try store.entries(prefix) {
            // key: prefix | operator 20 | '/' | delegator 20
            let rest = key[prefix.count...]
            guard rest.count == 41, let op = Address(bytes: Array(rest.prefix(20))), let delegator = Address(bytes: Array(rest.suffix(20))) else {
                throw StakingError.corrupt("unbonding queue key")
            }
            let entryKey = StakingKeys.unbonding(op, delegator, context.height)
            guard let entry = try store.read(entryKey, "unbonding entry") as UnbondingEntry? else {
                throw StakingError.corrupt("queued unbonding without its entry")
            }
            try bank.send(Self.native(entry.balance), from: StakingAccounts.unbonding, to: delegator, context: context)
            context.state.delete(entryKey)
            context.state.delete(key)
            context.state.delete(StakingKeys.unbondingByDelegator(delegator, op, context.height))
            context.emit(StakingEvents.unbondingComplete(delegator, op, entry.balance))
        }
    }

    /// Drops the redelegation records that mature at this height.
    func matureRedelegations(store: StakingStore, context: ExecutionContext) throws(LedgerError) {
        let prefix = StakingKeys.redelegationQueue(at: context.height)
        for (key, _) in try store.entries(prefix) {
            // key: prefix | source 20 | '/' | delegator 20 | '/' | destination 20
            let rest = Array(key[prefix.count...])
            guard rest.count == 62, let source = Address(bytes: Array(rest[0..<20])),
                  let delegator = Address(bytes: Array(rest[21..<41])), let destination = Address(bytes: Array(rest[42..<62])) else {
                throw StakingError.corrupt("redelegation queue key")
            }
            context.state.delete(StakingKeys.redelegation(source, delegator, destination, context.height))
            context.state.delete(StakingKeys.redelegationInto(delegator, destination, context.height))
            context.state.delete(key)
        }
    }

    /// Judges downtime from the block's last commit: each validator of the set that decided the previous block either
    /// signed its commit or missed it. Block 1 carries no commit, so nothing is counted there. Returns whether any
    /// validator was slashed.
    func countSignatures(store: StakingStore, params: StakingParams, context: ExecutionContext) throws(LedgerError) -> Bool {
        guard let lastCommit = context.lastCommit else { return false }
        var slashed = false
        let window = params.signedBlocksWindow
        // Missing more than this many of the window's blocks is downtime.
        let allowedMisses = window * UInt64(10_000 - params.minSignedBps) / 10_000
        for validator in lastCommit.validators.validators {
            let op = validator.address
            guard let record = try store.operatorRecord(op), record.kind == .validator, !record.jailed else { continue }
            let key = StakingKeys.signingInfo(op)
            var info = try store.read(key, "signing info") ?? SigningInfo(startHeight: context.height, window: window)
            if info.bitmap.count != Int((window + 7) / 8) { info = SigningInfo(startHeight: context.height, window: window) }
            let slot = Int(info.counted % window)
            let wasMissed = info.bitmap[slot / 8] & (1 << (slot % 8)) != 0
            let missed = !lastCommit.signers.contains(op)
            if wasMissed { info.missed -= 1 }
            if missed {
                info.missed += 1
                info.bitmap[slot / 8] |= 1 << (slot % 8)
            } else {
                info.bitmap[slot / 8] &= ~(1 << (slot % 8))
            }
            info.counted += 1
            if info.counted >= window && info.missed > allowedMisses {
                try slash(op, fractionBps: params.downtimeSlashBps, jailFor: params.downtimeJailBlocks,
                          reason: "missed \(info.missed) of the last \(window) blocks", context: context)
                info = SigningInfo(startHeight: context.height, window: window)
                slashed = true
            }
            writeSigningInfo(info, op, context)
        }
        return slashed
    }

    /// Tips go to the proposer as an operator (its commission, then its delegators); emission goes to every
    /// active operator by bonded stake. The community tax of both goes to the treasury, and so does the dust
    /// of the pro-rata split of emission.
    func distributeRewards(_ operators: [(address: Address, record: OperatorRecord)], store: StakingStore, params: StakingParams,
                           context: ExecutionContext) throws(LedgerError) {
        let tax = UInt128(params.communityTaxBps)
        let tips = try read { () throws -> Amount in try bank.balance(of: ModuleAccount.feeCollector, denom: Denom.native, state: context.state) }
        // The operator whose record the tips changed: the others' records in `operators` are still the state's.
        var tipped: Address?
        if tips > .zero {
            let proposer = operators.first { $0.address == context.proposer }?.record
            if let proposer, proposer.isActive, proposer.shares > 0 {
                let taxed = Amount(try RewardMath.multiply(tips.value, tax, "tax") / RewardMath.basisPoints)
                let rest = Amount(tips.value - taxed.value)
                try bank.send(Self.native(taxed), from: ModuleAccount.feeCollector, to: ModuleAccount.treasury, context: context)
                try bank.send(Self.native(rest), from: ModuleAccount.feeCollector, to: StakingAccounts.rewards, context: context)
                try store.distribute(rest, to: context.proposer)
                tipped = context.proposer
            } else {
                try bank.send(Self.native(tips), from: ModuleAccount.feeCollector, to: context.proposer, context: context)
            }
        }

        let active = operators.filter { $0.record.isActive }
        let bonded = active.reduce(UInt128(0)) { $0 + $1.record.tokens.value }
        guard bonded > 0 else { return }
        let circulating = try read { () throws -> Amount in
            let supply = try bank.supply(Denom.native, state: context.state)
            let burned = try bank.burned(Denom.native, state: context.state)
            return supply.subtracting(burned) ?? .zero
        }
        let emission = params.emission(height: context.height, circulating: circulating)
        guard emission > .zero else { return }
        let taxed = try RewardMath.multiply(emission.value, tax, "tax") / RewardMath.basisPoints
        let rest = emission.value - taxed
        var shared: UInt128 = 0
        for (op, record) in active {
            let part = try RewardMath.multiply(rest, record.tokens.value, "emission share") / bonded
            guard part > 0 else { continue }
            try store.distribute(Amount(part), to: op, current: op == tipped ? nil : record)
            shared += part
        }
        try bank.mint(Self.native(Amount(shared)), to: StakingAccounts.rewards, context: context)
        try bank.mint(Self.native(Amount(emission.value - shared)), to: ModuleAccount.treasury, context: context)
        context.emit(StakingEvents.rewards(emission: emission, toOperators: Amount(shared), toTreasury: Amount(emission.value - shared),
                                           tips: tips))
    }

    func read<T>(_ body: () throws -> T) throws(LedgerError) -> T {
        do { return try body() } catch let e as LedgerError { throw e } catch { throw StakingError.corrupt("\(error)") }
    }
}
