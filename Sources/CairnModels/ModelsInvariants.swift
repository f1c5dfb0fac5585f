public import CairnPrimitives
public import CairnLedger

extension ModelsModule {
    /// The records agree with each other and with the bank:
    /// - every model is indexed by its name, weights and owner, and the indexes point at nothing else;
    /// - a model without shares has no accumulator; one with shares has `carry < shares`, and its holders'
    ///   share balances add up to its shares (so every balance has a checkpoint);
    /// - the royalty pool × 10^18 = Σ carries + Σ over holders (pending + balance × (royalty per share −
    ///   royalty per share at settlement)), to the unit: no royalty is created or lost by rounding.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let store = ModelsStore(state: StateOverlay(base: state))
        let next = try store.nextID()
        var records: [UInt64: ModelRecord] = [:]
        var owed: UInt128 = 0
        for entry in try store.entries(ModelsKeys.modelPrefix) {
            guard let id = StateKey.readBigEndian(entry.key, at: ModelsKeys.modelPrefix.count),
                  entry.key.count == ModelsKeys.modelPrefix.count + 8 else {
                violations.append("model key \(entry.key.hexString) is malformed")
                continue
            }
            let r = try ModelRecord(canonicalBytes: entry.value)
            records[id] = r
            if id == 0 || id >= next { violations.append("model \(id) is outside the ids given (1..<\(next))") }
            if try store.id(named: r.spec.name) != id { violations.append("model \(id)'s name is not indexed to it") }
            if try store.id(weights: r.spec.weightsHash) != id { violations.append("model \(id)'s weights are not indexed to it") }
            if try state.get(ModelsKeys.owned(r.owner, id)) == nil { violations.append("model \(id) is not indexed under its owner") }
            if r.hasShares {
                if r.carry >= r.shares.value { violations.append("model \(id) carries \(r.carry), not below its \(r.shares) shares") }
            } else if r.carry != 0 || r.rewardPerShare != 0 {
                violations.append("model \(id) has no shares but an accumulator")
            }
            owed += r.carry
        }
        for (prefix, what) in [(ModelsKeys.namePrefix, "name"), (ModelsKeys.weightsPrefix, "weights"), (ModelsKeys.ownerPrefix, "owner")] {
            let count = try store.entries(prefix).count
            if count != records.count { violations.append("\(count) \(what) index entries for \(records.count) models") }
        }
        var held: [UInt64: UInt128] = [:]
        for entry in try store.entries(ModelsKeys.holderPrefix) {
            let rest = Array(entry.key[ModelsKeys.holderPrefix.count...])
            guard rest.count == 29, let id = StateKey.readBigEndian(rest, at: 0), let holder = Address(bytes: Array(rest[9...])) else {
                violations.append("holder key \(entry.key.hexString) is malformed")
                continue
            }
            guard let r = records[id], r.hasShares else {
                violations.append("checkpoint of \(holder) in model \(id), which has no shares")
                continue
            }
            let h = try HolderRecord(canonicalBytes: entry.value)
            let balance = try bank.balance(of: holder, denom: ModelShares.denom(id), state: state)
            if balance == .zero && h.pendingScaled == 0 { violations.append("empty checkpoint of \(holder) in model \(id) is stored") }
            guard h.rewardPerShareAtSettle <= r.rewardPerShare else {
                violations.append("\(holder) is settled past model \(id)'s royalty per share")
                continue
            }
            let (unsettled, o1) = balance.value.multipliedReportingOverflow(by: r.rewardPerShare - h.rewardPerShareAtSettle)
            let (sum, o2) = owed.addingReportingOverflow(h.pendingScaled)
            let (total, o3) = sum.addingReportingOverflow(unsettled)
            if o1 || o2 || o3 { violations.append("royalties owed overflow") }
            owed = total
            held[id, default: 0] += balance.value
        }
        for (id, r) in records where r.hasShares && held[id, default: 0] != r.shares.value {
            violations.append("holders with checkpoints hold \(held[id, default: 0]) of model \(id)'s \(r.shares) shares")
        }
        let pool = try bank.balance(of: ModelsAccounts.royalties, denom: Denom.native, state: state)
        let (scaledPool, overflow) = pool.value.multipliedReportingOverflow(by: RoyaltyMath.scale)
        if overflow || scaledPool != owed {
            violations.append("royalty pool \(pool) × 10^18 != royalties owed \(owed) (scaled)")
        }
        return violations
    }
}
