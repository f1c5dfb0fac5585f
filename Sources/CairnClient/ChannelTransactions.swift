public import CairnPrimitives
public import CairnMarket
import CairnLedger

/// The market transactions of a channel's client, signed with its key: open, top up, close.
///
/// Sends are serialized, one after the other in the order asked (each reads the account's nonce, and an actor alone
/// would let two interleave at their suspension points), so concurrent callers may share one.
public final class ChannelTransactions: Sendable {
    public let node: NodeClient
    let key: PrivateKey
    let lock = AsyncLock()

    public init(node: NodeClient, key: PrivateKey) {
        self.node = node
        self.key = key
    }

    /// The client's address.
    public var client: Address { key.publicKey.address }

    /// Opens a channel to `provider` escrowing `deposit`, with the client's key as the voucher key; returns its id.
    public func open(to provider: Address, deposit: Amount) async throws(ClientError) -> UInt64 {
        let message = MsgOpenChannel(provider: provider, deposit: deposit, voucherKey: key.publicKey)
        let receipt = try await lock.run { () async throws(ClientError) in try await node.send([message], key: key) }
        guard let id = receipt.events.lazy.compactMap(MarketEvents.ChannelOpened.init).first?.id else {
            throw ClientError("the open-channel transaction \(receipt.txHash) has no \(MarketEvents.ChannelOpened.type) event")
        }
        return id
    }

    /// Adds `amount` to channel `id`'s deposit.
    public func topUp(_ id: UInt64, amount: Amount) async throws(ClientError) {
        _ = try await lock.run { () async throws(ClientError) in try await node.send([MsgTopUpChannel(channelID: id, amount: amount)], key: key) }
    }

    /// Starts closing channel `id`: after the settle delay the deposit not claimed returns to the client.
    public func close(_ id: UInt64) async throws(ClientError) {
        _ = try await lock.run { () async throws(ClientError) in try await node.send([MsgCloseChannel(channelID: id)], key: key) }
    }

    /// The channels the chain holds for this client.
    public func channels() async throws(ClientError) -> [ChannelView] {
        try await node.get("/v1/market/channels?client=\(client.bech32)", as: ChannelList.self).channels
    }

    /// One channel as the chain shows it.
    public func channel(_ id: UInt64) async throws(ClientError) -> ChannelView {
        try await node.get("/v1/market/channels/\(id)", as: ChannelView.self)
    }

    struct ChannelList: Decodable { var channels: [ChannelView] }
}
