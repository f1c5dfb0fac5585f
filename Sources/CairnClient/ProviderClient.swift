import CairnPrimitives
public import CairnMarket
import CairnWire
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A provider's answer to one paid request that is not streamed.
public struct ProviderResponse: Sendable {
    public var status: Int
    /// The JSON body (an OpenAI response, or an OpenAI error object).
    public var body: Data
    /// The provider's signed receipt (successful responses only).
    public var receipt: SignedReceipt?
}

/// One event of a streamed answer.
public enum ProviderStreamEvent: Sendable, Equatable {
    /// A `data:` payload (an OpenAI chunk as JSON text).
    case chunk(String)
    /// The provider's signed receipt (the `cairn-receipt` event).
    case receipt(SignedReceipt)
    /// `data: [DONE]`.
    case done
}

/// Calls a provider's OpenAI-compatible endpoints with a channel's voucher, and reads its receipts.
public struct ProviderClient: Sendable {
    public let baseURL: URL
    let session: URLSession
    let timeout: TimeInterval

    public init(url: String, timeout: TimeInterval = 300) throws(ClientError) {
        guard let u = URL(string: url), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            throw ClientError("'\(url)' is not an http:// or https:// URL")
        }
        baseURL = u
        self.timeout = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: config)
    }

    func request(_ path: String, body: Data, voucher: SignedVoucher?) throws(ClientError) -> URLRequest {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw ClientError("bad path \(path)") }
        var req = URLRequest(url: url)
        req.httpMethod = "POST"
        req.httpBody = body
        req.timeoutInterval = timeout
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let voucher {
            req.setValue(voucher.headerValue, forHTTPHeaderField: CairnHeader.voucher)
            req.setValue(String(voucher.voucher.channelID), forHTTPHeaderField: CairnHeader.channel)
        }
        return req
    }

    /// POSTs `body` to `path` (such as `/v1/chat/completions`) paying with `voucher`; returns the whole answer.
    public func post(_ path: String, body: Data, voucher: SignedVoucher?) async throws(ClientError) -> ProviderResponse {
        let req = try request(path, body: body, voucher: voucher)
        let data: Data
        let response: URLResponse
        do { (data, response) = try await session.boundedData(for: req) } catch {
            throw ClientError("cannot reach the provider at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        let http = response as? HTTPURLResponse
        let receipt = (http?.value(forHTTPHeaderField: CairnHeader.receipt)).flatMap(SignedReceipt.init(headerValue:))
        return ProviderResponse(status: http?.statusCode ?? 0, body: data, receipt: receipt)
    }

    /// Hands the provider `voucher` alone (`POST /v1/cairn/vouchers`): how a client pays for its last request on a
    /// channel, before or while closing it, since no later request will carry that voucher.
    /// - Throws: `ClientError` with the provider's code (such as `voucher_below_delivered`) when it refuses it.
    public func settle(_ voucher: SignedVoucher) async throws(ClientError) {
        let answer = try await post("/v1/cairn/vouchers", body: Data(), voucher: voucher)
        guard answer.status == 200 else {
            let parsed = try? JSONDecoder().decode(OpenAIErrorBody.self, from: answer.body)
            throw ClientError(parsed?.error.message ?? "the provider answered HTTP \(answer.status)", code: parsed?.error.code,
                              status: answer.status)
        }
    }

    /// GETs `path` (such as `/v1/models`).
    public func get(_ path: String) async throws(ClientError) -> (status: Int, body: Data) {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw ClientError("bad path \(path)") }
        do {
            let (data, response) = try await session.boundedData(for: URLRequest(url: url))
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            throw ClientError("cannot reach the provider at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
    }

    /// POSTs a streaming request; yields its chunks, the receipt and the end as they arrive.
    ///
    /// A non-2xx answer ends the stream with a `ClientError` carrying the status and the OpenAI error message.
    public func stream(_ path: String, body: Data, voucher: SignedVoucher?) throws(ClientError) -> AsyncThrowingStream<ProviderStreamEvent, any Error> {
        let req = try request(path, body: body, voucher: voucher)
        return StreamingRequest.start(req, timeout: timeout)
    }
}
