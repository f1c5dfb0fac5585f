/// The send side and the life of one link, as a state machine under the connection's lock: each method changes
/// the state and returns the continuations to resume, which the caller resumes after releasing the lock.
struct LinkState: Sendable {
    enum Phase: Sendable {
        /// Sending and receiving.
        case open
        /// The owner is done: no new sends; the writer sends what is queued, then the link closes.
        case draining
        /// Over: cleanly (`nil`) or with a failure.
        case closed(P2PError?)
    }

    typealias Sender = (id: UInt64, channel: UInt8, continuation: CheckedContinuation<Void, any Error>)

    private(set) var phase: Phase = .open
    var queue: SendQueue
    private var pongDue = false
    private var pingDue = false
    private var writer: CheckedContinuation<Void, Never>?
    private var senders: [Sender] = []
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var nextSenderID: UInt64 = 0
    /// When a frame last arrived from the peer.
    private var lastReceived: ContinuousClock.Instant
    /// Whether the reader is waiting for room in the inbox (then silence is ours, not the peer's).
    var readerBlocked = false

    init(queue: SendQueue, now: ContinuousClock.Instant) {
        self.queue = queue
        lastReceived = now
    }

    var isClosed: Bool { if case .closed = phase { true } else { false } }

    /// The failure the link closed with, if it did.
    var failure: P2PError? { if case .closed(let error) = phase { error } else { nil } }

    /// The error a send gets once the link is no longer open.
    var sendError: P2PError {
        failure ?? P2PError(.connectionClosed, "the link is closed")
    }

    // MARK: Sending

    enum Enqueue {
        case queued(wake: CheckedContinuation<Void, Never>?)
        case full
        case rejected(P2PError)
    }

    mutating func enqueue(_ bytes: [UInt8], on channel: UInt8) -> Enqueue {
        guard case .open = phase else { return .rejected(sendError) }
        guard queue.carries(channel) else {
            return .rejected(P2PError(.unknownChannel, "this link does not carry channel 0x\(String(channel, radix: 16))"))
        }
        guard queue.enqueue(bytes, on: channel) else { return .full }
        return .queued(wake: takeWriter())
    }

    /// A fresh id for a sender about to wait, so its cancellation handler can name it.
    mutating func newSenderID() -> UInt64 {
        nextSenderID += 1
        return nextSenderID
    }

    enum Wait {
        /// Registered: the sender is resumed when its channel has room, or with an error when the link closes.
        case waiting
        /// Resume at once: there is room again (the writer took a message meanwhile), or with the error.
        case retry
        case fail(any Error)
    }

    /// Registers sender `id` to be resumed when `channel` has room, re-checking the room under the same lock.
    mutating func waitForRoom(
        id: UInt64, on channel: UInt8, continuation: CheckedContinuation<Void, any Error>, cancelled: Bool
    ) -> Wait {
        guard case .open = phase else { return .fail(sendError) }
        if cancelled { return .fail(CancellationError()) }
        if queue.count(channel) < queue.capacity { return .retry }
        senders.append((id, channel, continuation))
        return .waiting
    }

    /// Removes a cancelled sender.
    mutating func removeSender(_ id: UInt64) -> CheckedContinuation<Void, any Error>? {
        guard let i = senders.firstIndex(where: { $0.id == id }) else { return nil }
        return senders.remove(at: i).continuation
    }

    // MARK: The writer

    enum WriterStep {
        /// Seal and send this frame; then resume `room` (a sender waiting for the channel it freed).
        case send(Frame, room: CheckedContinuation<Void, any Error>?)
        /// Nothing to send yet: wait to be woken.
        case wait
        /// The link is over: stop. `waiters` are owners waiting for the close.
        case stop(waiters: [CheckedContinuation<Void, Never>])
    }

    /// What the writer does next. Pongs and pings go before data.
    mutating func nextStep() -> WriterStep {
        if isClosed { return .stop(waiters: []) }
        if pongDue {
            pongDue = false
            return .send(.pong, room: nil)
        }
        if pingDue {
            pingDue = false
            return .send(.ping, room: nil)
        }
        if let next = queue.nextFrame() {
            let (frame, finished) = next
            var room: CheckedContinuation<Void, any Error>? = nil
            if let finished, let i = senders.firstIndex(where: { $0.channel == finished }) {
                room = senders.remove(at: i).continuation
            }
            return .send(frame, room: room)
        }
        if case .draining = phase {
            phase = .closed(nil)
            return .stop(waiters: takeCloseWaiters())
        }
        return .wait
    }

    /// Registers the idle writer; false when it must not wait (closed, or cancelled).
    mutating func park(_ continuation: CheckedContinuation<Void, Never>, cancelled: Bool) -> Bool {
        guard !isClosed, !cancelled, queue.isEmpty, !pongDue, !pingDue else { return false }
        if case .draining = phase { return false }
        writer = continuation
        return true
    }

    mutating func takeWriter() -> CheckedContinuation<Void, Never>? {
        defer { writer = nil }
        return writer
    }

    // MARK: Keep-alive

    /// A frame arrived at `now`.
    mutating func received(at now: ContinuousClock.Instant) {
        lastReceived = now
    }

    /// The peer pinged: a pong is due.
    mutating func pingReceived() -> CheckedContinuation<Void, Never>? {
        pongDue = true
        return takeWriter()
    }

    enum Tick {
        case ping(wake: CheckedContinuation<Void, Never>?)
        case timedOut
        case stop
    }

    /// One keep-alive period passed at `now`.
    mutating func tick(now: ContinuousClock.Instant, idleTimeout: Duration) -> Tick {
        if isClosed { return .stop }
        if readerBlocked { lastReceived = now }
        if now - lastReceived >= idleTimeout { return .timedOut }
        pingDue = true
        return .ping(wake: takeWriter())
    }

    // MARK: Closing

    /// Everything to resume when the link closes.
    struct Closing {
        var writer: CheckedContinuation<Void, Never>?
        var senders: [CheckedContinuation<Void, any Error>]
        var waiters: [CheckedContinuation<Void, Never>]
    }

    /// Closes the link now (a failure, the peer hanging up, or the owner dropping it); nil if it already was.
    mutating func close(_ failure: P2PError?) -> Closing? {
        if isClosed { return nil }
        phase = .closed(failure)
        defer { senders = [] }
        return Closing(writer: takeWriter(), senders: senders.map { $0.continuation }, waiters: takeCloseWaiters())
    }

    /// Starts the graceful close: senders waiting for room fail, the writer drains the queue.
    mutating func drain() -> Closing? {
        guard case .open = phase else { return nil }
        phase = .draining
        defer { senders = [] }
        return Closing(writer: takeWriter(), senders: senders.map { $0.continuation }, waiters: [])
    }

    /// Registers an owner waiting for the close; false when the link is already closed.
    mutating func waitForClose(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        if isClosed { return false }
        closeWaiters.append(continuation)
        return true
    }

    private mutating func takeCloseWaiters() -> [CheckedContinuation<Void, Never>] {
        defer { closeWaiters = [] }
        return closeWaiters
    }
}
