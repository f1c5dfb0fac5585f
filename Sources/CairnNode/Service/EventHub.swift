import Synchronization
import Foundation

/// Fans each committed block's event record out to every Server-Sent Events subscriber.
public final class EventHub: Sendable {
    let subscribers = Mutex<[UUID: AsyncStream<String>.Continuation]>([:])

    public init() {}

    /// A stream of JSON records, one per block committed after subscribing.
    public func subscribe() -> AsyncStream<String> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public func publish(_ record: String) {
        for c in subscribers.withLock({ Array($0.values) }) { c.yield(record) }
    }

    /// Ends every stream (on shutdown).
    public func finishAll() {
        for c in subscribers.withLock({ Array($0.values) }) { c.finish() }
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }
}
