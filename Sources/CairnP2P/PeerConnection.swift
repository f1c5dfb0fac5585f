import Synchronization

/// An authenticated, encrypted link to one peer, the same for links dialed and accepted.
///
/// A connection lives inside the scope that made it (``P2PDialer/withConnection(to:_:)``,
/// ``P2PListener/run(onError:_:)`` or ``withConnection(over:nodeKey:expecting:configuration:_:)``): received
/// messages come from ``messages``; ``send(channel:bytes:)`` queues a message on a channel. When the scope's body
/// returns, what is queued is sent and the link closes. A failure (a frame that does not open, silence past the idle timeout, ...)
/// closes the link at once: ``messages`` throws it and sends fail with it.
public final class PeerConnection: Sendable {
    /// The id the peer proved in the handshake.
    public let peerID: NodeID
    /// The peer's raw Ed25519 node public key.
    public let peerPublicKey: [UInt8]
    /// This node's id.
    public let localID: NodeID
    /// The limits and timings of this link.
    public let configuration: PeerConfiguration

    let state: Mutex<LinkState>
    let inbox: Inbox

    init(session: SecretSession, localID: NodeID, configuration: PeerConfiguration) {
        peerID = session.peerID
        peerPublicKey = session.peerPublicKey
        self.localID = localID
        self.configuration = configuration
        let queue = SendQueue(channels: configuration.channels, capacity: configuration.sendQueueCapacity)
        state = Mutex(LinkState(queue: queue, now: .now))
        inbox = Inbox(capacity: configuration.receiveQueueCapacity)
    }

    // MARK: Receiving

    /// The messages received, in the order they completed. Ends (nil) when the link closes cleanly, throws the
    /// ``P2PError`` when it fails. One consumer at a time.
    public var messages: Messages { Messages(inbox: inbox) }

    /// The messages received on a link.
    public struct Messages: AsyncSequence, Sendable {
        let inbox: Inbox

        public func makeAsyncIterator() -> Iterator { Iterator(inbox: inbox) }

        /// Reads the link's messages.
        public struct Iterator: AsyncIteratorProtocol {
            let inbox: Inbox

            public mutating func next() async throws -> PeerMessage? { try await inbox.next() }
        }
    }

    // MARK: Sending

    /// Queues `bytes` on `channel`, waiting while that channel's queue is full (back pressure).
    ///
    /// Returns once the message is queued, not once it is sent.
    /// - Throws: ``P2PError/Code/unknownChannel`` for a channel the link does not carry,
    ///   ``P2PError/Code/messageTooLarge`` above the configured maximum, the link's failure (or
    ///   ``P2PError/Code/connectionClosed``) once it is closed, `CancellationError` when the task is cancelled.
    public func send(channel: P2PChannel, bytes: [UInt8]) async throws {
        try checkSize(bytes)
        while true {
            switch state.withLock({ $0.enqueue(bytes, on: channel.id) }) {
            case .queued(let writer):
                writer?.resume()
                return
            case .rejected(let error):
                throw error
            case .full:
                try await waitForRoom(on: channel.id)
            }
        }
    }

    /// Queues `bytes` on `channel` if it has room; false when its queue is full. Never waits.
    ///
    /// - Throws: as ``send(channel:bytes:)``, except for a full queue.
    public func trySend(channel: P2PChannel, bytes: [UInt8]) throws(P2PError) -> Bool {
        try checkSize(bytes)
        switch state.withLock({ $0.enqueue(bytes, on: channel.id) }) {
        case .queued(let writer):
            writer?.resume()
            return true
        case .rejected(let error):
            throw error
        case .full:
            return false
        }
    }

    /// Closes the link now, dropping what is queued; ``messages`` ends after what was already received.
    public func close() {
        finish(nil)
    }

    /// Whether the link is closed (by either side, or by a failure).
    public var isClosed: Bool { state.withLock { $0.isClosed } }

    private func checkSize(_ bytes: [UInt8]) throws(P2PError) {
        guard bytes.count <= configuration.maxMessageSize else {
            throw P2PError(.messageTooLarge, "a message of \(bytes.count) bytes is above the maximum of \(configuration.maxMessageSize)")
        }
    }

    private func waitForRoom(on channel: UInt8) async throws {
        let id = state.withLock { $0.newSenderID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let wait = state.withLock { $0.waitForRoom(id: id, on: channel, continuation: c, cancelled: Task.isCancelled) }
                switch wait {
                case .waiting: break
                case .retry: c.resume()
                case .fail(let error): c.resume(throwing: error)
                }
            }
        } onCancel: {
            state.withLock { $0.removeSender(id) }?.resume(throwing: CancellationError())
        }
    }

    // MARK: Closing

    /// Closes the link with `failure` (nil: cleanly), waking everyone who waits on it.
    func finish(_ failure: P2PError?) {
        guard let closing = state.withLock({ $0.close(failure) }) else { return }
        inbox.finish(failure)
        resume(closing, failure: failure)
    }

    /// Starts the graceful close: the writer sends what is queued, then the link closes.
    func drain() {
        guard let closing = state.withLock({ $0.drain() }) else { return }
        resume(closing, failure: nil)
    }

    private func resume(_ closing: LinkState.Closing, failure: P2PError?) {
        closing.writer?.resume()
        let error = failure ?? P2PError(.connectionClosed, "the link is closed")
        for sender in closing.senders { sender.resume(throwing: error) }
        for waiter in closing.waiters { waiter.resume() }
    }

    /// Returns once the link is closed.
    func waitUntilClosed() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if !state.withLock({ $0.waitForClose(c) }) { c.resume() }
        }
    }

    /// The failure the link closed with, if any.
    var failure: P2PError? { state.withLock { $0.failure } }
}
