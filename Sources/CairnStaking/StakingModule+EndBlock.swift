public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    /// At the end of every block: pay out matured unbondings, drop matured redelegation records, count
    /// validators' signatures (slashing and jailing for downtime), then share out tips and emission.
    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let params = try params(state: context.state)
        try matureUnbondings(context: context)
        try matureRedelegations(context: context)
        let store = StakingStore(state: context.state)
        try countSignatures(store: store, params: params, context: context)
        try distributeRewards(store: store, params: params, context: context)
    }

    func matureUnbondings(context: ExecutionContext) throws(LedgerError) {
        let prefix = StakingKeys.unbondingQueuePrefix
        for (key, _) in try scan(prefix, context.state) {
            // key: prefix | completion 8 | '/' | operator 20 | '/' | delegator 20
            let rest = key[prefix.count...]
            guard rest.count == 50 else { throw StakingError.corrupt("unbonding queue key") }
            let completion = StakingKeys.readBigEndian(rest.prefix(8))
            guard completion <= context.height else { break }
            let start = rest.startIndex
            guard let op = Address(bytes: Array(rest[(start + 9)..<(start + 29)])),
                  let delegator = Address(bytes: Array(rest[(start + 30)..<(start + 50)])) else { throw StakingError.corrupt("unbonding queue key") }
            let entryKey = StakingKeys.unbonding(op, delegator, completion)
            guard let raw = try get(entryKey, context.state) else { throw StakingError.corrupt("queued unbonding without its entry") }
            let entry = try decode(UnbondingEntry.self, raw, "unbonding entry")
            try bank.send(Self.native(entry.balance), from: StakingAccounts.unbonding, to: delegator, context: context)
            context.state.delete(entryKey)
            context.state.delete(key)
            context.state.delete(StakingKeys.unbondingByDelegator(delegator, op, completion))
            context.emit(StakingEvents.unbondingComplete(delegator, op, entry.balance))
        }
    }

    func matureRedelegations(context: ExecutionContext) throws(LedgerError) {
        let prefix = StakingKeys.redelegationQueuePrefix
        for (key, _) in try scan(prefix, context.state) {
            // key: prefix | completion 8 | '/' | source 20 | '/' | delegator 20 | '/' | destination 20
            let rest = key[prefix.count...]
            guard rest.count == 71 else { throw StakingError.corrupt("redelegation queue key") }
            let completion = StakingKeys.readBigEndian(rest.prefix(8))
            guard completion <= context.height else { break }
            let start = rest.startIndex
            guard let source = Address(bytes: Array(rest[(start + 9)..<(start + 29)])),
                  let delegator = Address(bytes: Array(rest[(start + 30)..<(start + 50)])),
                  let destination = Address(bytes: Array(rest[(start + 51)..<(start + 71)])) else {
                throw StakingError.corrupt("redelegation queue key")
            }
            context.state.delete(StakingKeys.redelegation(source, delegator, destination, completion))
            context.state.delete(StakingKeys.redelegationInto(delegator, destination, completion))
            context.state.delete(key)
        }
    }

    /// The block's signer is its proposer (the Solo engine; a BFT engine will pass its commit's signers).
    /// Every other active validator missed the block.
    func countSignatures(store: StakingStore, params: StakingParams, context: ExecutionContext) throws(LedgerError) {
        let window = params.signedBlocksWindow
        // Missing more than this many of the window's blocks is downtime.
        let allowedMisses = window * UInt64(10_000 - params.minSignedBps) / 10_000
        for (op, record) in try store.operators() where record.kind == .validator && record.isActive {
            let key = StakingKeys.signingInfo(op)
            var info = try get(key, context.state).map { raw throws(LedgerError) in try decode(SigningInfo.self, raw, "signing info") }
                ?? SigningInfo(startHeight: context.height, window: window)
            if info.bitmap.count != Int((window + 7) / 8) { info = SigningInfo(startHeight: context.height, window: window) }
            let slot = Int(info.counted % window)
            let wasMissed = info.bitmap[slot / 8] & (1 << (slot % 8)) != 0
            let missed = op != context.proposer
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
            }
            writeSigningInfo(info, op, context)
        }
    }

    /// Tips go to the proposer as an operator (its commission, then its delegators); emission goes to every
    /// active operator by bonded stake. The community tax of both goes to the treasury, and so does the dust
    /// of the pro-rata split of emission.
    func distributeRewards(store: StakingStore, params: StakingParams, context: ExecutionContext) throws(LedgerError) {
        let tax = UInt128(params.communityTaxBps)
        let tips = try read { () throws -> Amount in try bank.balance(of: ModuleAccount.feeCollector, denom: Denom.native, state: context.state) }
        if tips > .zero {
            let proposer = try store.operatorRecord(context.proposer)
            if let proposer, proposer.isActive, proposer.shares > 0 {
                let taxed = Amount(try RewardMath.multiply(tips.value, tax, "tax") / RewardMath.basisPoints)
                let rest = Amount(tips.value - taxed.value)
                try bank.send(Self.native(taxed), from: ModuleAccount.feeCollector, to: ModuleAccount.treasury, context: context)
                try bank.send(Self.native(rest), from: ModuleAccount.feeCollector, to: StakingAccounts.rewards, context: context)
                try store.distribute(rest, to: context.proposer)
            } else {
                try bank.send(Self.native(tips), from: ModuleAccount.feeCollector, to: context.proposer, context: context)
            }
        }

        let active = try store.operators().filter { $0.record.isActive }
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
            try store.distribute(Amount(part), to: op)
            shared += part
        }
        try bank.mint(Self.native(Amount(shared)), to: StakingAccounts.rewards, context: context)
        try bank.mint(Self.native(Amount(emission.value - shared)), to: ModuleAccount.treasury, context: context)
        context.emit(StakingEvents.rewards(emission: emission, toOperators: Amount(shared), toTreasury: Amount(emission.value - shared),
                                           tips: tips))
    }

    func get(_ key: [UInt8], _ state: any StateReader) throws(LedgerError) -> [UInt8]? {
        do { return try state.get(key) } catch { throw StakingError.corrupt("read: \(error)") }
    }

    func read<T>(_ body: () throws -> T) throws(LedgerError) -> T {
        do { return try body() } catch let e as LedgerError { throw e } catch { throw StakingError.corrupt("\(error)") }
    }
}
