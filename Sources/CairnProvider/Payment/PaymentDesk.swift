public import CairnPrimitives
public import CairnMarket
public import CairnWire
public import Logging

/// The one owner of the payment gate: it fetches a channel from the chain on first sight, writes every accepted
/// voucher and every delivery to the voucher store before answering, and signs receipts.
public actor PaymentDesk {
    var gate: PaymentGate
    let store: VoucherStore
    let chain: any MarketChain
    let key: PrivateKey
    let logger: Logger

    /// Opens the desk with the records of the store.
    public init(store: VoucherStore, chain: any MarketChain, key: PrivateKey, logger: Logger) throws(ProviderError) {
        gate = PaymentGate(chainID: chain.chainID, provider: key.publicKey.address, records: try store.load())
        self.store = store
        self.chain = chain
        self.key = key
        self.logger = logger
    }

    /// The provider's address.
    public nonisolated var provider: Address { key.publicKey.address }

    /// Decides whether a request is served (see ``PaymentGate/authorize(voucherHeader:channelHeader:modelID:maxCost:)``),
    /// fetching the channel from the chain the first time it is seen and storing an accepted voucher.
    /// - Throws: `ProviderError` when the voucher cannot be stored.
    public func authorize(voucherHeader: String?, channelHeader: String?, modelID: UInt64,
                          maxCost: Amount) async throws -> Result<Authorization, PaymentRejection> {
        let id = PaymentGate.channelID(voucherHeader: voucherHeader, channelHeader: channelHeader)
        if voucherHeader?.isEmpty == false, let id, !gate.knowsChain(id) {
            await refresh(id)
        }
        // Read after the await: another request may have changed the channel meanwhile.
        let before = id.flatMap { gate.record($0) }
        let decision = gate.authorize(voucherHeader: voucherHeader, channelHeader: channelHeader, modelID: modelID, maxCost: maxCost)
        if case .success(let ticket) = decision, let record = gate.record(ticket.channelID), record != before {
            do { try store.save(record) } catch {
                gate.release(ticket)
                throw error
            }
        }
        return decision
    }

    /// Takes a voucher that pays for what was delivered (see ``PaymentGate/settle(voucherHeader:channelHeader:)``),
    /// storing it when it is the best so far.
    /// - Throws: `ProviderError` when the voucher cannot be stored.
    public func settle(voucherHeader: String?, channelHeader: String?) async throws -> Result<ChannelTab, PaymentRejection> {
        let id = PaymentGate.channelID(voucherHeader: voucherHeader, channelHeader: channelHeader)
        // A closing channel is re-read: the voucher is still welcome until its settle height.
        if voucherHeader?.isEmpty == false, let id { await refresh(id) }
        let before = id.flatMap { gate.record($0) }
        let decision = gate.settle(voucherHeader: voucherHeader, channelHeader: channelHeader)
        if case .success(let record) = decision, record != before {
            try store.save(record)
        }
        return decision
    }

    /// Records a served request, stores the channel's new totals, and returns the signed receipt.
    /// - Parameters:
    ///   - ticket: the request's authorization.
    ///   - model: the model served.
    ///   - requestHash: SHA-256 of the request body.
    ///   - outputHash: SHA-256 of the output (text as UTF-8, or embeddings as little-endian F32).
    ///   - outputTokensHash, finishReason: see ``ServiceReceipt``; the receipt also carries `model.weightsHash`.
    /// - Throws: `ProviderError` when the ticket is not the channel's request in flight or the store fails.
    public func deliver(_ ticket: Authorization, model: ServedModel, promptTokens: Int, completionTokens: Int, embeddingTokens: Int,
                        requestHash: Hash, outputHash: Hash, outputTokensHash: Hash = .zero,
                        finishReason: String = "") throws(ProviderError) -> SignedReceipt {
        let prompt = TokenCount.clamp(promptTokens), completion = TokenCount.clamp(completionTokens)
        let embedding = TokenCount.clamp(embeddingTokens)
        let cost = model.price.cost(promptTokens: prompt, completionTokens: completion, embeddingTokens: embedding)
        let tokens = UInt64(prompt) + UInt64(completion) + UInt64(embedding)
        guard let delivery = gate.delivered(ticket, cost: cost, tokens: tokens), let record = gate.record(ticket.channelID) else {
            throw ProviderError(.invalidRequest, "request \(ticket.serial) on channel \(ticket.channelID) is not in flight")
        }
        if delivery.cost < cost {
            logger.warning("metered cost above the authorized maximum; charged the maximum",
                           metadata: ["channel": "\(ticket.channelID)", "metered": "\(cost)", "charged": "\(delivery.cost)"])
        }
        try store.save(record)
        let receipt = ServiceReceipt(
            provider: provider, channelID: ticket.channelID, requestHash: requestHash, outputHash: outputHash,
            modelID: model.modelID, model: model.name, promptTokens: prompt, completionTokens: completion, embeddingTokens: embedding,
            price: model.price, cost: delivery.cost, cumulative: delivery.cumulative, modelCumulative: delivery.modelCumulative,
            modelTokens: delivery.modelUsage.tokens, modelRequests: delivery.modelUsage.requests, weightsHash: model.weightsHash,
            outputTokensHash: outputTokensHash, finishReason: finishReason)
        return receipt.signed(by: key, chainID: gate.chainID)
    }

    /// Ends a request that delivered nothing.
    public func release(_ ticket: Authorization) {
        gate.release(ticket)
    }

    /// Re-reads a channel from the chain; a failure leaves the last view in place.
    public func refresh(_ channelID: UInt64) async {
        do {
            if let view = try await chain.channel(channelID) { gate.chainUpdated(ChainChannel(view: view)) }
        } catch {
            logger.warning("cannot read channel from the node", metadata: ["channel": "\(channelID)", "error": "\(error)"])
        }
    }

    /// Takes a channel view the caller read.
    public func chainUpdated(_ channel: ChainChannel) { gate.chainUpdated(channel) }

    /// Notes the chain's latest height.
    public func observe(height: UInt64) { gate.observe(height: height) }

    /// Every channel the desk knows.
    public var channelIDs: [UInt64] { gate.channelIDs }

    /// The durable record of a channel.
    public func record(_ channelID: UInt64) -> ChannelTab? { gate.record(channelID) }

    /// The chain's view of a channel, as last read.
    public func chainView(_ channelID: UInt64) -> ChainChannel? { gate.accounts[channelID]?.chain }

    /// The claims due now, each marked as submitted.
    public func takeClaims(now: UInt64, policy: ClaimPolicy) -> [PaymentGate.Claim] {
        let due = gate.claimsDue(now: now, policy: policy)
        for claim in due { gate.claimSubmitted(claim.voucher) }
        return due
    }

    /// Notes a failed claim.
    public func claimFailed(_ voucher: SignedVoucher, refusedByChain: Bool) {
        gate.claimFailed(voucher, refusedByChain: refusedByChain)
    }
}
