import Synchronization

/// The received messages of one link waiting for its consumer: bounded, so a slow consumer stops the reader (and
/// TCP then stops the peer) instead of letting memory grow.
///
/// One producer (the link's reader) and one consumer at a time.
final class Inbox: Sendable {
    private struct State: Sendable {
        var items: [PeerMessage] = []
        var head = 0
        /// Set once the link is over: nil for a clean end, else the failure to report after the last message.
        var end: P2PError?? = nil
        var failureReported = false
        var consumer: CheckedContinuation<PeerMessage?, any Error>?
        var producer: CheckedContinuation<Void, Never>?

        var count: Int { items.count - head }

        mutating func popFirst() -> PeerMessage? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head >= 64, head * 2 >= items.count {
                items.removeSubrange(0..<head)
                head = 0
            }
            return item
        }
    }

    /// What a consumer's call finds.
    private enum Next {
        case item(PeerMessage, wake: CheckedContinuation<Void, Never>?)
        case end(P2PError?)
        case wait
        case cancelled
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Hands `message` to the consumer, waiting while `capacity` messages are already held.
    /// Returns at once (dropping the message) once the inbox is finished or the task is cancelled.
    func push(_ message: PeerMessage) async {
        while true {
            let consumer: CheckedContinuation<PeerMessage?, any Error>?? = state.withLock { s in
                if s.end != nil { return .some(nil) }
                if let c = s.consumer {
                    s.consumer = nil
                    return .some(c)
                }
                guard s.count < capacity else { return nil }
                s.items.append(message)
                return .some(nil)
            }
            if let consumer {
                consumer?.resume(returning: message)
                return
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let park = state.withLock { s -> Bool in
                        guard s.end == nil, s.count >= capacity, !Task.isCancelled else { return false }
                        s.producer = c
                        return true
                    }
                    if !park { c.resume() }
                }
            } onCancel: {
                state.withLock { s in defer { s.producer = nil }; return s.producer }?.resume()
            }
            if Task.isCancelled { return }
        }
    }

    /// The next message; nil after the last one of a clean end; throws the failure once after the last message.
    func next() async throws -> PeerMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<PeerMessage?, any Error>) in
                let now = state.withLock { s -> Next in
                    if let item = s.popFirst() {
                        defer { s.producer = nil }
                        return .item(item, wake: s.producer)
                    }
                    if let end = s.end {
                        if let failure = end, !s.failureReported {
                            s.failureReported = true
                            return .end(failure)
                        }
                        return .end(nil)
                    }
                    if Task.isCancelled { return .cancelled }
                    precondition(s.consumer == nil, "a link's messages have one consumer at a time")
                    s.consumer = c
                    return .wait
                }
                switch now {
                case .item(let item, let wake):
                    wake?.resume()
                    c.resume(returning: item)
                case .end(let failure):
                    if let failure { c.resume(throwing: failure) } else { c.resume(returning: nil) }
                case .cancelled:
                    c.resume(throwing: CancellationError())
                case .wait:
                    break
                }
            }
        } onCancel: {
            state.withLock { s in defer { s.consumer = nil }; return s.consumer }?.resume(throwing: CancellationError())
        }
    }

    /// Ends the inbox: the consumer gets the messages still held, then nil (or `failure`, thrown once).
    func finish(_ failure: P2PError?) {
        let (consumer, producer) = state.withLock { s -> (CheckedContinuation<PeerMessage?, any Error>?, CheckedContinuation<Void, Never>?) in
            if s.end != nil { return (nil, nil) }
            s.end = .some(failure)
            defer {
                s.consumer = nil
                s.producer = nil
            }
            return (s.consumer, s.producer)
        }
        producer?.resume()
        // A waiting consumer means nothing is held: give it the end now.
        if let consumer {
            if let failure {
                state.withLock { $0.failureReported = true }
                consumer.resume(throwing: failure)
            } else {
                consumer.resume(returning: nil)
            }
        }
    }
}
