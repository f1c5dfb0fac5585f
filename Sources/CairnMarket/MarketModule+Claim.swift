import CairnPrimitives
import CairnLedger

extension MarketModule {
    /// Redeems the client's latest voucher: the increase over what was claimed, per model, is split into
    /// the protocol fee (burned and treasury parts), each model's royalty and the provider's earnings, all
    /// paid out of the escrow.
    ///
    /// Refused: a signer other than the channel's provider; a closed channel or one past its settle height;
    /// a voucher not signed by the channel's voucher key on this chain; a cumulative equal to (nothing new)
    /// or below what was claimed, or any model's amount, tokens or requests below what was claimed for it; a cumulative above
    /// the deposit; a model with an increase that is not registered.
    func claim(_ signed: SignedVoucher, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let voucher = signed.voucher
        let id = voucher.channelID
        do { try voucher.validate() } catch { throw MarketError.invalidMessage("malformed voucher: \(error.message)") }
        let store = MarketStore(state: context.state)
        var record = try store.read.existingChannel(id)
        guard record.provider == signer else { throw MarketError.notChannelProvider(id) }
        if let challenges, let pending = try read({ try challenges.pendingChallenge(against: signer, state: context.state) }) {
            throw MarketError.challengePending(signer, challenge: pending)
        }
        switch record.state {
        case .open: break
        case .closing:
            guard context.height <= record.settleHeight else {
                throw MarketError.settlePassed(id, "its settle height \(record.settleHeight) has passed")
            }
        case .closed: throw MarketError.settlePassed(id, "it is closed")
        }
        guard let key = PublicKey(rawRepresentation: record.voucherKey), signed.isSigned(by: key, chainID: context.chainID) else {
            throw MarketError.badVoucherSignature(id)
        }
        try checkIncrease(voucher, over: record)
        let params = try params(state: context.state)
        var parts = [(modelID: UInt64, amount: Amount, royaltyBps: UInt32)]()
        for p in voucher.perModel {
            let increase = Amount(p.amount.value - record.claimed(for: p.modelID).value)
            guard increase > .zero else { continue }
            guard let terms = try read({ try models.royaltyTerms(of: p.modelID, state: context.state) }) else {
                throw MarketError.unknownModel(p.modelID)
            }
            parts.append((p.modelID, increase, terms.royaltyBps))
        }
        let split = ClaimSplit(parts: parts, protocolFeeBps: params.protocolFeeBps, feeBurnBps: params.feeBurnBps)
        try pay(split, provider: signer, context: context)
        record.claimed = voucher.cumulative
        // Every model claimed before is in the voucher with at least its amount, so the voucher's parts
        // (sorted, non-zero, summing to the cumulative) are the new per-model totals.
        record.claimedPerModel = voucher.perModel
        let served = voucher.usage.compactMap { u -> ModelUsage? in
            let before = record.claimedUsage.usage(for: u.modelID)
            let d = ModelUsage(modelID: u.modelID, tokens: u.tokens - before.tokens, requests: u.requests - before.requests)
            return d.tokens > 0 || d.requests > 0 ? d : nil
        }
        // Every model's usage claimed before is in the voucher with at least its counts (checked above).
        record.claimedUsage = voucher.usage
        store.write(record, id)
        context.emit(MarketEvents.claimed(id, provider: signer, cumulative: voucher.cumulative, split: split, served: served))
    }

    /// Claims only ever increase, in total and per model, and never pass the deposit.
    func checkIncrease(_ voucher: Voucher, over record: ChannelRecord) throws(LedgerError) {
        let id = voucher.channelID
        if voucher.cumulative == record.claimed { throw MarketError.nothingToClaim(id, claimed: record.claimed) }
        guard voucher.cumulative > record.claimed else {
            throw MarketError.voucherBelowClaimed(id, "cumulative", got: voucher.cumulative, claimed: record.claimed)
        }
        for c in record.claimedPerModel {
            let got = voucher.amount(for: c.modelID)
            guard got >= c.amount else { throw MarketError.voucherBelowClaimed(id, "model \(c.modelID)", got: got, claimed: c.amount) }
        }
        if let (got, claimed) = voucher.usage.shortfall(against: record.claimedUsage) {
            throw MarketError.voucherUsageBelowClaimed(id, model: claimed.modelID, got: got, claimed: claimed)
        }
        guard voucher.cumulative <= record.deposit else {
            throw MarketError.voucherAboveDeposit(id, cumulative: voucher.cumulative, deposit: record.deposit)
        }
    }

    /// Pays a claim out of the escrow: the provider, each model's royalty, the treasury, and the burn.
    func pay(_ split: ClaimSplit, provider: Address, context: ExecutionContext) throws(LedgerError) {
        let escrow = MarketAccounts.escrow
        try bank.send(Self.native(split.provider), from: escrow, to: provider, context: context)
        for part in split.parts where part.royalty > .zero {
            try models.payRoyalty(Self.native(part.royalty), model: part.modelID, from: escrow, context: context)
        }
        try bank.send(Self.native(split.treasury), from: escrow, to: ModuleAccount.treasury, context: context)
        try bank.burn(Self.native(split.burned), from: escrow, context: context)
    }
}
