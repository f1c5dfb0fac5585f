import CairnMarket
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Splits a Server-Sent Events byte stream into events (`event:` name and joined `data:` lines).
struct SSEParser {
    var buffer: [UInt8] = []

    /// Feeds bytes; returns the events completed by them.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [(event: String?, data: String)] {
        buffer.append(contentsOf: bytes)
        var events: [(String?, String)] = []
        while let end = boundary() {
            let block = String(decoding: buffer[..<end.start], as: UTF8.self)
            buffer.removeFirst(end.end)
            var name: String?
            var data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                let l = line.hasSuffix("\r") ? line.dropLast() : line[...]
                if l.hasPrefix("event:") { name = l.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                else if l.hasPrefix("data:") { data.append(String(l.dropFirst(5).drop { $0 == " " })) }
            }
            if name != nil || !data.isEmpty { events.append((name, data.joined(separator: "\n"))) }
        }
        return events
    }

    /// The first blank line (`\n\n` or `\r\n\r\n`): where its block ends and where the next begins.
    func boundary() -> (start: Int, end: Int)? {
        var i = 0
        while i + 1 < buffer.count {
            if buffer[i] == 10, buffer[i + 1] == 10 { return (i, i + 2) }
            if buffer[i] == 13, i + 3 < buffer.count, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return (i, i + 4) }
            i += 1
        }
        return nil
    }
}

/// One streamed request: a URLSession data delegate that turns the arriving bytes into stream events.
final class StreamingRequest: NSObject, URLSessionDataDelegate, Sendable {
    struct State {
        var parser = SSEParser()
        var status = 0
        var errorBody: [UInt8] = []
        var finished = false
    }

    let continuation: AsyncThrowingStream<ProviderStreamEvent, any Error>.Continuation
    let state = Mutex(State())

    init(continuation: AsyncThrowingStream<ProviderStreamEvent, any Error>.Continuation) {
        self.continuation = continuation
    }

    static func start(_ request: URLRequest, timeout: TimeInterval) -> AsyncThrowingStream<ProviderStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ProviderStreamEvent, any Error>.makeStream()
        let delegate = StreamingRequest(continuation: continuation)
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: config, delegate: delegate, delegateQueue: nil)
        session.dataTask(with: request).resume()
        // The session keeps its delegate until invalidated; let it go once the task completes.
        session.finishTasksAndInvalidate()
        return stream
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        state.withLock { $0.status = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let events: [ProviderStreamEvent] = state.withLock { s in
            guard (200..<300).contains(s.status) else {
                s.errorBody.append(contentsOf: data)
                return []
            }
            return s.parser.feed(data).compactMap { e -> ProviderStreamEvent? in
                if e.event == ProviderClient.receiptEvent {
                    guard let r = SignedReceipt(headerValue: e.data) else { return nil }
                    return .receipt(r)
                }
                if e.data == "[DONE]" { return .done }
                return .chunk(e.data)
            }
        }
        for e in events { continuation.yield(e) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (status, body) = state.withLock { ($0.status, $0.errorBody) }
        if let error {
            continuation.finish(throwing: ClientError("the provider's stream failed: \(error.localizedDescription)"))
        } else if !(200..<300).contains(status) {
            let parsed = try? JSONDecoder().decode(OpenAIErrorEnvelope.self, from: Data(body))
            continuation.finish(throwing: ClientError(parsed?.error.message ?? "the provider answered HTTP \(status)",
                                                      code: parsed?.error.code, status: status))
        } else {
            continuation.finish()
        }
    }
}
