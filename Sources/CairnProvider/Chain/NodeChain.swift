import CairnWire
public import CairnPrimitives
public import CairnLedger
public import CairnMarket
public import CairnModels
import CairnClient
public import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Foundation

/// The chain through a node's HTTP API: market and registry reads, the `/v1/events` stream, and transactions
/// signed by the provider's key.
public final class NodeChain: MarketChain, ProviderRegistry {
    public let chainID: String
    let client: NodeClient
    let http: HTTPClient
    let sender: TransactionSender

    /// Connects to the node at `url` (reading its chain id) to act as `key`.
    /// - Parameter http: the client for the event stream (owned by the caller, who shuts it down).
    public init(url: String, key: PrivateKey, http: HTTPClient) async throws {
        let client = try NodeClient(url: url)
        let status = try await client.status()
        self.client = client
        self.http = http
        chainID = status.chainID
        sender = TransactionSender(client: client, key: key, chainID: status.chainID)
    }

    // MARK: Market

    public func channel(_ id: UInt64) async throws -> ChannelView? {
        try await client.getIfPresent("/v1/market/channels/\(id)", as: ChannelView.self)
    }

    public func latestHeight() async throws -> UInt64 { try await client.status().height }

    public func claim(_ voucher: SignedVoucher) async throws {
        let receipt: Receipt
        do {
            receipt = try await sender.send([MsgClaim(voucher: voucher)])
        } catch {
            throw ClaimFailure(refusedByChain: false, message: "\(error)")
        }
        if let e = receipt.error {
            throw ClaimFailure(refusedByChain: true, message: "claim of channel \(voucher.voucher.channelID) failed: \(e.module)/\(e.code): \(e.message)")
        }
    }

    /// The parts of a `/v1/events` block record the provider reads.
    struct BlockRecordLite: Decodable {
        struct Header: Decodable { var height: UInt64 }
        struct ReceiptLite: Decodable { var events: [Event] }
        var header: Header
        var receipts: [ReceiptLite]
        var blockEvents: [Event]
    }

    public func blocks() -> AsyncThrowingStream<ChainBlock, any Error> {
        let url = client.baseURL.appendingPathComponent("v1/events").absoluteString
        let http = http
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var request = HTTPClientRequest(url: url)
                    request.headers.add(name: "Accept", value: "text/event-stream")
                    let response = try await http.execute(request, deadline: .distantFuture)
                    guard response.status == .ok else {
                        throw ProviderError(.node, "the node's event stream answered HTTP \(response.status.code)")
                    }
                    var parser = ServerSentEventParser()
                    for try await buffer in response.body {
                        for event in try parser.feed(buffer.readableBytesView) where event.event == "block" {
                            continuation.yield(try Self.block(from: event.data))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The height and market events of one block record.
    static func block(from json: String) throws -> ChainBlock {
        let record: BlockRecordLite
        do { record = try JSONDecoder().decode(BlockRecordLite.self, from: Data(json.utf8)) } catch {
            throw ProviderError(.node, "the node sent a block record that does not decode", cause: error)
        }
        let all = record.receipts.flatMap(\.events) + record.blockEvents
        return ChainBlock(height: record.header.height, channels: all.compactMap(MarketEvents.channelID(of:)))
    }

    // MARK: Registry

    /// The registry answers a list, or an object with the list under `models`.
    struct ModelList: Decodable {
        var models: [ModelView]
        enum CodingKeys: String, CodingKey { case models }
        init(from decoder: any Decoder) throws {
            if let list = try? [ModelView](from: decoder) {
                models = list
            } else {
                models = try decoder.container(keyedBy: CodingKeys.self).decode([ModelView].self, forKey: .models)
            }
        }
    }

    public func models(weightsHash: Hash) async throws -> [ModelView] {
        try await client.get("/v1/registry/models?hash=\(weightsHash.hex)", as: ModelList.self).models
    }

    public func models(name: String) async throws -> [ModelView] {
        let query = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        return try await client.get("/v1/registry/models?name=\(query)", as: ModelList.self).models
    }

    struct OperatorLite: Decodable { var kind: String }

    public func operatorKind(_ address: Address) async throws -> String? {
        try await client.getIfPresent("/v1/staking/operators/\(address.bech32)", as: OperatorLite.self)?.kind
    }

    public func provider(_ address: Address) async throws -> ProviderView? {
        try await client.getIfPresent("/v1/market/providers/\(address.bech32)", as: ProviderView.self)
    }

    public func send(_ messages: [any LedgerMessage]) async throws -> Receipt {
        try await sender.send(messages)
    }
}

/// Sends the provider's transactions one at a time, so each takes the next nonce.
actor TransactionSender {
    let client: NodeClient
    let key: PrivateKey
    let builder: TxBuilder

    init(client: NodeClient, key: PrivateKey, chainID: String) {
        self.client = client
        self.key = key
        builder = TxBuilder(chainID: chainID)
    }

    /// Signs, submits and waits for the receipt; a receipt with an error is returned, not thrown.
    func send(_ messages: [any LedgerMessage]) async throws -> Receipt {
        do {
            let status = try await client.status()
            let account = try await client.account(key.publicKey.address)
            let tx = builder.build(messages: messages, key: key, nonce: account.nonce, baseFee: status.baseFee)
            let hash = try await client.submit(tx)
            return try await client.waitForReceipt(hash)
        } catch {
            let names = messages.map { type(of: $0).typeName }.joined(separator: ", ")
            throw ProviderError(.node, "cannot send \(names): \(error)", cause: error)
        }
    }
}
