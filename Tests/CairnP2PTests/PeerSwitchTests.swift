import Testing
@testable import CairnP2P

/// Switches on 127.0.0.1: persistent peers dialed and redialed, one link per peer, broadcast, bans.
@Suite(.timeLimit(.minutes(1))) struct PeerSwitchTests {
    /// Polls `condition` every 20 ms for at most `seconds`.
    func eventually(_ seconds: Double = 30, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    func settings(port: Int = 0, peers: [PeerAddress] = []) -> PeerSwitch.Settings {
        PeerSwitch.Settings(listenPort: port, persistentPeers: peers, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(400),
                            banDuration: .seconds(30), link: .fast)
    }

    @Test func aPersistentPeerIsDialedAndBroadcastsReachEachSideOnce() async throws {
        let (a, b) = (NodeKey(), NodeKey())
        let gotA = Box<[[UInt8]]>([]), gotB = Box<[[UInt8]]>([])
        let first = PeerSwitch(nodeKey: a, settings: settings()) { _, m in gotA.update { $0.append(m.bytes) }; return .accepted }
        let runA = Task { try await first.run() }
        defer { runA.cancel() }
        #expect(try await eventually { first.listeningPort != nil })
        let address = PeerAddress(id: a.id, host: "127.0.0.1", port: first.listeningPort!)
        let second = PeerSwitch(nodeKey: b, settings: settings(peers: [address])) { _, m in gotB.update { $0.append(m.bytes) }; return .accepted }
        let runB = Task { try await second.run() }
        defer { runB.cancel() }
        #expect(try await eventually { first.peers.count == 1 && second.peers.count == 1 })
        #expect(first.peers.first?.id == b.id && first.peers.first?.outbound == false)
        #expect(second.peers.first?.id == a.id && second.peers.first?.outbound == true)
        first.broadcast(channel: .consensus, bytes: [1, 2, 3])
        second.broadcast(channel: .mempool, bytes: [4])
        #expect(try await eventually { gotB.get == [[1, 2, 3]] && gotA.get == [[4]] })
        #expect(first.peers.first!.bytesSent == 3 && first.peers.first!.bytesReceived == 1)
    }

    @Test func twoNodesThatDialEachOtherKeepOneLink() async throws {
        let (a, b) = (NodeKey(), NodeKey())
        let probes = [try await P2PListener.bind(host: "127.0.0.1", port: 0, nodeKey: a), try await P2PListener.bind(host: "127.0.0.1", port: 0, nodeKey: b)]
        let ports = probes.map(\.port)
        for p in probes { await p.close() }
        let got = Box<Int>(0)
        let first = PeerSwitch(nodeKey: a, settings: settings(port: ports[0], peers: [PeerAddress(id: b.id, host: "127.0.0.1", port: ports[1])])) { _, _ in
            got.update { $0 += 1 }
            return .accepted
        }
        let second = PeerSwitch(nodeKey: b, settings: settings(port: ports[1], peers: [PeerAddress(id: a.id, host: "127.0.0.1", port: ports[0])])) { _, _ in .accepted }
        let runs = [Task { try await first.run() }, Task { try await second.run() }]
        defer { for r in runs { r.cancel() } }
        #expect(try await eventually { first.peers.count == 1 && second.peers.count == 1 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(first.peers.count == 1 && second.peers.count == 1, "the link stays up")
        #expect(first.peers.first?.outbound == (a.id < b.id), "the kept link is the one the lower id dialed")
        second.broadcast(channel: .consensus, bytes: [7])
        #expect(try await eventually { got.get == 1 })
    }

    @Test func aPeerThatIsDownIsRedialedUntilItComesUp() async throws {
        let (a, b) = (NodeKey(), NodeKey())
        // Reserve a port by binding and closing a listener there.
        let probe = try await P2PListener.bind(host: "127.0.0.1", port: 0, nodeKey: a)
        let port = probe.port
        await probe.close()
        let second = PeerSwitch(nodeKey: b, settings: settings(peers: [PeerAddress(id: a.id, host: "127.0.0.1", port: port)])) { _, _ in .accepted }
        let runB = Task { try await second.run() }
        defer { runB.cancel() }
        try await Task.sleep(for: .milliseconds(600))
        #expect(second.peers.isEmpty)
        let first = PeerSwitch(nodeKey: a, settings: settings(port: port)) { _, _ in .accepted }
        let runA = Task { try await first.run() }
        defer { runA.cancel() }
        #expect(try await eventually { second.peers.map(\.id) == [a.id] }, "the peer that came up is linked")
    }

    @Test func aPeerThatMisbehavesIsDisconnectedAndBanned() async throws {
        let (a, b) = (NodeKey(), NodeKey())
        let first = PeerSwitch(nodeKey: a, settings: settings()) { _, m in m.bytes == [0xBA, 0xD0] ? .misbehaved("malformed") : .accepted }
        let runA = Task { try await first.run() }
        defer { runA.cancel() }
        #expect(try await eventually { first.listeningPort != nil })
        let address = PeerAddress(id: a.id, host: "127.0.0.1", port: first.listeningPort!)
        let second = PeerSwitch(nodeKey: b, settings: settings(peers: [address])) { _, _ in .accepted }
        let runB = Task { try await second.run() }
        defer { runB.cancel() }
        #expect(try await eventually { first.peers.count == 1 })
        second.broadcast(channel: .consensus, bytes: [0xBA, 0xD0])
        #expect(try await eventually { first.peers.isEmpty && second.peers.isEmpty })
        // The banned peer keeps redialing and is refused each time.
        try await Task.sleep(for: .milliseconds(800))
        #expect(first.peers.isEmpty, "a banned peer is refused while the ban lasts")
    }
}
