import NIOCore

/// A TCP connection as a ``ByteStream``: the two halves of a `NIOAsyncChannel` inside its `executeThenClose` scope.
///
/// NIO applies the back pressure both ways: reads stop while the link's inbox is full, and writes wait while the
/// socket's send buffer is above its high-water mark.
final class NIOByteStream: ByteStream, @unchecked Sendable {
    // Only `read` touches the iterator, and a ByteStream has one reader at a time; the writer and the channel
    // are thread-safe.
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel

    init(channel: any Channel, inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.channel = channel
        iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func read() async throws -> [UInt8]? {
        while true {
            guard var buffer = try await iterator.next() else { return nil }
            if buffer.readableBytes > 0 { return buffer.readBytes(length: buffer.readableBytes) }
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    func close() async {
        outbound.finish()
        try? await channel.close()
    }

    /// Wraps an accepted channel that does not read yet, then lets it read (nothing it received is lost: it read
    /// nothing before).
    static func wrapAndRead(_ channel: any Channel) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        do {
            return try await channel.eventLoop.submit {
                let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                try channel.syncOptions?.setOption(.autoRead, value: true)
                return wrapped
            }.get()
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Wraps a freshly accepted or connected channel; runs on its event loop.
    static func wrap(_ channel: any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> {
        channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    }
}
