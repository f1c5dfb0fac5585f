import CairnWire
public import Hummingbird
import HTTPTypes
public import Logging
import CairnPrimitives
import CairnMarket
import Foundation

/// The provider's OpenAI-compatible HTTP API, in front of an inference backend and behind the payment gate.
///
/// Routes: `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions`, `POST /v1/embeddings`,
/// `POST /v1/cairn/classify` (trained heads), `GET /metrics`
/// (the backend's figures in the Prometheus text format). A paid
/// request carries `X-Cairn-Voucher` and `X-Cairn-Channel`; a response carries its signed receipt in
/// `X-Cairn-Receipt`, or, when streamed, as the last event (`event: cairn-receipt`) before `data: [DONE]`.
public struct ProviderServer: Sendable {
    let backend: any InferenceBackend
    /// Trained classifier heads served over the backend's embedding models.
    let heads: [ServedHead]
    let desk: PaymentDesk
    let logger: Logger
    let started: Int

    /// Largest request body accepted.
    public static let maxBodyBytes = 8 << 20

    public init(backend: any InferenceBackend, desk: PaymentDesk, logger: Logger, heads: [ServedHead] = []) {
        self.backend = backend
        self.heads = heads
        self.desk = desk
        self.logger = logger
        started = Int(Date().timeIntervalSince1970)
    }

    /// The router with every route and the OpenAI error middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(OpenAIErrorMiddleware())
        router.get("/v1/models") { _, _ in
            try json(ModelListBody(models: backend.models + heads.map(\.served), owner: desk.provider.bech32, created: started))
        }
        router.post("/v1/chat/completions") { request, _ in try await chatCompletion(request) }
        router.post("/v1/completions") { request, _ in try await textCompletion(request) }
        router.post("/v1/embeddings") { request, _ in try await embeddings(request) }
        router.post("/v1/cairn/classify") { request, _ in try await classify(request) }
        router.post("/v1/cairn/vouchers") { request, _ in try await settle(request) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: backend.metrics())))
        }
        return router
    }

    /// `POST /v1/cairn/vouchers`: a voucher alone, paying for what was delivered (the last request on a channel,
    /// before or while closing it). Answers the channel's totals as the provider keeps them.
    func settle(_ request: Request) async throws -> Response {
        let voucher = request.headers[HTTPField.Name(CairnHeader.voucher)!]
        let channel = request.headers[HTTPField.Name(CairnHeader.channel)!]
        let decision: Result<ChannelTab, PaymentRejection>
        do {
            decision = try await desk.settle(voucherHeader: voucher, channelHeader: channel)
        } catch {
            logger.error("cannot store a voucher", metadata: ["error": "\(error)"])
            throw OpenAIError.server("the provider cannot store the voucher; try again later")
        }
        switch decision {
        case .success(let record):
            return try json(VoucherAccepted(record))
        case .failure(let rejection):
            throw OpenAIError.payment(rejection)
        }
    }

    /// The answer to a voucher handed over alone.
    struct VoucherAccepted: Encodable {
        let channel: UInt64
        let delivered: String
        let voucherCumulative: String

        init(_ record: ChannelTab) {
            channel = record.channelID
            delivered = record.delivered.description
            voucherCumulative = (record.voucher?.voucher.cumulative ?? .zero).description
        }

        enum CodingKeys: String, CodingKey {
            case channel, delivered
            case voucherCumulative = "voucher_cumulative"
        }
    }

    // MARK: Shared steps

    /// The body as received, its SHA-256, and its JSON decoded as `T` (a 400 in OpenAI's shape when it does not).
    func read<T: Decodable>(_ request: Request, as type: T.Type) async throws -> (body: Data, hash: Hash, value: T) {
        var request = request
        let buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        let body = Data(buffer.readableBytesView)
        do {
            return (body, Hash.sha256(body), try JSONDecoder().decode(T.self, from: body))
        } catch let e as DecodingError {
            throw OpenAIError.invalidRequest(Self.describe(e))
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        return switch e {
        case let .dataCorrupted(c) where c.codingPath.isEmpty: "the request body is not valid JSON"
        case let .dataCorrupted(c): "invalid '\(path(c))': \(c.debugDescription)"
        case let .keyNotFound(k, _): "missing required parameter '\(k.stringValue)'"
        case let .typeMismatch(t, c): "'\(path(c))' must be of type \(t)"
        case let .valueNotFound(t, c): "'\(path(c))' must be a \(t), got null"
        @unknown default: "invalid JSON"
        }
    }

    /// The served model named `name`, or a 404 in OpenAI's shape.
    func model(_ name: String) throws -> ServedModel {
        guard let model = backend.models.first(where: { $0.answers(to: name) }) else { throw OpenAIError.modelNotFound(name) }
        return model
    }

    /// Lets the request through the payment gate or throws the 402 (429) that says why not.
    func authorize(_ request: Request, model: ServedModel, maxCost: Amount) async throws -> Authorization {
        let voucher = request.headers[HTTPField.Name(CairnHeader.voucher)!]
        let channel = request.headers[HTTPField.Name(CairnHeader.channel)!]
        let decision: Result<Authorization, PaymentRejection>
        do {
            decision = try await desk.authorize(voucherHeader: voucher, channelHeader: channel, modelID: model.modelID, maxCost: maxCost)
        } catch {
            logger.error("cannot store a voucher", metadata: ["error": "\(error)"])
            throw OpenAIError.server("the provider cannot store the voucher; try again later")
        }
        switch decision {
        case .success(let ticket): return ticket
        case .failure(let rejection): throw OpenAIError.payment(rejection)
        }
    }

    /// Records the delivery and signs its receipt; a failure releases the ticket and answers 500.
    func deliver(_ ticket: Authorization, model: ServedModel, prompt: Int, completion: Int, embedding: Int,
                 requestHash: Hash, outputHash: Hash, outputTokensHash: Hash = .zero, finishReason: String = "") async throws -> SignedReceipt {
        do {
            return try await desk.deliver(ticket, model: model, promptTokens: prompt, completionTokens: completion,
                                          embeddingTokens: embedding, requestHash: requestHash, outputHash: outputHash,
                                          outputTokensHash: outputTokensHash, finishReason: finishReason)
        } catch {
            await desk.release(ticket)
            logger.error("cannot record a delivery", metadata: ["error": "\(error)", "channel": "\(ticket.channelID)"])
            throw OpenAIError.server("the provider cannot record the delivery; nothing was charged")
        }
    }

    func json(_ value: some Encodable, receipt: SignedReceipt? = nil, model: ServedModel? = nil) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let receipt { headers[HTTPField.Name(CairnHeader.receipt)!] = receipt.headerValue }
        if let model { headers[HTTPField.Name(CairnHeader.capacity)!] = String(backend.capacity(of: model)) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }

    /// A response id such as `chatcmpl-1f0c...`.
    static func responseID(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
