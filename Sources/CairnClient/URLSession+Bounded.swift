public import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif

extension URLSession {
    /// `data(for:)` that is not cut short when the calling task is cancelled: the request runs until it
    /// answers, fails or reaches the session's timeout, and the caller sees cancellation at its next check.
    ///
    /// On Linux, cancelling a URLSession task while its response is being delivered can deadlock
    /// (`data(for:)` cancels under the Swift task's status lock while the network thread resumes the
    /// request under its own; swiftlang/swift-corelibs-foundation#5412) or crash in the task registry
    /// when `cancel()` is moved off that lock. Requests to a node are short and bounded by the timeout,
    /// so they are simply never cancelled.
    public func boundedData(for request: URLRequest) async throws -> (Data, URLResponse) {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
            let task = dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else if let response {
                    continuation.resume(returning: (data ?? Data(), response))
                } else {
                    continuation.resume(throwing: URLError(.badServerResponse))
                }
            }
            task.resume()
        }
    }
}
