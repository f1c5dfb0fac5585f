/// The state of one side of a link once the handshake has succeeded: who the peer proved to be, and the sealer
/// and opener of the two directions (the opener may already hold bytes of frames that followed the peer's auth).
struct SecretSession: Sendable {
    /// The peer's raw Ed25519 node public key.
    let peerPublicKey: [UInt8]
    /// The id the peer proved.
    let peerID: NodeID
    /// The keys agreed (kept for tests of freshness).
    let keys: SessionKeys
    var sealer: FrameSealer
    var opener: FrameOpener
}

extension Handshake {
    /// Runs the handshake for `nodeKey` over `stream`: hello out, hello in, auth out, auth in.
    ///
    /// The two sides run the same steps; their ephemeral keys' order decides which key seals which direction.
    /// Has no timeout of its own: callers race it against one.
    ///
    /// - Throws: a ``P2PError``: ``P2PError/Code/handshakeFailed`` when the stream fails or ends early, or one of
    ///   the codes of ``keys(peerHello:)``, ``verify(_:keys:)`` and ``FrameOpener/next()``.
    static func perform(over stream: some ByteStream, nodeKey: NodeKey) async throws(P2PError) -> SecretSession {
        let handshake = Handshake(nodeKey: nodeKey)
        try await write(handshake.hello, to: stream)

        var received = [UInt8]()
        while received.count < helloSize {
            guard let chunk = try await read(from: stream) else {
                throw P2PError(.handshakeFailed, "the peer closed the stream after \(received.count) bytes of its hello")
            }
            received += chunk
        }
        let keys = try handshake.keys(peerHello: Array(received.prefix(helloSize)))
        var sealer = FrameSealer(key: keys.send)
        var opener = FrameOpener(key: keys.receive)
        // The peer may have sent its auth frame (and more) right behind its hello.
        opener.append(received.dropFirst(helloSize))
        try await write(try sealer.seal(handshake.authFrame(keys)), to: stream)

        while true {
            if let frame = try opener.next() {
                let peer = try verify(frame, keys: keys)
                return SecretSession(peerPublicKey: peer.publicKey, peerID: peer.id, keys: keys, sealer: sealer, opener: opener)
            }
            guard let chunk = try await read(from: stream) else {
                throw P2PError(.handshakeFailed, "the peer closed the stream before proving its identity")
            }
            opener.append(chunk)
        }
    }

    private static func read(from stream: some ByteStream) async throws(P2PError) -> [UInt8]? {
        do { return try await stream.read() } catch {
            throw P2PError(.handshakeFailed, "cannot read from the peer during the handshake", cause: error)
        }
    }

    private static func write(_ bytes: [UInt8], to stream: some ByteStream) async throws(P2PError) {
        do { try await stream.write(bytes) } catch {
            throw P2PError(.handshakeFailed, "cannot write to the peer during the handshake", cause: error)
        }
    }
}
