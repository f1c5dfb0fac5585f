public import Hummingbird
import HTTPTypes
public import Logging
public import AsyncHTTPClient
import CairnPrimitives
import CairnMarket
import CairnClient
import CairnWire
import NIOCore
import NIOHTTP1
import Synchronization
import Foundation

/// The gateway's OpenAI-compatible HTTP API: each request goes to a provider chosen by the selector, paid through the
/// channel desk, and is retried on the next provider when one fails before its first byte.
///
/// Routes: `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions`, `POST /v1/embeddings`, `POST /v1/cairn/classify`,
/// `GET /v1/cairn/usage`, `GET /v1/cairn/providers`, `GET /metrics`. Answers carry `X-Cairn-Provider` (the provider
/// that served them) and, when not streamed, `X-Cairn-Cost` (ucairn).
public struct GatewayServer: Sendable {
    public struct Timeouts: Sendable {
        /// Connecting to a provider.
        public var connect: Duration
        /// From sending a request to the provider's first byte, and between two reads of a stream.
        public var firstToken: Duration
        /// A whole request.
        public var total: Duration
        /// Providers tried per request.
        public var attempts: Int

        public init(connect: Duration = .seconds(2), firstToken: Duration = .seconds(60), total: Duration = .seconds(300), attempts: Int = 3) {
            self.connect = connect
            self.firstToken = firstToken
            self.total = total
            self.attempts = attempts
        }
    }

    let directory: ProviderDirectory
    let desk: ChannelDesk
    let selector: SelectorBox
    let usage: UsageStore
    let metrics: GatewayMetrics
    let http: HTTPClient
    let keys: APIKeys
    let timeouts: Timeouts
    let logger: Logger
    let background: BackgroundWork
    /// Checks a share of the jobs (nil: none).
    public var auditor: (any JobAuditor)?
    let started = Int(Date().timeIntervalSince1970)

    public static let maxBodyBytes = 8 << 20
    public static let providerHeader = HTTPField.Name(CairnHeader.provider)!
    public static let costHeader = HTTPField.Name(CairnHeader.cost)!

