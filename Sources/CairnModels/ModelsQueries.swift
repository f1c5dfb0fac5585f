public import CairnPrimitives
public import CairnLedger

extension ModelRecord {
    /// The record as the API shows it.
    public func view(id: UInt64) -> ModelView {
        ModelView(id: id, name: spec.name, weightsHash: spec.weightsHash, format: spec.format, architecture: spec.architecture,
                  licence: spec.licence, royaltyBps: spec.royaltyBps, owner: owner, sharesDenom: hasShares ? ModelShares.denom(id) : nil,
                  shares: shares, royaltiesEarned: royaltiesEarned, registeredHeight: registeredHeight)
    }
}

/// What a holder of a model's shares holds and can claim, as the API shows it.
public struct RoyaltyHoldingView: Sendable, Equatable, Codable {
    public var modelID: UInt64
    public var holder: Address
    /// The holder's balance of the model's shares.
    public var shares: Amount
    /// Whole units of royalty a claim would pay now.
    public var claimable: Amount
}

extension ModelsModule {
    /// Model `id`, or nil.
    public func model(_ id: UInt64, state: any StateReader) throws -> ModelView? {
        try ModelsStore(state: StateOverlay(base: state)).model(id)?.view(id: id)
    }

    /// Models in id order: at most `limit`, starting after id `after` (nil: from the first).
    public func models(state: any StateReader, after: UInt64? = nil, limit: Int) throws -> [ModelView] {
        var out = [ModelView]()
        let store = ModelsStore(state: StateOverlay(base: state))
        var id = (after ?? 0) + 1
        let next = try store.nextID()
        // Ids are dense (models are never deleted), so this reads no more records than it returns.
        while id < next && out.count < limit {
            if let r = try store.model(id) { out.append(r.view(id: id)) }
            id += 1
        }
        return out
    }

    /// The model named `name`, or nil.
    public func model(named name: String, state: any StateReader) throws -> ModelView? {
        let store = ModelsStore(state: StateOverlay(base: state))
        guard let id = try store.id(named: name) else { return nil }
        return try store.model(id)?.view(id: id)
    }

    /// The model with weights `hash`, or nil.
    public func model(weightsHash hash: Hash, state: any StateReader) throws -> ModelView? {
        let store = ModelsStore(state: StateOverlay(base: state))
        guard let id = try store.id(weights: hash) else { return nil }
        return try store.model(id)?.view(id: id)
    }

    /// The models `owner` owns, in id order: at most `limit`, after id `after`.
    public func models(ownedBy owner: Address, state: any StateReader, after: UInt64? = nil, limit: Int) throws -> [ModelView] {
        let store = ModelsStore(state: StateOverlay(base: state))
        let prefix = ModelsKeys.ownedBy(owner)
        var out = [ModelView]()
        for entry in try store.entries(prefix) where out.count < limit {
            guard let id = StateKey.readBigEndian(entry.key, at: prefix.count) else { throw ModelsError.corrupt("owner index key") }
            if let after, id <= after { continue }
            out.append(try store.existingModel(id).view(id: id))
        }
        return out
    }

    /// `holder`'s shares of model `id` and the royalties it could claim now; nil when no such model exists.
    public func holding(of holder: Address, model id: UInt64, state: any StateReader) throws -> RoyaltyHoldingView? {
        let store = ModelsStore(state: StateOverlay(base: state))
        guard let record = try store.model(id) else { return nil }
        guard record.hasShares else { return RoyaltyHoldingView(modelID: id, holder: holder, shares: .zero, claimable: .zero) }
        let balance = try shareBalance(of: holder, model: id, state: state)
        let pending = try store.settled(holder, of: id, balance: balance, record).pendingScaled
        return RoyaltyHoldingView(modelID: id, holder: holder, shares: balance, claimable: Amount(pending / RoyaltyMath.scale))
    }

    /// The royalty pool's balance: royalties of models with shares not yet claimed.
    public func royaltyPool(state: any StateReader) throws -> Amount {
        try bank.balance(of: ModelsAccounts.royalties, denom: Denom.native, state: state)
    }
}
