import Synchronization

extension PeerConnection {
    /// Runs the handshake over `stream`, then `body` with the link, then closes the link gracefully.
    ///
    /// The link's reader, writer and keep-alive run as child tasks for as long as `body` does. When `body`
    /// returns, what is queued is sent (for at most the idle timeout) and the stream is closed.
    ///
    /// - Parameters:
    ///   - expecting: the id the peer must prove (a dialed peer's); nil accepts any peer (an inbound one).
    /// - Returns: `body`'s result, when the link closed cleanly.
    /// - Throws: `body`'s error if it threw; otherwise the link's ``P2PError`` if it failed: a handshake code,
    ///   ``P2PError/Code/handshakeTimeout``, ``P2PError/Code/peerIDMismatch``, or the failure that closed it.
    public static func withConnection<Value>(
        over stream: some ByteStream,
        nodeKey: NodeKey,
        expecting expected: NodeID? = nil,
        configuration: PeerConfiguration = .init(),
        _ body: (PeerConnection) async throws -> Value
    ) async throws -> Value {
        let session: SecretSession
        do {
            session = try await handshake(over: stream, nodeKey: nodeKey, timeout: configuration.handshakeTimeout)
        } catch {
            await stream.close()
            throw error
        }
        if let expected, session.peerID != expected {
            await stream.close()
            throw P2PError(.peerIDMismatch, "dialed node \(expected), but the peer proved it is \(session.peerID)")
        }
        let connection = PeerConnection(session: session, localID: nodeKey.id, configuration: configuration)
        let opener = session.opener
        let sealer = session.sealer

        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await connection.readLoop(stream, opener: opener) }
            group.addTask { await connection.writeLoop(stream, sealer: sealer) }
            group.addTask { await connection.keepAliveLoop() }

            let outcome: Result<Value, any Error>
            do { outcome = .success(try await body(connection)) } catch { outcome = .failure(error) }

            if case .success = outcome {
                connection.drain()
                // A peer that takes pings but never reads could hold the drain forever: bound it.
                group.addTask {
                    do { try await Task.sleep(for: configuration.idleTimeout) } catch { return }
                    connection.finish(P2PError(.timedOut, "the queued messages were not sent within \(configuration.idleTimeout)"))
                }
                await connection.waitUntilClosed()
            } else {
                connection.finish(nil)
            }
            connection.inbox.finish(nil)
            await stream.close()
            group.cancelAll()
            try await group.waitForAll()

            switch outcome {
            case .failure(let error): throw error
            case .success(let result):
                if let failure = connection.failure { throw failure }
                return result
            }
        }
    }

    /// The handshake, raced against `timeout`.
    static func handshake(over stream: some ByteStream, nodeKey: NodeKey, timeout: Duration) async throws(P2PError) -> SecretSession {
        let result = await withTaskGroup(of: Swift.Result<SecretSession, P2PError>?.self) { group in
            group.addTask {
                do throws(P2PError) {
                    return .success(try await Handshake.perform(over: stream, nodeKey: nodeKey))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return nil }
                return .failure(P2PError(.handshakeTimeout, "the handshake did not finish within \(timeout)"))
            }
            // The first task to finish decides; closing the stream unblocks a handshake stuck on a read.
            let first = await group.next() ?? nil
            group.cancelAll()
            if case .failure(let error)? = first, error.code == .handshakeTimeout { await stream.close() }
            await group.waitForAll()
            return first
        }
        guard let result else { throw P2PError(.handshakeFailed, "the handshake was cancelled") }
        return try result.get()
    }

    // MARK: The link's loops

    /// Reads frames until the stream ends or a frame fails; delivers messages, answers pings.
    func readLoop(_ stream: some ByteStream, opener: FrameOpener) async {
        var opener = opener
        var assembler = MessageAssembler(maxMessageSize: configuration.maxMessageSize)
        do {
            while true {
                while let frame = try opener.next() {
                    try await handle(frame, assembler: &assembler)
                }
                guard let chunk = try await stream.read() else {
                    try opener.checkEnd()
                    finish(nil)
                    return
                }
                opener.append(chunk)
            }
        } catch {
            finish(error as? P2PError ?? P2PError(.connectionClosed, "cannot read from the peer", cause: error))
        }
    }

    private func handle(_ frame: Frame, assembler: inout MessageAssembler) async throws(P2PError) {
        state.withLock { $0.received(at: .now) }
        switch frame {
        case .data(let channel, let payload, let isLast):
            guard state.withLock({ $0.queue.carries(channel) }) else {
                throw P2PError(.unknownChannel, "the peer sent on channel 0x\(String(channel, radix: 16)), which this link does not carry")
            }
            guard let message = try assembler.add(channel: channel, payload: payload, isLast: isLast) else { return }
            state.withLock { $0.readerBlocked = true }
            await inbox.push(PeerMessage(channel: channel, bytes: message))
            state.withLock {
                $0.readerBlocked = false
                $0.received(at: .now)
            }
        case .ping:
            state.withLock { $0.pingReceived() }?.resume()
        case .pong:
            break
        case .auth:
            throw P2PError(.malformedFrame, "the peer sent a second proof of identity")
        }
    }

    /// Seals and writes frames as they are queued, until the link closes or the drain finishes.
    func writeLoop(_ stream: some ByteStream, sealer: FrameSealer) async {
        var sealer = sealer
        do {
            while true {
                switch state.withLock({ $0.nextStep() }) {
                case .send(let frame, let room):
                    room?.resume()
                    try await stream.write(try sealer.seal(frame))
                case .stop(let waiters):
                    for waiter in waiters { waiter.resume() }
                    return
                case .wait:
                    await withTaskCancellationHandler {
                        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                            if !state.withLock({ $0.park(c, cancelled: Task.isCancelled) }) { c.resume() }
                        }
                    } onCancel: {
                        state.withLock { $0.takeWriter() }?.resume()
                    }
                    if Task.isCancelled {
                        // Nothing more can be sent: the link is over (a no-op when it already closed).
                        finish(P2PError(.connectionClosed, "the link's writer was cancelled"))
                        return
                    }
                }
            }
        } catch {
            finish(error as? P2PError ?? P2PError(.connectionClosed, "cannot write to the peer", cause: error))
        }
    }

    /// Pings every interval; closes the link when nothing has arrived for the idle timeout.
    func keepAliveLoop() async {
        while true {
            do { try await Task.sleep(for: configuration.pingInterval) } catch { return }
            switch state.withLock({ $0.tick(now: .now, idleTimeout: configuration.idleTimeout) }) {
            case .ping(let writer):
                writer?.resume()
            case .timedOut:
                finish(P2PError(.timedOut, "nothing arrived from the peer for \(configuration.idleTimeout)"))
                return
            case .stop:
                return
            }
        }
    }
}
