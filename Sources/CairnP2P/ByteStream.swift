/// A reliable, ordered duplex byte stream that a link runs over: TCP in production, an in-memory pipe in tests and
/// in-process networks.
///
/// A link reads from one task and writes from another, so ``read()`` and ``write(_:)`` may run at the same time;
/// but only one task reads at a time, and only one writes.
public protocol ByteStream: Sendable {
    /// The next bytes received (any non-empty chunk), or nil once the peer has closed its side.
    func read() async throws -> [UInt8]?
    /// Sends `bytes`, returning once the stream has taken them (it may wait: that is the back pressure).
    func write(_ bytes: [UInt8]) async throws
    /// Closes both directions: the peer's reads end, and a pending local read returns nil.
    func close() async
}

/// One end of an in-memory pipe: what one end writes, the other reads, in order.
///
/// The pipe buffers without bound, so writes never wait; use it for tests and in-process networks.
public final class InMemoryByteStream: ByteStream, @unchecked Sendable {
    // Only `read` touches the iterator, and a ByteStream has one reader at a time; everything else is immutable
    // or a continuation, which is thread-safe.
    private var iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
    private let incoming: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let outgoing: AsyncThrowingStream<[UInt8], any Error>.Continuation

    private init(
        inbound: AsyncThrowingStream<[UInt8], any Error>,
        incoming: AsyncThrowingStream<[UInt8], any Error>.Continuation,
        outgoing: AsyncThrowingStream<[UInt8], any Error>.Continuation
    ) {
        iterator = inbound.makeAsyncIterator()
        self.incoming = incoming
        self.outgoing = outgoing
    }

    /// Two connected ends.
    public static func pair() -> (InMemoryByteStream, InMemoryByteStream) {
        let (toA, toAInput) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (toB, toBInput) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let a = InMemoryByteStream(inbound: toA, incoming: toAInput, outgoing: toBInput)
        let b = InMemoryByteStream(inbound: toB, incoming: toBInput, outgoing: toAInput)
        return (a, b)
    }

    public func read() async throws -> [UInt8]? {
        try await iterator.next()
    }

    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        if case .terminated = outgoing.yield(bytes) {
            throw P2PError(.connectionClosed, "the in-memory pipe is closed")
        }
    }

    public func close() async {
        outgoing.finish()
        incoming.finish()
    }
}
