public import CairnPrimitives
import CairnLedger
public import CairnMarket

/// A client's payment channels: opens and tops them up on the chain, signs vouchers for exactly what was
/// delivered, checks every receipt before paying for it, and keeps its state durably.
///
/// Payment is postpaid with bounded credit: a request carries the voucher for everything delivered before
/// it, and its receipt is accepted (and persisted) before the next voucher covers it. So the client never
/// signs for more than the receipts it checked, and a provider is never owed more than one request.
public actor ChannelWallet {
    public let node: NodeClient
    public let chainID: String
    /// The client's address (the key that pays for channels and signs their vouchers).
    public let client: Address
    let key: PrivateKey
    let store: WalletStore
    var channelsByID: [UInt64: WalletChannel]
    /// Whether receipts were accepted without being written.
    var unsaved = false

    /// Opens the wallet at `path` (created on first save); refuses a file of another client or chain.
    public init(node: NodeClient, key: PrivateKey, chainID: String, path: String) throws(ClientError) {
        self.node = node
        self.key = key
        self.chainID = chainID
        self.client = key.publicKey.address
        self.store = WalletStore(path: path)
        var channels: [UInt64: WalletChannel] = [:]
        if let file = try store.load() {
            guard file.client == client else {
                throw ClientError("the channel wallet \(path) belongs to \(file.client), not \(key.publicKey.address)")
            }
            guard file.chainID == chainID else {
                throw ClientError("the channel wallet \(path) is for chain \(file.chainID), not \(chainID)")
            }
            for c in file.channels { channels[c.id] = c }
        }
        self.channelsByID = channels
    }

    /// Every channel the wallet knows, by id.
    public var channels: [WalletChannel] { channelsByID.values.sorted { $0.id < $1.id } }

    /// One channel, or nil.
    public func channel(_ id: UInt64) -> WalletChannel? { channelsByID[id] }

    /// The open channel to `provider` with the most available deposit, or nil.
    public func openChannel(to provider: Address) -> WalletChannel? {
        channelsByID.values.filter { $0.provider == provider && !$0.closing }.max { $0.available < $1.available }
    }

    // MARK: On-chain actions

    /// Opens a channel to `provider` escrowing `deposit`, with this wallet's key as the voucher key.
    public func open(to provider: Address, deposit: Amount) async throws(ClientError) -> WalletChannel {
        let receipt = try await node.send([MsgOpenChannel(provider: provider, deposit: deposit, voucherKey: key.publicKey)], key: key)
        guard let id = receipt.events.lazy.compactMap(MarketEvents.ChannelOpened.init).first?.id else {
            throw ClientError("the open-channel transaction \(receipt.txHash) has no \(MarketEvents.ChannelOpened.type) event")
        }
        let channel = WalletChannel(id: id, provider: provider, deposit: deposit, delivered: .zero, perModel: [], closing: false, receipts: 0)
        channelsByID[id] = channel
        try save()
        return channel
    }

    /// Adds `amount` to channel `id`'s deposit.
    public func topUp(_ id: UInt64, amount: Amount) async throws(ClientError) -> WalletChannel {
        guard channelsByID[id] != nil else { throw ClientError("the wallet has no channel \(id)") }
        _ = try await node.send([MsgTopUpChannel(channelID: id, amount: amount)], key: key)
        // Re-read after the await: another call may have changed the channel meanwhile.
        guard var channel = channelsByID[id], let deposit = channel.deposit.adding(amount) else {
            throw ClientError("the wallet has no channel \(id)")
        }
        channel.deposit = deposit
        channelsByID[id] = channel
        try save()
        return channel
    }

    /// Starts closing channel `id`: after the settle delay the deposit not claimed returns to the client.
    public func close(_ id: UInt64) async throws(ClientError) {
        guard channelsByID[id] != nil else { throw ClientError("the wallet has no channel \(id)") }
        _ = try await node.send([MsgCloseChannel(channelID: id)], key: key)
        channelsByID[id]?.closing = true
        try save()
    }

    /// A channel to `provider` with at least `needed` available: an open one, topped up to `deposit` more when
    /// short, or a new one with `deposit` (at least `needed`).
    public func ensureChannel(to provider: Address, needed: Amount, deposit: Amount) async throws(ClientError) -> WalletChannel {
        let amount = max(deposit, needed)
        if let existing = openChannel(to: provider) {
            if existing.available >= needed { return existing }
            return try await topUp(existing.id, amount: amount)
        }
        return try await open(to: provider, deposit: amount)
    }

    /// Takes up a channel of this client that the wallet does not know (opened elsewhere, or lost in a crash
    /// before the wallet saved it), counting what was already claimed as delivered.
    public func adopt(_ view: ChannelView) throws(ClientError) -> WalletChannel {
        guard view.client == client else { throw ClientError("channel \(view.id) belongs to \(view.client), not this wallet") }
        guard view.voucherKey == key.publicKey.rawRepresentation.hexString else {
            throw ClientError("channel \(view.id) takes vouchers from another key")
        }
        if let known = channelsByID[view.id] { return known }
        let channel = WalletChannel(id: view.id, provider: view.provider, deposit: view.deposit, delivered: view.claimed,
                                    perModel: view.claimedPerModel, usage: view.claimedUsage, closing: view.state != "open", receipts: 0)
        channelsByID[view.id] = channel
        try save()
        return channel
    }

    /// Refreshes channel `id`'s deposit and state from the chain.
    public func sync(_ id: UInt64) async throws(ClientError) -> WalletChannel {
        let view = try await node.get("/v1/market/channels/\(id)", as: ChannelView.self)
        guard var channel = channelsByID[id] else { throw ClientError("the wallet has no channel \(id)") }
        guard view.client == client else { throw ClientError("channel \(id) belongs to \(view.client), not this wallet") }
        channel.deposit = view.deposit
        channel.closing = view.state != "open"
        channelsByID[id] = channel
        try save()
        return channel
    }

    // MARK: Vouchers and receipts

    /// The signed voucher for everything delivered on channel `id` so far (sent with the next request).
    public func voucher(for id: UInt64) throws(ClientError) -> SignedVoucher {
        guard let channel = channelsByID[id] else { throw ClientError("the wallet has no channel \(id)") }
        return channel.voucher.signed(by: key, chainID: chainID)
    }

    /// Checks a provider's receipt for one request on channel `id` and, when it is right, records what it
    /// delivered (durably) so the next voucher pays for it.
    ///
    /// - Parameter price: the price the client expects for the model (from the provider's registration);
    ///   a receipt at another price is refused.
    /// - Throws: a `ClientError` with code `receipt_invalid` naming the mismatch; nothing is recorded then.
    /// - Parameter persist: false to leave the write to a later `flush()`, which saves every change since in one write
    ///   (a process that dies before it loses those receipts: its next voucher on the channel is then below what the
    ///   provider delivered and refused, and the channel must be left; the client never pays more than it checked).
    public func accept(_ signed: SignedReceipt, channel id: UInt64, price: ModelPrice, persist: Bool = true) throws(ClientError) -> WalletChannel {
        guard var channel = channelsByID[id] else { throw ClientError("the wallet has no channel \(id)") }
        let r = signed.receipt
        func refuse(_ why: String) -> ClientError { ClientError("receipt refused: \(why)", code: "receipt_invalid") }
        guard signed.isValid(chainID: chainID) else { throw refuse("bad signature or key for provider \(r.provider)") }
        guard r.provider == channel.provider else { throw refuse("signed by \(r.provider), channel \(id) pays \(channel.provider)") }
        guard r.channelID == id else { throw refuse("for channel \(r.channelID), not \(id)") }
        guard r.price == price, r.modelID == price.modelID else { throw refuse("price \(r.price) differs from the registered \(price)") }
        let cost = price.cost(promptTokens: r.promptTokens, completionTokens: r.completionTokens, embeddingTokens: r.embeddingTokens)
        guard r.cost == cost else { throw refuse("cost \(r.cost) is not \(cost) for its token counts") }
        guard let cumulative = channel.delivered.adding(cost), r.cumulative == cumulative else {
            throw refuse("cumulative \(r.cumulative) is not \(channel.delivered) delivered before plus \(cost)")
        }
        var parts = channel.perModel
        let index = parts.firstIndex { $0.modelID == r.modelID }
        let before = index.map { parts[$0].amount } ?? .zero
        guard let modelTotal = before.adding(cost), r.modelCumulative == modelTotal else {
            throw refuse("model cumulative \(r.modelCumulative) is not \(before) plus \(cost)")
        }
        guard cumulative <= channel.deposit else { throw refuse("cumulative \(cumulative) is above the deposit \(channel.deposit)") }
        guard let usage = channel.usage.adding(tokens: r.tokens, to: r.modelID) else { throw refuse("the channel's token count overflows") }
        let counted = usage.usage(for: r.modelID)
        guard r.modelTokens == counted.tokens, r.modelRequests == counted.requests else {
            throw refuse("model usage \(r.modelTokens) tokens and \(r.modelRequests) requests is not the \(counted.tokens) tokens and "
                         + "\(counted.requests) requests counted")
        }
        channel.usage = usage
        if cost > .zero {
            if let index { parts[index].amount = modelTotal } else {
                parts.append(ModelAmount(modelID: r.modelID, amount: modelTotal))
                parts.sort { $0.modelID < $1.modelID }
            }
        }
        channel.delivered = cumulative
        channel.perModel = parts
        channel.receipts += 1
        let previous = channelsByID[id]
        channelsByID[id] = channel
        guard persist else {
            unsaved = true
            return channel
        }
        do { try save() } catch {
            channelsByID[id] = previous
            throw error
        }
        return channel
    }

    /// Writes the receipts accepted with `persist: false` since the last write, if any.
    public func flush() throws(ClientError) {
        guard unsaved else { return }
        try save()
    }

    func save() throws(ClientError) {
        unsaved = false
        try store.save(WalletFile(version: WalletFile.version, chainID: chainID, client: client, channels: channels))
    }
}
