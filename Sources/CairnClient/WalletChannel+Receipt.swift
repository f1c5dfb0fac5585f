public import CairnPrimitives
public import CairnMarket

extension WalletChannel {
    /// The channel after the receipt of one more request on it, when the receipt is right: signed by the channel's
    /// provider on `chainID`, for this channel, at the `price` the client expects (from the provider's registration),
    /// its cost, cumulative and usage adding up to exactly what the channel had delivered plus this request.
    ///
    /// - Throws: a `ClientError` with code `receipt_invalid` naming the mismatch.
    public func accepting(_ signed: SignedReceipt, price: ModelPrice, chainID: String) throws(ClientError) -> WalletChannel {
        let r = signed.receipt
        func refuse(_ why: String) -> ClientError { ClientError("receipt refused: \(why)", code: "receipt_invalid") }
        guard signed.isValid(chainID: chainID) else { throw refuse("bad signature or key for provider \(r.provider)") }
        guard r.provider == provider else { throw refuse("signed by \(r.provider), channel \(id) pays \(provider)") }
        guard r.channelID == id else { throw refuse("for channel \(r.channelID), not \(id)") }
        guard r.price == price, r.modelID == price.modelID else { throw refuse("price \(r.price) differs from the registered \(price)") }
        let cost = price.cost(promptTokens: r.promptTokens, completionTokens: r.completionTokens, embeddingTokens: r.embeddingTokens)
        guard r.cost == cost else { throw refuse("cost \(r.cost) is not \(cost) for its token counts") }
        guard let cumulative = delivered.adding(cost), r.cumulative == cumulative else {
            throw refuse("cumulative \(r.cumulative) is not \(delivered) delivered before plus \(cost)")
        }
        var parts = perModel
        let index = parts.firstIndex { $0.modelID == r.modelID }
        let before = index.map { parts[$0].amount } ?? .zero
        guard let modelTotal = before.adding(cost), r.modelCumulative == modelTotal else {
            throw refuse("model cumulative \(r.modelCumulative) is not \(before) plus \(cost)")
        }
        guard cumulative <= deposit else { throw refuse("cumulative \(cumulative) is above the deposit \(deposit)") }
        guard let counted = usage.adding(tokens: r.tokens, to: r.modelID) else { throw refuse("the channel's token count overflows") }
        let model = counted.usage(for: r.modelID)
        guard r.modelTokens == model.tokens, r.modelRequests == model.requests else {
            throw refuse("model usage \(r.modelTokens) tokens and \(r.modelRequests) requests is not the \(model.tokens) tokens and "
                         + "\(model.requests) requests counted")
        }
        var next = self
        next.usage = counted
        if cost > .zero {
            if let index { parts[index].amount = modelTotal } else {
                parts.append(ModelAmount(modelID: r.modelID, amount: modelTotal))
                parts.sort { $0.modelID < $1.modelID }
            }
        }
        next.delivered = cumulative
        next.perModel = parts
        next.receipts += 1
        return next
    }

    /// A channel of `client` opened elsewhere (or lost in a crash before the wallet saved it), as the chain shows it,
    /// counting what was already claimed as delivered; nil when it is not `client`'s or takes vouchers from another key.
    public init?(adopting view: ChannelView, client: Address, voucherKey: PublicKey) {
        guard view.client == client, view.voucherKey == voucherKey.rawRepresentation.hexString else { return nil }
        self.init(id: view.id, provider: view.provider, deposit: view.deposit, delivered: view.claimed, perModel: view.claimedPerModel,
                  usage: view.claimedUsage, closing: view.state != "open", receipts: 0)
    }
}
