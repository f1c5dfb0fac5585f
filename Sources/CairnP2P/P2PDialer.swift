import NIOCore
import NIOPosix

/// Opens outbound links: connects over TCP to `id@host:port`, runs the handshake, and checks the peer proved `id`.
public struct P2PDialer: Sendable {
    /// This node's key.
    public let nodeKey: NodeKey
    /// The limits and timings of the links it opens.
    public var configuration: PeerConfiguration

    /// A dialer for the node with `nodeKey`.
    public init(nodeKey: NodeKey, configuration: PeerConfiguration = .init()) {
        self.nodeKey = nodeKey
        self.configuration = configuration
    }

    /// Dials `address`, runs `body` with the authenticated link, then closes it gracefully.
    ///
    /// - Throws: ``P2PError/Code/dialFailed`` when the TCP connection fails, ``P2PError/Code/peerIDMismatch``
    ///   when the peer proves an id other than `address.id`, and otherwise as
    ///   ``PeerConnection/withConnection(over:nodeKey:expecting:configuration:_:)``.
    public func withConnection<Value: Sendable>(
        to address: PeerAddress,
        _ body: (PeerConnection) async throws -> Value
    ) async throws -> Value {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .connect(host: address.host, port: address.port) { NIOByteStream.wrap($0) }
        } catch {
            throw P2PError(.dialFailed, "cannot connect to \(address.host):\(address.port)", cause: error)
        }
        let nodeKey = nodeKey
        let configuration = configuration
        return try await channel.executeThenClose { inbound, outbound in
            let stream = NIOByteStream(channel: channel.channel, inbound: inbound, outbound: outbound)
            return try await PeerConnection.withConnection(
                over: stream, nodeKey: nodeKey, expecting: address.id, configuration: configuration, body)
        }
    }
}
