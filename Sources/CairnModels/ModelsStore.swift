public import CairnPrimitives
public import CairnLedger

/// Models, their indexes and their holders' royalty checkpoints, over the ledger state.
///
/// Royalties of a model with shares use a reward-per-share accumulator: a royalty raises the model's
/// `rewardPerShare` once, and a holder's due is its share balance times the rise since it was last
/// settled. No operation loops over holders. The arithmetic is exact:
/// - a royalty assigns `floor((amount × scale + carry) / shares)` per share and carries the remainder (in
///   scaled units) into the model's next royalty;
/// - a holder's settled royalties stay scaled; a claim pays the whole units and keeps the fraction.
/// So every unit paid into the pool is, at any time, claimed, pending with a holder, or carried by its model.
///
/// Coins do not move here: the module's handlers move them in the bank around these calls.
public struct ModelsStore {
    public let state: StateOverlay

    /// A store over `state`.
    public init(state: StateOverlay) { self.state = state }

    // MARK: Records

    /// Model `id`'s record, or nil.
    public func model(_ id: UInt64) throws(LedgerError) -> ModelRecord? { try read(ModelsKeys.model(id), "model \(id)") }

    /// Model `id`'s record; throws `unknownModel` when there is none.
    public func existingModel(_ id: UInt64) throws(LedgerError) -> ModelRecord {
        guard let record = try model(id) else { throw ModelsError.unknownModel(id) }
        return record
    }

    /// `holder`'s checkpoint in model `id`, or nil.
    public func holder(_ holder: Address, of id: UInt64) throws(LedgerError) -> HolderRecord? {
        try read(ModelsKeys.holder(id, holder), "holder \(holder) of model \(id)")
    }

    /// The id of the model named `name`, or nil.
    public func id(named name: String) throws(LedgerError) -> UInt64? { try readID(ModelsKeys.name(name), "name index") }

    /// The id of the model with weights `hash`, or nil.
    public func id(weights hash: Hash) throws(LedgerError) -> UInt64? { try readID(ModelsKeys.weights(hash), "weights index") }

    /// The id the next registered model gets (ids start at 1).
    public func nextID() throws(LedgerError) -> UInt64 { try readID(ModelsKeys.nextID, "next id") ?? 1 }

    func write(_ record: ModelRecord, _ id: UInt64) { state.set(ModelsKeys.model(id), record.canonicalBytes) }

    /// Writes `holder`'s checkpoint; one with nothing pending whose balance becomes zero is deleted.
    func write(_ record: HolderRecord, _ holder: Address, of id: UInt64, balance: Amount) {
        let key = ModelsKeys.holder(id, holder)
        if balance == .zero && record.pendingScaled == 0 { state.delete(key) } else { state.set(key, record.canonicalBytes) }
    }

    func read<T: CanonicalCodable>(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T? {
        let raw: [UInt8]?
        do { raw = try state.get(key) } catch { throw ModelsError.corrupt("\(what()): \(error)") }
        guard let raw else { return nil }
        do { return try T(canonicalBytes: raw) } catch { throw ModelsError.corrupt("\(what()): \(error)") }
    }

    func readID(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> UInt64? {
        let raw: [UInt8]?
        do { raw = try state.get(key) } catch { throw ModelsError.corrupt("\(what()): \(error)") }
        guard let raw else { return nil }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw ModelsError.corrupt("\(what()) value") }
        return id
    }

    /// Every entry under `prefix`, in key order.
    func entries(_ prefix: [UInt8]) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw ModelsError.corrupt("scan: \(error)") }
    }

    // MARK: Operations

    /// Registers a model owned by `owner` at `height` under the next id, and indexes its name, weights
    /// and owner; returns the id.
    public func register(_ spec: ModelSpec, owner: Address, height: UInt64) throws(LedgerError) -> UInt64 {
        if let other = try id(named: spec.name) { throw ModelsError.nameTaken(spec.name, by: other) }
        if let other = try id(weights: spec.weightsHash) { throw ModelsError.weightsTaken(spec.weightsHash, by: other) }
        let id = try nextID()
        guard id < UInt64.max else { throw ModelsError.overflow("model id") }
        state.set(ModelsKeys.nextID, StateKey.bigEndian(id + 1))
        write(ModelRecord(spec: spec, owner: owner, registeredHeight: height), id)
        state.set(ModelsKeys.name(spec.name), StateKey.bigEndian(id))
        state.set(ModelsKeys.weights(spec.weightsHash), StateKey.bigEndian(id))
        state.set(ModelsKeys.owned(owner, id), [])
        return id
    }

    /// Gives model `id` to `to`, moving the owner index.
    public func transfer(_ id: UInt64, _ record: ModelRecord, to: Address) {
        var r = record
        state.delete(ModelsKeys.owned(r.owner, id))
        r.owner = to
        state.set(ModelsKeys.owned(to, id), [])
        write(r, id)
    }

    /// Adds a royalty of `amount` to model `id`'s earnings and, when it has shares, to its accumulator.
    public func addRoyalty(_ amount: Amount, to id: UInt64) throws(LedgerError) -> ModelRecord {
        var r = try existingModel(id)
        r.royaltiesEarned = Amount(try RoyaltyMath.add(r.royaltiesEarned.value, amount.value, "royalties earned"))
        if r.hasShares {
            let scaled = try RoyaltyMath.add(try RoyaltyMath.multiply(amount.value, RoyaltyMath.scale, "royalty"), r.carry, "carry")
            r.rewardPerShare = try RoyaltyMath.add(r.rewardPerShare, scaled / r.shares.value, "royalty per share")
            r.carry = scaled % r.shares.value
        }
        write(r, id)
        return r
    }

    /// `holder`'s checkpoint in model `record` (id `id`) brought up to the model's royalty per share, for a
    /// share balance of `balance` since it was last settled. A holder without a checkpoint starts at the
    /// current royalty per share.
    public func settled(_ holder: Address, of id: UInt64, balance: Amount, _ record: ModelRecord) throws(LedgerError) -> HolderRecord {
        guard var h = try self.holder(holder, of: id) else { return HolderRecord(rewardPerShareAtSettle: record.rewardPerShare) }
        guard record.rewardPerShare >= h.rewardPerShareAtSettle else { throw ModelsError.corrupt("holder settled past its model") }
        let earned = try RoyaltyMath.multiply(balance.value, record.rewardPerShare - h.rewardPerShareAtSettle, "holder royalties")
        h.pendingScaled = try RoyaltyMath.add(h.pendingScaled, earned, "pending royalties")
        h.rewardPerShareAtSettle = record.rewardPerShare
        return h
    }
}
