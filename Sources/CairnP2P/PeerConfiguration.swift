/// The limits and timings of peer links. Both ends need not agree on them, except that a message above the
/// receiver's ``maxMessageSize`` closes the link.
public struct PeerConfiguration: Sendable {
    /// The channels the link carries; a frame on any other id closes it.
    public var channels: [P2PChannel]
    /// The largest message accepted, reassembled (16 MiB).
    public var maxMessageSize: Int
    /// The most messages one channel may have waiting to be sent; ``PeerConnection/send(channel:bytes:)`` waits and
    /// ``PeerConnection/trySend(channel:bytes:)`` returns false while a channel is full (64).
    public var sendQueueCapacity: Int
    /// The most received messages held for the consumer of ``PeerConnection/messages``; while it is full the link
    /// stops reading from the peer, so TCP pushes back on the sender (256).
    public var receiveQueueCapacity: Int
    /// How often a ping is sent (10 s).
    public var pingInterval: Duration
    /// How long the link may receive nothing at all (no message, ping or pong) before it closes with
    /// ``P2PError/Code/timedOut`` (45 s). Checked once per ``pingInterval``, so a dead link is closed after
    /// between `idleTimeout` and `idleTimeout + pingInterval`.
    public var idleTimeout: Duration
    /// How long the handshake may take before the link is dropped with ``P2PError/Code/handshakeTimeout`` (10 s).
    public var handshakeTimeout: Duration
    /// How long dialing may wait for the TCP connection (5 s).
    public var connectTimeout: Duration

    /// The defaults, on the standard channels.
    public init(
        channels: [P2PChannel] = P2PChannel.standard,
        maxMessageSize: Int = 16 << 20,
        sendQueueCapacity: Int = 64,
        receiveQueueCapacity: Int = 256,
        pingInterval: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(45),
        handshakeTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5)
    ) {
        precondition(sendQueueCapacity > 0 && receiveQueueCapacity > 0, "queue capacities are at least 1")
        precondition(maxMessageSize >= 0, "the maximum message size is not negative")
        self.channels = channels
        self.maxMessageSize = maxMessageSize
        self.sendQueueCapacity = sendQueueCapacity
        self.receiveQueueCapacity = receiveQueueCapacity
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.handshakeTimeout = handshakeTimeout
        self.connectTimeout = connectTimeout
    }
}
