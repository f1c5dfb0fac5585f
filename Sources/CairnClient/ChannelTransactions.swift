public import CairnPrimitives
public import CairnMarket
import CairnLedger

/// The market transactions of a channel's client, signed with its key: open, top up, close.
///
/// Sends go through the key's `TransactionSender`, one after the other in the order asked, so concurrent callers may
/// share one, and other transactions of the same key sent through that sender do not take their nonces.
public final class ChannelTransactions: Sendable {
    public let sender: TransactionSender
    public var node: NodeClient { sender.node }
    var key: PrivateKey { sender.key }

    public init(sender: TransactionSender) { self.sender = sender }

    public convenience init(node: NodeClient, key: PrivateKey) { self.init(sender: TransactionSender(node: node, key: key)) }

    /// The client's address.
    public var client: Address { sender.address }

    /// Opens a channel to `provider` escrowing `deposit`, with the client's key as the voucher key; returns its id.
    public func open(to provider: Address, deposit: Amount) async throws(ClientError) -> UInt64 {
        let message = MsgOpenChannel(provider: provider, deposit: deposit, voucherKey: key.publicKey)
        let receipt = try await sender.send([message])
        guard let id = receipt.events.lazy.compactMap(MarketEvents.ChannelOpened.init).first?.id else {
            throw ClientError("the open-channel transaction \(receipt.txHash) has no \(MarketEvents.ChannelOpened.type) event")
        }
        return id
    }

    /// Adds `amount` to channel `id`'s deposit.
    public func topUp(_ id: UInt64, amount: Amount) async throws(ClientError) {
        _ = try await sender.send([MsgTopUpChannel(channelID: id, amount: amount)])
    }

    /// Starts closing channel `id`: after the settle delay the deposit not claimed returns to the client.
    public func close(_ id: UInt64) async throws(ClientError) {
        _ = try await sender.send([MsgCloseChannel(channelID: id)])
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
