import Testing
@testable import CairnP2P

/// Real TCP on 127.0.0.1: a listener on a port the system chose, and a dialer.
@Suite(.timeLimit(.minutes(1))) struct TCPTests {
    /// Runs `body` with a listener whose handler echoes every message back on its channel with 0xEE appended,
    /// then stops the listener; returns `body`'s result and the ids of the peers the listener saw.
    func withEchoListener<T: Sendable>(
        key: NodeKey, _ body: @escaping @Sendable (P2PListener) async throws -> T
    ) async throws -> (T, [NodeID]) {
        let listener = try await P2PListener.bind(host: "127.0.0.1", port: 0, nodeKey: key, configuration: .fast)
        #expect(listener.port > 0)
        let seen = Box<[NodeID]>([])
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await listener.run { connection in
                    seen.update { $0.append(connection.peerID) }
                    for try await message in connection.messages {
                        try await connection.send(channel: P2PChannel.standard(message.channel), bytes: message.bytes + [0xee])
                    }
                }
                return nil
            }
            group.addTask { try await body(listener) }
            var result: T? = nil
            for try await value in group {
                if let value {
                    result = value
                    await listener.close()
                }
            }
            return (result!, seen.get)
        }
    }

    @Test func twoEndpointsExchangeMessagesOnSeveralChannels() async throws {
        let serverKey = NodeKey()
        let clientKey = NodeKey()
        let (replies, seen) = try await withEchoListener(key: serverKey) { listener in
            let address = try PeerAddress(parsing: "\(serverKey.id)@127.0.0.1:\(listener.port)")
            return try await P2PDialer(nodeKey: clientKey, configuration: .fast).withConnection(to: address) { connection in
                #expect(connection.peerID == serverKey.id)
                #expect(connection.localID == clientKey.id)
                for (i, channel) in P2PChannel.standard.enumerated() {
                    try await connection.send(channel: channel, bytes: [channel.id, UInt8(i)])
                }
                var replies = [PeerMessage]()
                for try await message in connection.messages {
                    replies.append(message)
                    if replies.count == P2PChannel.standard.count { break }
                }
                return replies
            }
        }
        #expect(seen == [clientKey.id])
        #expect(replies.count == 4)
        for reply in replies {
            #expect(reply.bytes.first == reply.channel)
            #expect(reply.bytes.last == 0xee)
        }
        #expect(Set(replies.map(\.channel)) == Set(P2PChannel.standard.map(\.id)))
    }

    @Test func aLargeMessageCrossesTCPIntact() async throws {
        let serverKey = NodeKey()
        let message = (0..<(1 << 20) + 3).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let (reply, _) = try await withEchoListener(key: serverKey) { listener in
            let address = PeerAddress(id: serverKey.id, host: "127.0.0.1", port: listener.port)
            return try await P2PDialer(nodeKey: NodeKey(), configuration: .fast).withConnection(to: address) { connection in
                try await connection.send(channel: .blocks, bytes: message)
                var iterator = connection.messages.makeAsyncIterator()
                return try await iterator.next()
            }
        }
        #expect(reply?.channel == P2PChannel.blocks.id)
        #expect(reply?.bytes == message + [0xee])
    }

    @Test func dialingWithTheWrongExpectedIDFailsWithAnIDMismatch() async throws {
        let serverKey = NodeKey()
        let impostor = NodeKey()
        let (code, _) = try await withEchoListener(key: serverKey) { listener in
            let address = PeerAddress(id: impostor.id, host: "127.0.0.1", port: listener.port)
            return await errorCode {
                try await P2PDialer(nodeKey: NodeKey(), configuration: .fast).withConnection(to: address) { _ in
                    Issue.record("the link was opened to the wrong node")
                }
            }
        }
        #expect(code == .peerIDMismatch)
    }

    @Test func dialingAPortNobodyListensOnFailsToDial() async throws {
        // Bind, read the port, close: nothing listens there any more.
        let listener = try await P2PListener.bind(host: "127.0.0.1", port: 0, nodeKey: NodeKey())
        let port = listener.port
        await listener.close()
        let address = PeerAddress(id: NodeKey().id, host: "127.0.0.1", port: port)
        let code = await errorCode {
            try await P2PDialer(nodeKey: NodeKey(), configuration: .fast).withConnection(to: address) { _ in }
        }
        #expect(code == .dialFailed)
    }
}
