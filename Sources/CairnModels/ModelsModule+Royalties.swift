public import CairnPrimitives
public import CairnLedger

// Keeper functions for the market module, which declares the protocol it needs and is handed this module
// by the composition root.
extension ModelsModule {
    /// The owner and royalty (basis points) of model `id`, or nil when no such model is registered.
    public func royaltyTerms(of id: UInt64, state: any StateReader) throws -> (owner: Address, royaltyBps: UInt32)? {
        guard let record = try ModelsStore(state: StateOverlay(base: state)).model(id) else { return nil }
        return (record.owner, record.spec.royaltyBps)
    }

    /// Pays `coin` (ucairn) of royalty for model `id` out of `from`'s balance: to the model's owner while it
    /// has no shares; otherwise into the royalty pool, raising the model's royalty per share so that every
    /// holder can claim its part. A zero amount does nothing.
    ///
    /// - Throws: `unknownModel`, `royaltyDenom` for another denomination, the bank's insufficient-funds
    ///   error when `from` lacks the coin, `overflow`.
    public func payRoyalty(_ coin: Coin, model id: UInt64, from: Address, context: ExecutionContext) throws(LedgerError) {
        guard coin.denom == Denom.native else { throw ModelsError.royaltyDenom(coin.denom) }
        guard coin.amount > .zero else { return }
        let record = try ModelsStore(state: context.state).addRoyalty(coin.amount, to: id)
        let recipient = record.hasShares ? ModelsAccounts.royalties : record.owner
        try bank.send(coin, from: from, to: recipient, context: context)
        context.emit(ModelsEvents.royalty(id, amount: coin.amount, payer: from, recipient: recipient))
    }
}
