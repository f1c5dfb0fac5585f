/// A failure of the peer-to-peer layer: a stable code, a message for people, an optional cause and where it was raised.
///
/// Compare errors on ``code``; the message is free text and may change. Every failure of a live link closes it.
public struct P2PError: Error, Sendable, CustomStringConvertible {
    /// A stable, opaque category for a ``P2PError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// A peer address is not of the form `id@host:port`.
        public static let invalidAddress = Code("invalid-address")
        /// A node id is not 40 hexadecimal characters.
        public static let invalidNodeID = Code("invalid-node-id")
        /// A node key file is unreadable, malformed or inconsistent.
        public static let invalidKeyFile = Code("invalid-key-file")
        /// A file could not be read or written.
        public static let io = Code("io")
        /// The peer does not speak this protocol or version (its hello is wrong).
        public static let protocolMismatch = Code("protocol-mismatch")
        /// The peer's ephemeral key gives a low-order (all-zero) shared secret, or repeats ours.
        public static let weakKey = Code("weak-key")
        /// The peer's proof of identity is malformed or its signature does not verify.
        public static let badSignature = Code("bad-signature")
        /// The handshake broke off or did not follow the protocol.
        public static let handshakeFailed = Code("handshake-failed")
        /// The handshake did not finish in time.
        public static let handshakeTimeout = Code("handshake-timeout")
        /// The peer proved an id other than the one dialed.
        public static let peerIDMismatch = Code("peer-id-mismatch")
        /// A frame did not open: tampered, replayed, reordered, dropped or sealed with another key.
        public static let authenticationFailed = Code("authentication-failed")
        /// A frame's length field is above the maximum frame size.
        public static let frameTooLarge = Code("frame-too-large")
        /// A frame's length is below the minimum, or it opened but its content is not a valid frame.
        public static let malformedFrame = Code("malformed-frame")
        /// The stream ended in the middle of a frame.
        public static let truncatedFrame = Code("truncated-frame")
        /// A message is larger than the configured maximum message size.
        public static let messageTooLarge = Code("message-too-large")
        /// A message names a channel the link does not carry.
        public static let unknownChannel = Code("unknown-channel")
        /// Nothing (no message, no pong) arrived from the peer for the configured timeout.
        public static let timedOut = Code("timed-out")
        /// The link is closed: the peer hung up, or this side closed it.
        public static let connectionClosed = Code("connection-closed")
        /// The TCP connection to the peer could not be made, or the listener could not bind.
        public static let dialFailed = Code("dial-failed")
        /// The 64-bit frame counter of one direction ran out.
        public static let nonceExhausted = Code("nonce-exhausted")

        public var description: String { name }
    }

    /// The error's stable category.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The underlying error, if this one wraps another.
    public let cause: (any Error & Sendable)?
    /// The source file that raised it.
    public let file: String
    /// The source line that raised it.
    public let line: Int

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, cause: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
