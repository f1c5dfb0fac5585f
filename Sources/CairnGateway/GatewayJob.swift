import Hummingbird
import HTTPTypes
import AsyncHTTPClient
import CairnPrimitives
import CairnMarket
import CairnClient
import CairnWire
import NIOCore
import NIOHTTP1
import Logging
import Foundation

/// One request a provider answered with 200: relays the answer to the client, then checks and records the receipt,
/// gives the channel back, and tells the selector how the provider did.
///
/// The receipt is checked after the answer has gone out: the client does not wait for payment bookkeeping. The
/// channel stays leased until it is done, so the next voucher on the channel always pays for this request.
struct Job: Sendable {
    let server: GatewayServer
    let candidate: ProviderCandidate
    let lease: ChannelDesk.Lease
    let summary: RequestSummary
    let key: String
    let arrived: ContinuousClock.Instant
    let sent: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    /// The request body as sent to the provider (what its receipt's request hash covers).
    let body: Data

    var route: String { summary.kind.rawValue }

    /// A whole (not streamed) answer.
    func whole(_ response: HTTPClientResponse) async -> GatewayServer.Attempt {
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            await server.desk.release(lease, voucherDelivered: true)
            server.providerFailed(candidate.address)
            return .failed("the answer broke off: \(error)")
        }
        let firstByte = ContinuousClock.now
        server.metrics.firstByte(route: route, seconds: (firstByte - arrived).seconds)
        let receipt = response.headers.first(name: CairnHeader.receipt).flatMap(SignedReceipt.init(headerValue:))
        var headers: HTTPFields = [.contentType: "application/json", GatewayServer.providerHeader: candidate.address.bech32]
        if let receipt { headers[GatewayServer.costHeader] = receipt.receipt.cost.value.description }
        var answer: (@Sendable () -> [UInt8]?)?
        // A classifier's labels have no check to run: only generations and embeddings are audited.
        if server.auditor != nil, summary.kind != .classify {
            let buffer = bytes, embedding = summary.kind == .embedding
            answer = {
                let body = Data(buffer.readableBytesView)
                return embedding ? AnswerText.embeddingBytes(body) : AnswerText.whole(body).map { Array($0.utf8) }
            }
        }
        let audit = answer
        server.background.spawn { await settle(receipt, firstByte: firstByte, end: firstByte, outcome: .succeeded, answer: audit) }
        return .answered(Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes)))
    }

    /// A streamed answer: relayed once its first event has arrived (before that, a failure lets the next provider
    /// try); the receipt event is kept back, `[DONE]` and every chunk go through.
    func stream(_ response: HTTPClientResponse) async throws -> GatewayServer.Attempt {
        let source = EventSource(response.body.makeAsyncIterator())
        let first: [ServerSentEvent]
        do {
            first = try await source.next(until: deadline)
        } catch {
            await server.desk.release(lease, voucherDelivered: true)
            server.providerFailed(candidate.address)
            return .failed("the stream broke before its first event: \(error)")
        }
        guard !first.isEmpty else {
            await server.desk.release(lease, voucherDelivered: true)
            server.providerFailed(candidate.address)
            return .failed("the stream ended before its first event")
        }
        let firstByte = ContinuousClock.now
        server.metrics.firstByte(route: route, seconds: (firstByte - arrived).seconds)
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                   GatewayServer.providerHeader: candidate.address.bech32]
        let job = self
        return .answered(Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var receipt: SignedReceipt?
            var outcome = Outcome.succeeded
            var pending = first
            // With audits on, the events' data is kept (a string each); only a job the auditor draws has it decoded.
            var events: [String] = []
            let audited = job.server.auditor != nil
            relay: while true {
                for event in pending {
                    if event.event == CairnHeader.receiptEvent {
                        receipt = SignedReceipt(headerValue: event.data)
                        continue
                    }
                    if audited { events.append(event.data) }
                    do {
                        try await writer.write(ByteBuffer(string: ServerSentEvent(data: event.data).encoded))
                    } catch {
                        outcome = .clientLeft
                        break relay
                    }
                }
                do {
                    pending = try await source.next(until: job.deadline)
                    if pending.isEmpty { break }
                } catch {
                    outcome = .failed
                    let message = "the provider's stream broke off: \(error)"
                    let body = OpenAIErrorBody(message: message, type: "server_error", code: "provider_failed")
                    let data = String(decoding: (try? JSONEncoder().encode(body)) ?? Data(), as: UTF8.self)
                    try? await writer.write(ByteBuffer(string: ServerSentEvent(data: data).encoded))
                    break
                }
            }
            let end = ContinuousClock.now
            let (finalReceipt, finalOutcome, kept) = (receipt, outcome, events)
            let answer: (@Sendable () -> [UInt8]?)? = audited ? { @Sendable in AnswerText.stream(kept).map { Array($0.utf8) } } : nil
            job.server.background.spawn { await job.settle(finalReceipt, firstByte: firstByte, end: end, outcome: finalOutcome, answer: answer) }
            try? await writer.finish(nil)
        }))
    }

    enum Outcome: Sendable {
        case succeeded, failed, clientLeft
    }

    /// Checks and records the receipt, gives the channel back, records usage, and tells the selector.
    /// `answer` gives the answer's text to the auditor (nil: not audited).
    func settle(_ receipt: SignedReceipt?, firstByte: ContinuousClock.Instant, end: ContinuousClock.Instant, outcome: Outcome,
                answer: (@Sendable () -> [UInt8]?)? = nil) async {
        var record = UsageRecord(key: key, provider: candidate.address, model: summary.model, succeeded: outcome == .succeeded)
        if let receipt {
            do {
                // Accepted, the channel is given back with the next voucher paying for this request.
                let cost = try await server.desk.accept(receipt, lease: lease, price: candidate.price)
                let r = receipt.receipt
                record.promptTokens = r.promptTokens
                record.completionTokens = r.completionTokens
                record.embeddingTokens = r.embeddingTokens
                record.cost = cost
                server.metrics.served(provider: candidate.address, promptTokens: r.promptTokens, completionTokens: r.completionTokens,
                                      embeddingTokens: r.embeddingTokens, cost: cost)
                if outcome == .succeeded, let answer, let auditor = server.auditor {
                    await auditor.consider(request: body, receipt: receipt, answer: answer)
                }
            } catch {
                // Refused, the channel is retired (and closed by the upkeep).
                server.logger.warning("refused a provider's receipt; its channel is closed",
                                      metadata: ["provider": "\(candidate.address)", "error": "\(error)"])
                server.metrics.receiptRefused()
            }
        } else if outcome == .succeeded {
            server.logger.warning("a provider answered without a receipt; its channel is closed", metadata: ["provider": "\(candidate.address)"])
            server.metrics.receiptRefused()
            await server.desk.retire(lease)
        } else {
            // Whatever the provider recorded for a broken request, the wallet did not: the channel is left behind.
            await server.desk.retire(lease)
        }
        server.usageRecord(record)
        switch outcome {
        case .succeeded where receipt != nil:
            let generated = Double(receipt?.receipt.completionTokens ?? 0)
            let seconds = (end - firstByte).seconds
            server.selector.succeeded(candidate.address, firstTokenSeconds: (firstByte - sent).seconds,
                                      tokensPerSecond: generated > 1 && seconds > 0 ? generated / seconds : nil)
        case .succeeded, .failed: server.providerFailed(candidate.address)
        case .clientLeft: server.selector.abandoned(candidate.address)
        }
    }
}

/// A provider's event stream read event by event, shared with the response writer.
final class EventSource: @unchecked Sendable {
    // Used by one task at a time: the handler until the first event, then the response writer.
    var iterator: HTTPClientResponse.Body.AsyncIterator
    var parser = ServerSentEventParser()
    var ended = false

    init(_ iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.iterator = iterator
    }

    /// The next events (at least one), or none at the end of the stream.
    func next(until deadline: ContinuousClock.Instant) async throws -> [ServerSentEvent] {
        while !ended {
            guard ContinuousClock.now < deadline else { throw GatewayError("the request ran past its time limit") }
            guard let buffer = try await iterator.next() else {
                ended = true
                break
            }
            let events = try parser.feed(buffer.readableBytesView)
            if !events.isEmpty { return events }
        }
        return []
    }
}