    public init(directory: ProviderDirectory, desk: ChannelDesk, selector: SelectorBox, usage: UsageStore, metrics: GatewayMetrics,
                http: HTTPClient, keys: APIKeys, timeouts: Timeouts, logger: Logger, background: BackgroundWork) {
        self.directory = directory
        self.desk = desk
        self.selector = selector
        self.usage = usage
        self.metrics = metrics
        self.http = http
        self.keys = keys
        self.timeouts = timeouts
        self.logger = logger
        self.background = background
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(GatewayErrorMiddleware())
        router.get("/v1/models") { request, _ in
            _ = try authorize(request)
            return try json(ModelList(directory.listings, created: started))
        }
        router.post("/v1/chat/completions") { request, _ in try await proxy(request, kind: .chat) }
        router.post("/v1/completions") { request, _ in try await proxy(request, kind: .completion) }
        router.post("/v1/embeddings") { request, _ in try await proxy(request, kind: .embedding) }
        router.post("/v1/cairn/classify") { request, _ in try await proxy(request, kind: .classify) }
        router.get("/v1/cairn/usage") { request, _ in
            let key = try authorize(request)
            return try json(try usageReport(key: keys.isEmpty ? nil : key))
        }
        router.get("/v1/cairn/providers") { request, _ in
            _ = try authorize(request)
            return try json(ProviderReport(directory: directory, selector: selector.snapshot))
        }
        router.get("/metrics") { request, _ in
            _ = try authorize(request)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }

    /// The API key's name, or a 401 in OpenAI's shape.
    func authorize(_ request: Request) throws -> String {
        guard let name = keys.name(authorization: request.headers[.authorization]) else {
            throw OpenAIError(.unauthorized, type: "invalid_request_error", code: "invalid_api_key",
                              message: "Incorrect API key provided. Give it as 'Authorization: Bearer KEY'.")
        }
        return name
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    // MARK: Forwarding

    /// How one attempt at one provider ended.
    enum Attempt {
        /// An answer for the client (success, or the client's own mistake).
        case answered(Response)
        /// The provider failed before its first byte; the next may be tried.
        case failed(String)
    }

    func proxy(_ request: Request, kind: RequestSummary.Kind) async throws -> Response {
        let arrived = ContinuousClock.now
        var status = 500
        defer { metrics.request(route: kind.rawValue, status: status, seconds: (ContinuousClock.now - arrived).seconds) }
        do {
            let response = try await route(request, kind: kind, arrived: arrived)
            status = Int(response.status.code)
            return response
        } catch let e as OpenAIError {
            status = Int(e.status.code)
            throw e
        }
    }

    func route(_ request: Request, kind: RequestSummary.Kind, arrived: ContinuousClock.Instant) async throws -> Response {
        let key = try authorize(request)
        var request = request
        let body = Data(try await request.collectBody(upTo: Self.maxBodyBytes).readableBytesView)
        let summary = try RequestSummary(body, kind: kind)
        var found = directory.listing(summary.model)
        if found == nil {
            await directory.refresh(ifOlderThan: 1)
            found = directory.listing(summary.model)
        }
        guard let listing = found else { throw OpenAIError.modelNotFound(summary.model) }
        let ranked = selector.rank(listing.candidates, summary: summary)
        guard !ranked.isEmpty else {
            throw OpenAIError(.serviceUnavailable, type: "server_error", code: "no_provider_available",
                              message: "every provider serving '\(summary.model)' is out of rotation after failures; try again shortly")
        }
        var failures: [String] = []
        for (i, candidate) in ranked.prefix(max(1, timeouts.attempts)).enumerated() {
            if i > 0 { metrics.retried() }
            switch try await attempt(candidate, body: body, summary: summary, key: key, arrived: arrived) {
            case .answered(let response): return response
            case .failed(let why):
                failures.append("\(candidate.address): \(why)")
                logger.notice("provider failed, trying the next", metadata: ["provider": "\(candidate.address)", "why": "\(why)"])
            }
        }
        usageRecord(UsageRecord(key: key, provider: nil, model: summary.model, succeeded: false))
        throw OpenAIError(.badGateway, type: "server_error", code: "provider_failed",
                          message: "no provider could serve the request: " + failures.joined(separator: "; "))
    }

    /// Sends the request to one provider, paying on a leased channel; what happens after each attempt (a top-up and
    /// another try, another channel, the next provider) is the payer's decision.
    func attempt(_ candidate: ProviderCandidate, body: Data, summary: RequestSummary, key: String,
                 arrived: ContinuousClock.Instant) async throws -> Attempt {
        let needed = candidate.price.cost(promptTokens: summary.promptTokens, completionTokens: summary.completionTokens,
                                          embeddingTokens: summary.embeddingTokens)
        let deadline = arrived + timeouts.total
        let leaseDeadline = arrived + timeouts.firstToken
        var lease: ChannelDesk.Lease
        do {
            lease = try await desk.lease(candidate.address, needed: needed, deadline: leaseDeadline)
        } catch {
            switch error {
            case .spendLimit(let message): throw Self.insufficientQuota(message)
            case .busy: return .failed("every channel to it stayed busy")
            case .chain(let message): return .failed(message)
            }
        }
        selector.started(candidate.address)
        var paymentRetries = 0
        while true {
            let sent = ContinuousClock.now
            let end: Payer.AttemptEnd
            var response: HTTPClientResponse?
            do {
                var outbound = HTTPClientRequest(url: candidate.endpoint.trimmingSuffix("/") + summary.kind.rawValue)
                outbound.method = .POST
                outbound.headers.add(name: "Content-Type", value: "application/json")
                outbound.headers.add(name: CairnHeader.voucher, value: lease.voucher.headerValue)
                outbound.headers.add(name: CairnHeader.channel, value: String(lease.channelID))
                outbound.body = .bytes(ByteBuffer(bytes: body))
                let answer = try await http.execute(outbound, deadline: .now() + deadline.nioOffset)
                response = answer
                end = Self.end(of: answer)
            } catch {
                end = .noAnswer
            }
            // An answer is relayed as it is (the payer's `.relay`, which changes nothing), without a trip through the desk
            // before its first byte; the lease ends with its receipt.
            let next: ChannelDesk.Next
            if end == .answered { next = .relay } else {
                next = await desk.next(after: end, lease: lease, needed: needed, paymentRetries: paymentRetries, deadline: leaseDeadline)
            }
            if case .relay = next, let response {
                if let capacity = response.headers.first(name: CairnHeader.capacity).flatMap(Int.init),
                   selector.learned(capacity: capacity, of: candidate.address) {
                    let desk = desk, provider = candidate.address
                    Task { await desk.learned(capacity: capacity, of: provider) }
                }
                // The provider took the prompt (and keeps it): the next request that begins the same way is steered to it.
                if let key = summary.promptKey { selector.served(promptKey: key, by: candidate.address) }
                let job = Job(server: self, candidate: candidate, lease: lease, summary: summary, key: key, arrived: arrived, sent: sent,
                              deadline: deadline, body: body)
                if summary.stream { return try await job.stream(response) }
                return await job.whole(response)
            }
            // Any other answer is read to its end (freeing the connection); only a refusal of the request is passed on.
            let answer = (try? await response?.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            switch next {
            case .relay:
                return .failed("no answer to relay")
            case .resend(let next):
                logger.notice("a provider refused a payment; sending again", metadata: ["provider": "\(candidate.address)", "end": "\(end)"])
                lease = next
                paymentRetries += 1
            case .answerClient:
                // The client's own mistake (a 400): the provider's answer is the client's.
                selector.abandoned(candidate.address)
                usageRecord(UsageRecord(key: key, provider: candidate.address, model: summary.model, succeeded: false))
                return .answered(Response(status: .init(code: Int(response?.status.code ?? 400)),
                                          headers: [.contentType: "application/json", Self.providerHeader: candidate.address.bech32],
                                          body: ResponseBody(byteBuffer: answer)))
            case .failOver(let why):
                if case .paymentRefused = end { selector.abandoned(candidate.address) } else { providerFailed(candidate.address) }
                return .failed(why)
            case .overLimit(let why):
                selector.abandoned(candidate.address)
                throw Self.insufficientQuota(why)
            }
        }
    }

    /// How an answer's status line ends an attempt: 200 answered; 402 or 429 a payment refusal (its code from
    /// `X-Cairn-Payment-Rejection`); 5xx or 404 the provider's failure; any other status the client's mistake.
    static func end(of response: HTTPClientResponse) -> Payer.AttemptEnd {
        let code = Int(response.status.code)
        switch code {
        case 200: return .answered
        case 402, 429:
            return .paymentRefused(response.headers.first(name: CairnHeader.paymentRejection).flatMap(PaymentRejection.Code.init(rawValue:)))
        case 404, 500...: return .providerFailed(status: code)
        default: return .requestRefused(status: code)
        }
    }

    /// 429 in OpenAI's shape: paying would pass the spending limit.
    static func insufficientQuota(_ message: String) -> OpenAIError {
        OpenAIError(.tooManyRequests, type: "insufficient_quota", code: "insufficient_quota", message: message)
    }

    func providerFailed(_ address: Address) {
        selector.failed(address)
        metrics.providerFailed(address)
    }

    func usageRecord(_ record: UsageRecord) {
        do { try usage.record(record) } catch { logger.error("cannot record usage", metadata: ["error": "\(error)"]) }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

extension ContinuousClock.Instant {
    /// This instant as an offset from now, for NIO's deadlines.
    var nioOffset: TimeAmount { max(.zero, (self - ContinuousClock.now).timeAmount) }
}
