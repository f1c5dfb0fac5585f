import Testing
@testable import CairnP2P

/// Links over in-memory pipes: the whole connection (handshake, frames, queues, keep-alive) without sockets.
@Suite(.timeLimit(.minutes(1))) struct PeerConnectionTests {
    @Test func messagesOnSeveralChannelsArriveWithTheirChannel() async throws {
        let keyA = NodeKey()
        let keyB = NodeKey()
        let (a, b) = await runPair(keys: (keyA, keyB), { connection in
            #expect(connection.peerID == keyB.id)
            for channel in P2PChannel.standard { try await connection.send(channel: channel, bytes: [channel.id, 1, 2, 3]) }
            return true
        }, { connection in
            #expect(connection.peerID == keyA.id)
            var received = [PeerMessage]()
            for try await message in connection.messages {
                received.append(message)
                if received.count == 4 { break }
            }
            return received
        })
        _ = try a.get()
        let received = try b.get()
        #expect(Set(received.map(\.channel)) == Set(P2PChannel.standard.map(\.id)))
        for message in received { #expect(message.bytes == [message.channel, 1, 2, 3]) }
    }

    @Test func aLargeMessageRoundTripsSplitIntoFrames() async throws {
        let (rawA, b) = InMemoryByteStream.pair()
        let a = GatedStream(rawA)
        let message = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let (sent, received) = await runPair(configurations: (.quiet, .quiet), streams: (a, b), { connection in
            try await connection.send(channel: .blocks, bytes: message)
            try await connection.send(channel: .consensus, bytes: [42])
        }, { connection in
            var received = [PeerMessage]()
            for try await m in connection.messages {
                received.append(m)
                if received.count == 2 { break }
            }
            return received
        })
        _ = try sent.get()
        let messages = try received.get()
        #expect(messages.map(\.channel).sorted() == [P2PChannel.consensus.id, P2PChannel.blocks.id])
        #expect(messages.first { $0.channel == P2PChannel.blocks.id }?.bytes == message)
        // Hello and auth, then 1 MiB in 64 KiB frames (16) and the consensus frame: one write per frame.
        #expect(a.writes >= 2 + 16 + 1)
    }

    @Test func aConsensusMessageQueuedAfterAFullMempoolQueueIsWrittenFirst() async throws {
        let (rawA, b) = InMemoryByteStream.pair()
        let a = GatedStream(rawA)
        var small = PeerConfiguration.quiet
        small.sendQueueCapacity = 8
        let configuration = small
        let (sent, received) = await runPair(configurations: (configuration, .quiet), streams: (a, b), { connection in
            a.shut()
            var queued = 0
            for i in 0..<20 {
                guard try connection.trySend(channel: .mempool, bytes: [UInt8(i)]) else { break }
                queued += 1
            }
            // The queue is full: the writer holds at most one message, stuck at the gate.
            #expect(queued == configuration.sendQueueCapacity || queued == configuration.sendQueueCapacity + 1)
            try await connection.send(channel: .consensus, bytes: [0xc0])
            a.open()
            return queued
        }, { connection in
            var received = [PeerMessage]()
            for try await message in connection.messages {
                received.append(message)
                if received.count == 40 { break }
            }
            return received
        })
        let queued = try sent.get()
        let messages = try received.get()
        #expect(messages.count == queued + 1)
        let position = messages.firstIndex { $0.channel == P2PChannel.consensus.id }
        #expect(position != nil && position! <= 1, "consensus arrived at \(String(describing: position)) of \(messages.count)")
        let mempool = messages.filter { $0.channel == P2PChannel.mempool.id }.map { $0.bytes[0] }
        #expect(mempool == (0..<UInt8(queued)).map { $0 })
    }

    @Test func aTamperedFrameOnTheWireClosesTheLinkWithAnAuthenticationFailure() async {
        let (rawA, b) = InMemoryByteStream.pair()
        // Write 3 is the first frame after the handshake: the message below.
        let a = TamperingStream(rawA, tamperingWith: 3)
        let (_, received) = await runPair(configurations: (.quiet, .quiet), streams: (a, b), { connection in
            try await connection.send(channel: .consensus, bytes: [1, 2, 3])
            for try await _ in connection.messages {}
        }, { connection in
            var count = 0
            for try await _ in connection.messages { count += 1 }
            return count
        })
        #expect(received.p2pCode == .authenticationFailed)
    }

    @Test func aPeerThatStopsAnsweringIsClosedAfterTheIdleTimeout() async {
        let (a, b) = InMemoryByteStream.pair()
        let configuration = PeerConfiguration.shortIdle
        let start = ContinuousClock.now
        // The peer completes the handshake, then neither reads nor writes.
        async let silent = errorCode { try await Handshake.perform(over: b, nodeKey: NodeKey()) }
        let code = await errorCode {
            try await PeerConnection.withConnection(over: a, nodeKey: NodeKey(), configuration: configuration) { connection in
                for try await _ in connection.messages {}
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(await silent == nil)
        #expect(code == .timedOut)
        #expect(elapsed >= configuration.idleTimeout)
        #expect(elapsed < configuration.idleTimeout + .seconds(20), "closed within a generous bound, not left open")
        await b.close()
    }

    @Test func pingsKeepAnIdleLinkOpenPastTheTimeout() async throws {
        let configuration = PeerConfiguration.keptAlive
        let (a, b) = await runPair(configurations: (configuration, configuration), { connection in
            try await Task.sleep(for: configuration.idleTimeout * 1.2)
            #expect(!connection.isClosed)
            try await connection.send(channel: .consensus, bytes: Array("still here".utf8))
        }, { connection in
            var iterator = connection.messages.makeAsyncIterator()
            return try await iterator.next()
        })
        _ = try a.get()
        #expect(try b.get()?.bytes == Array("still here".utf8))
    }

    @Test func aMessageAboveTheReceiversLimitClosesTheLink() async {
        var strict = PeerConfiguration.fast
        strict.maxMessageSize = 100_000
        let (_, b) = await runPair(configurations: (.fast, strict), { connection in
            try await connection.send(channel: .blocks, bytes: [UInt8](repeating: 1, count: 100_001))
            for try await _ in connection.messages {}
        }, { connection in
            for try await _ in connection.messages {}
        })
        #expect(b.p2pCode == .messageTooLarge)
    }

    @Test func aSenderCannotQueueAMessageAboveItsOwnLimitOrOnAnUnknownChannel() async throws {
        var strict = PeerConfiguration.fast
        strict.maxMessageSize = 10
        let (a, _) = await runPair(configurations: (strict, .fast), { connection in
            #expect(errorCode { try connection.trySend(channel: .mempool, bytes: [UInt8](repeating: 0, count: 11)) } == .messageTooLarge)
            let stranger = P2PChannel(id: 0x99, priority: 1, name: "stranger")
            #expect(await errorCode { try await connection.send(channel: stranger, bytes: [1]) } == .unknownChannel)
            return true
        }, { connection in
            for try await _ in connection.messages {}
        })
        #expect(try a.get())
    }

    @Test func aMessageOnAChannelTheReceiverDoesNotCarryClosesTheLink() async {
        let extra = P2PChannel(id: 0x99, priority: 1, name: "extra")
        var wide = PeerConfiguration.fast
        wide.channels.append(extra)
        let (_, b) = await runPair(configurations: (wide, .fast), { connection in
            try await connection.send(channel: extra, bytes: [1])
            for try await _ in connection.messages {}
        }, { connection in
            for try await _ in connection.messages {}
        })
        #expect(b.p2pCode == .unknownChannel)
    }

    @Test func aHandshakeThatNeverCompletesTimesOut() async {
        let (a, b) = InMemoryByteStream.pair()
        var configuration = PeerConfiguration.fast
        configuration.handshakeTimeout = .milliseconds(200)
        let start = ContinuousClock.now
        let code = await errorCode {
            try await PeerConnection.withConnection(over: a, nodeKey: NodeKey(), configuration: configuration) { _ in }
        }
        #expect(code == .handshakeTimeout)
        #expect(ContinuousClock.now - start < .seconds(20), "the handshake timeout fires rather than leaving it waiting")
        await b.close()
    }

    @Test func sendingAfterThePeerHungUpFails() async throws {
        let (_, b) = await runPair({ _ in }, { connection in
            for try await _ in connection.messages {}
            return await errorCode { try await connection.send(channel: .consensus, bytes: [1]) }
        })
        #expect(try b.get() == .connectionClosed)
    }

    @Test func aLinkToAnotherIDThanExpectedIsRefused() async {
        let (a, b) = InMemoryByteStream.pair()
        let keyB = NodeKey()
        async let other = errorCode {
            try await PeerConnection.withConnection(over: b, nodeKey: keyB, configuration: .fast) { connection in
                for try await _ in connection.messages {}
            }
        }
        let code = await errorCode {
            try await PeerConnection.withConnection(over: a, nodeKey: NodeKey(), expecting: NodeKey().id, configuration: .fast) { _ in }
        }
        #expect(code == .peerIDMismatch)
        _ = await other
    }
}
