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
    let transactions: ChannelTransactions
    /// The sender of the client key's transactions: other transactions signed with the key go through it too.
    public nonisolated var sender: TransactionSender { transactions.sender }
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
        self.transactions = ChannelTransactions(node: node, key: key)
        self.key = key
        self.chainID = chainID
        self.client = key.publicKey.address
        self.store = WalletStore(path: path)
        var channels: [UInt64: WalletChannel] = [:]
        if let file = try store.load() {
            try file.check(client: client, chainID: chainID, path: path)
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
        let id = try await transactions.open(to: provider, deposit: deposit)
        let channel = WalletChannel(id: id, provider: provider, deposit: deposit, delivered: .zero, perModel: [], closing: false, receipts: 0)
        channelsByID[id] = channel
        try save()
        return channel
    }

    /// Adds `amount` to channel `id`'s deposit.
    public func topUp(_ id: UInt64, amount: Amount) async throws(ClientError) -> WalletChannel {
        guard channelsByID[id] != nil else { throw ClientError("the wallet has no channel \(id)") }
        try await transactions.topUp(id, amount: amount)
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
        try await transactions.close(id)
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
        guard let channel = WalletChannel(adopting: view, client: client, voucherKey: key.publicKey) else {
            throw ClientError("channel \(view.id) takes vouchers from another key")
        }
        if let known = channelsByID[view.id] { return known }
        channelsByID[view.id] = channel
        try save()
        return channel
    }

    /// Refreshes channel `id`'s deposit and state from the chain.
    public func sync(_ id: UInt64) async throws(ClientError) -> WalletChannel {
        let view = try await transactions.channel(id)
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
        guard let known = channelsByID[id] else { throw ClientError("the wallet has no channel \(id)") }
        let channel = try known.accepting(signed, price: price, chainID: chainID)
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
        try store.save(WalletFile(chainID: chainID, client: client, channels: channels))
    }
}
