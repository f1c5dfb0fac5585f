import Foundation
import AsyncHTTPClient
import Hummingbird
import NIOHTTP1
import Logging
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire
import CairnTestSupport

/// A provider's HTTP server on a loopback port, with a real `OpenAIProxyBackend` pointed at a ``FakeOpenAIServer``,
/// a fake chain with channel 1 of ``TestClient`` funded, and a voucher store in a temporary home.
struct ProviderHarness {
    static let providerKey = PrivateKey.deterministic("provider-test-provider")
    static let chatModel = ServedModel(name: "fake-chat", price: ModelPrice(modelID: 7, promptPerMillion: 1_000_000,
                                                                            completionPerMillion: 2_000_000, embeddingPerMillion: 0),
                                       contextLength: 4096, generates: true, embeds: false, aliases: ["chat"],
                                       weightsHash: Hash.sha256(Array("fake-chat weights".utf8)))
    static let embeddingModel = ServedModel(name: "fake-embed", price: ModelPrice(modelID: 8, promptPerMillion: 0, completionPerMillion: 0,
                                                                                  embeddingPerMillion: 3_000_000),
                                            contextLength: 512, generates: false, embeds: true)

    let client = TestClient()
    let chain: FakeMarketChain
    let desk: PaymentDesk
    let store: VoucherStore
    let upstream: FakeOpenAIServer
    let port: Int
    let home: TemporaryDirectory

    var provider: Address { Self.providerKey.publicKey.address }

    static var logger: Logger {
        var logger = Logger(label: "cairn.test.provider")
        logger.logLevel = .critical
        return logger
    }

    /// Starts everything, runs `body`, stops everything.
    static func with(deposit: Amount = 1_000, backend: (@Sendable (String) throws -> any InferenceBackend)? = nil, heads: [ServedHead] = [],
                     _ body: (ProviderHarness) async throws -> Void) async throws {
        let upstream = FakeOpenAIServer()
        let (upstreamPort, upstreamTask) = try await LoopbackServer.start(upstream.router())
        try await upstreamTask.stop {
            try await with(upstream: upstream, port: upstreamPort, deposit: deposit, backend: backend, heads: heads, body)
        }
    }

    private static func with(upstream: FakeOpenAIServer, port upstreamPort: Int, deposit: Amount,
                             backend: (@Sendable (String) throws -> any InferenceBackend)?, heads: [ServedHead],
                             _ body: (ProviderHarness) async throws -> Void) async throws {
        let url = "http://127.0.0.1:\(upstreamPort)/v1"
        let inference = try backend?(url) ?? OpenAIProxyBackend(
            url: url, routes: [.init(served: chatModel, upstreamName: "upstream-chat"), .init(served: embeddingModel, upstreamName: "upstream-embed")],
            http: HTTPClient.shared)
        let home = try TemporaryDirectory()
        let chain = FakeMarketChain()
        let harnessClient = TestClient()
        chain.put(harnessClient.channel(1, provider: providerKey.publicKey.address, deposit: deposit))
        let store = try VoucherStore(path: VoucherStore.path(home: home.url.path))
        let desk = try PaymentDesk(store: store, chain: chain, key: providerKey, logger: logger)
        let server = ProviderServer(backend: inference, desk: desk, logger: logger, heads: heads)
        let (port, task) = try await LoopbackServer.start(server.router())
        try await task.stop {
            try await body(ProviderHarness(chain: chain, desk: desk, store: store, upstream: upstream, port: port, home: home))
        }
    }

    /// One exchange with the provider.
    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
        var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }

        var receipt: SignedReceipt? { headers[CairnHeader.receipt.lowercased()].flatMap(SignedReceipt.init(headerValue:)) }

        /// The events of a streamed body.
        var events: [ServerSentEvent] {
            var parser = ServerSentEventParser()
            return (try? parser.feed(Array(body.utf8))) ?? []
        }
    }

    func request(_ path: String, method: HTTPMethod = .POST, body: String? = nil, voucher: SignedVoucher? = nil,
                 channel: UInt64? = 1) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let voucher { request.headers.add(name: CairnHeader.voucher, value: voucher.headerValue) }
        if let channel, voucher != nil { request.headers.add(name: CairnHeader.channel, value: "\(channel)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        return Reply(status: Int(response.status.code), headers: headers, body: String(buffer: bytes))
    }

    /// The voucher that pays for everything delivered per the last receipt (empty before any), with the models of
    /// `earlier` receipts (the last one of each other model) as they stood after them.
    func voucher(after receipt: SignedReceipt?, earlier: [SignedReceipt] = []) -> SignedVoucher {
        var parts: [UInt64: (Amount, ModelUsage)] = [:]
        for r in (earlier + [receipt].compactMap { $0 }).map(\.receipt) {
            parts[r.modelID] = (r.modelCumulative, ModelUsage(modelID: r.modelID, tokens: r.modelTokens, requests: r.modelRequests))
        }
        return client.voucher(1, parts.map { ($0.key, $0.value.0) }, usage: parts.values.map(\.1))
    }

    static func chat(_ content: String, maxTokens: Int? = 4, stream: Bool = false, model: String = "fake-chat") -> String {
        var fields = [#""model":"\#(model)""#, #""messages":[{"role":"user","content":"\#(content)"}]"#]
        if let maxTokens { fields.append(#""max_tokens":\#(maxTokens)"#) }
        if stream { fields.append(#""stream":true,"stream_options":{"include_usage":true}"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
