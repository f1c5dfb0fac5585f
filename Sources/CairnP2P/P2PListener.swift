import NIOCore
import NIOPosix

/// Accepts inbound links on a TCP port: each connection runs the handshake as responder, then the handler.
///
/// ```swift
/// let listener = try await P2PListener.bind(host: "127.0.0.1", port: 0, nodeKey: key)
/// try await listener.run { connection in
///     for try await message in connection.messages { ... }
/// }
/// ```
public final class P2PListener: Sendable {
    /// This node's key.
    public let nodeKey: NodeKey
    /// The limits and timings of the links it accepts.
    public let configuration: PeerConfiguration
    /// The host it is bound to.
    public let host: String
    /// The port it is bound to (the one the system chose, when bound to port 0).
    public let port: Int

    /// Yields accepted channels unwrapped and not reading yet: each is wrapped (and starts reading) only in the task
    /// that serves it. An accepted channel the listener never serves (it was closing) is then only a socket to close,
    /// where a wrapped one dropped unused would trap in NIO's writer.
    private let server: NIOAsyncChannel<any Channel, Never>

    private init(server: NIOAsyncChannel<any Channel, Never>, nodeKey: NodeKey,
                 configuration: PeerConfiguration, host: String, port: Int) {
        self.server = server
        self.nodeKey = nodeKey
        self.configuration = configuration
        self.host = host
        self.port = port
    }

    /// Binds a listening socket on `host:port` (port 0 lets the system choose; read it back from ``port``).
    ///
    /// - Throws: ``P2PError/Code/dialFailed`` when the address cannot be bound.
    public static func bind(
        host: String, port: Int, nodeKey: NodeKey, configuration: PeerConfiguration = .init()
    ) async throws(P2PError) -> P2PListener {
        let server: NIOAsyncChannel<any Channel, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.autoRead, value: false)
                .bind(host: host, port: port) { $0.eventLoop.makeSucceededFuture($0) }
        } catch {
            throw P2PError(.dialFailed, "cannot listen on \(host):\(port)", cause: error)
        }
        guard let bound = server.channel.localAddress?.port else {
            server.channel.close(promise: nil)
            throw P2PError(.dialFailed, "the listener on \(host):\(port) has no local port")
        }
        return P2PListener(server: server, nodeKey: nodeKey, configuration: configuration, host: host, port: bound)
    }

    /// Accepts connections until ``close()`` is called or the task is cancelled; each runs in its own child
    /// task: the handshake (with the handshake timeout), then `handler`, then the graceful close.
    ///
    /// A connection that fails (in the handshake or later) or whose handler throws is closed and its error
    /// passed to `onError`; the listener goes on. Returns once every connection has closed.
    public func run(
        onError: (@Sendable (any Error) -> Void)? = nil,
        _ handler: @escaping @Sendable (PeerConnection) async throws -> Void
    ) async throws {
        let nodeKey = nodeKey
        let configuration = configuration
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await accepted in inbound {
                    group.addTask {
                        do {
                            let child = try await NIOByteStream.wrapAndRead(accepted)
                            try await child.executeThenClose { childInbound, childOutbound in
                                let stream = NIOByteStream(channel: child.channel, inbound: childInbound, outbound: childOutbound)
                                try await PeerConnection.withConnection(over: stream, nodeKey: nodeKey, configuration: configuration, handler)
                            }
                        } catch {
                            onError?(error)
                        }
                    }
                }
            }
        }
    }

    /// Stops accepting: ``run(onError:_:)`` returns once the connections already accepted have closed.
    public func close() async {
        try? await server.channel.close()
    }
}
