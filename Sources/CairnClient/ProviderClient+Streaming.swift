import CairnMarket
import CairnWire
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One streamed request: a URLSession data delegate that turns the arriving bytes into stream events.
final class StreamingRequest: NSObject, URLSessionDataDelegate, Sendable {
    struct State {
        var parser = ServerSentEventParser()
        var status = 0
        var errorBody: [UInt8] = []
        var finished = false
        /// Why the stream could not be read, when it could not.
        var failure: String?
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
            let parsed: [ServerSentEvent]
            do throws(WireError) { parsed = try s.parser.feed(data) } catch {
                s.failure = error.message
                return []
            }
            return parsed.compactMap { e -> ProviderStreamEvent? in
                if e.event == CairnHeader.receiptEvent {
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
        let (status, body, failure) = state.withLock { ($0.status, $0.errorBody, $0.failure) }
        if let failure {
            continuation.finish(throwing: ClientError("the provider's stream does not read: \(failure)"))
        } else if let error {
            continuation.finish(throwing: ClientError("the provider's stream failed: \(error.localizedDescription)"))
        } else if !(200..<300).contains(status) {
            let parsed = try? JSONDecoder().decode(OpenAIErrorBody.self, from: Data(body))
            continuation.finish(throwing: ClientError(parsed?.error.message ?? "the provider answered HTTP \(status)",
                                                      code: parsed?.error.code, status: status))
        } else {
            continuation.finish()
        }
    }
}
