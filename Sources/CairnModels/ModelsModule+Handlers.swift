public import CairnPrimitives
public import CairnLedger

extension ModelsModule {
    /// Registers `spec` owned by `owner`; returns the new model's id.
    func register(_ spec: ModelSpec, owner: Address, context: ExecutionContext) throws(LedgerError) -> UInt64 {
        let cap = try params(state: context.state).maxRoyaltyBps
        guard spec.royaltyBps <= cap else { throw ModelsError.royaltyAboveCap(spec.royaltyBps, cap: cap) }
        guard !bank.blockedRecipients.contains(owner) else { throw ModelsError.moduleAccountOwner(owner) }
        let id = try ModelsStore(state: context.state).register(spec, owner: owner, height: context.height)
        context.emit(ModelsEvents.registered(id, spec, owner: owner))
        return id
    }

    /// Registers `spec` owned by `owner` with its revenue shares issued at once to `holders` (the training module's
    /// keeper: data owners receive shares of the model their data trained); returns the new model's id.
    public func registerWithShares(_ spec: ModelSpec, owner: Address, holders: [(address: Address, shares: Amount)],
                                   context: ExecutionContext) throws(LedgerError) -> UInt64 {
        try spec.validate()
        var total: UInt128 = 0
        for h in holders {
            let (sum, overflow) = total.addingReportingOverflow(h.shares.value)
            guard !overflow else { throw ModelsError.overflow("shares") }
            total = sum
        }
        let id = try register(spec, owner: owner, context: context)
        guard total > 0 else { return id }
        let store = ModelsStore(state: context.state)
        var record = try store.existingModel(id)
        record.shares = Amount(total)
        store.write(record, id)
        for h in holders where h.shares > .zero {
            try bank.mint(Coin(denom: ModelShares.denom(id), amount: h.shares), to: h.address, context: context)
        }
        context.emit(ModelsEvents.sharesIssued(id, owner: owner, shares: Amount(total)))
        return id
    }

    func transfer(_ m: MsgTransferModel, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = ModelsStore(state: context.state)
        let record = try store.existingModel(m.modelID)
        guard record.owner == signer else { throw ModelsError.notOwner(m.modelID, signer) }
        guard !bank.blockedRecipients.contains(m.to), m.to != ModelsAccounts.royalties else { throw ModelsError.moduleAccountOwner(m.to) }
        store.transfer(m.modelID, record, to: m.to)
        context.emit(ModelsEvents.transferred(m.modelID, from: signer, to: m.to))
    }

    /// Issues `m.shares` shares of the model to its owner, once; the bank's observer opens the owner's checkpoint.
    func issueShares(_ m: MsgIssueShares, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = ModelsStore(state: context.state)
        var record = try store.existingModel(m.modelID)
        guard record.owner == signer else { throw ModelsError.notOwner(m.modelID, signer) }
        guard !record.hasShares else { throw ModelsError.sharesAlreadyIssued(m.modelID) }
        record.shares = m.shares
        record.rewardPerShare = 0
        record.carry = 0
        store.write(record, m.modelID)
        try bank.mint(Coin(denom: ModelShares.denom(m.modelID), amount: m.shares), to: signer, context: context)
        context.emit(ModelsEvents.sharesIssued(m.modelID, owner: signer, shares: m.shares))
    }

    /// Pays the signer the whole units of royalty its shares have earned; the fraction stays pending.
    func claimRoyalties(_ m: MsgClaimRoyalties, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = ModelsStore(state: context.state)
        let record = try store.existingModel(m.modelID)
        guard record.hasShares else { throw ModelsError.noShares(m.modelID) }
        let balance = try shareBalance(of: signer, model: m.modelID, state: context.state)
        var h = try store.settled(signer, of: m.modelID, balance: balance, record)
        let paid = h.pendingScaled / RoyaltyMath.scale
        guard paid > 0 else { throw ModelsError.nothingToClaim(m.modelID, signer) }
        h.pendingScaled %= RoyaltyMath.scale
        store.write(h, signer, of: m.modelID, balance: balance)
        try bank.send(Self.native(Amount(paid)), from: ModelsAccounts.royalties, to: signer, context: context)
        context.emit(ModelsEvents.royaltiesClaimed(m.modelID, holder: signer, amount: Amount(paid)))
    }

    /// `holder`'s balance of model `id`'s shares.
    func shareBalance(of holder: Address, model id: UInt64, state: any StateReader) throws(LedgerError) -> Amount {
        do { return try bank.balance(of: holder, denom: ModelShares.denom(id), state: state) } catch {
            throw ModelsError.corrupt("share balance of \(holder): \(error)")
        }
    }
}
