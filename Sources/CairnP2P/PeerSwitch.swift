import Synchronization

/// A node's peers: it accepts inbound links, dials its persistent peers again and again (capped exponential backoff),
/// keeps at most one link per peer (of two, the one the lower id dialed), hands what peers send to the handler, and
/// broadcasts.
///
/// A peer the handler reports as misbehaving (a malformed or invalid message) is disconnected and refused for
/// ``Settings/banDuration``.
public final class PeerSwitch: Sendable {
    /// Where it listens, whom it dials, and its limits.
    public struct Settings: Sendable {
        public var listenHost: String
        /// 0 lets the system choose (read back from ``PeerSwitch/listeningPort``).
        public var listenPort: Int
        public var persistentPeers: [PeerAddress]
        public var maxInbound: Int
        public var maxOutbound: Int
        /// The first wait before redialing a peer; it doubles after each failure up to ``maxBackoff``.
        public var initialBackoff: Duration
        /// The longest wait between two tries (30 s: a persistent peer is never given up).
        public var maxBackoff: Duration
        public var banDuration: Duration
        public var link: PeerConfiguration

        public init(listenHost: String = "127.0.0.1", listenPort: Int, persistentPeers: [PeerAddress] = [], maxInbound: Int = 40,
                    maxOutbound: Int = 10, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(30),
                    banDuration: Duration = .seconds(60), link: PeerConfiguration = .init()) {
            self.listenHost = listenHost
            self.listenPort = listenPort
            self.persistentPeers = persistentPeers
            self.maxInbound = maxInbound
            self.maxOutbound = maxOutbound
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.banDuration = banDuration
            self.link = link
        }
    }

    /// What the handler says of a message.
    public enum Verdict: Sendable, Equatable {
        case accepted
        /// The peer sent something malformed or invalid: it is disconnected and banned.
        case misbehaved(String)
    }

    /// A connected peer as `/v1/net_info` shows it.
    public struct PeerInfo: Sendable, Equatable {
        public let id: NodeID
        public let address: String
        public let outbound: Bool
        public let bytesSent: UInt64
        public let bytesReceived: UInt64
    }

    final class Peer: Sendable {
        let connection: PeerConnection
        let address: String
        let outbound: Bool
        let sent = Atomic<UInt64>(0)
        let received = Atomic<UInt64>(0)

        init(connection: PeerConnection, address: String, outbound: Bool) {
            self.connection = connection
            self.address = address
            self.outbound = outbound
        }
    }

    struct State {
        var peers: [NodeID: Peer] = [:]
        var banned: [NodeID: ContinuousClock.Instant] = [:]
        var dropped: UInt64 = 0
        var listeningPort: Int?
    }

    public let nodeKey: NodeKey
    public let settings: Settings
    let handler: @Sendable (NodeID, PeerMessage) async -> Verdict
    let onConnect: @Sendable (NodeID) async -> Void
    let state = Mutex(State())
    let sentTotal = Atomic<UInt64>(0)
    let receivedTotal = Atomic<UInt64>(0)

    /// A switch for the node with `nodeKey`. `handler` gets every message a peer sends; `onConnect` runs once per new
    /// link (to send the peer what it needs to catch up).
    public init(nodeKey: NodeKey, settings: Settings, onConnect: @escaping @Sendable (NodeID) async -> Void = { _ in },
                handler: @escaping @Sendable (NodeID, PeerMessage) async -> Verdict) {
        self.nodeKey = nodeKey
        self.settings = settings
        self.handler = handler
        self.onConnect = onConnect
    }

    /// The port it listens on, once ``run()`` has bound it.
    public var listeningPort: Int? { state.withLock { $0.listeningPort } }
    /// The peers connected now.
    public var peers: [PeerInfo] {
        state.withLock { s in
            s.peers.map { id, p in
                PeerInfo(id: id, address: p.address, outbound: p.outbound, bytesSent: p.sent.load(ordering: .relaxed),
                         bytesReceived: p.received.load(ordering: .relaxed))
            }.sorted { $0.id < $1.id }
        }
    }
    /// Messages not sent because a peer's queue on their channel was full.
    public var droppedMessages: UInt64 { state.withLock { $0.dropped } }
    /// Bytes of messages queued to peers since the switch started, those of peers gone included.
    public var bytesSent: UInt64 { sentTotal.load(ordering: .relaxed) }
    /// Bytes of messages received from peers since the switch started, those of peers gone included.
    public var bytesReceived: UInt64 { receivedTotal.load(ordering: .relaxed) }

    /// Sends `bytes` on `channel` to every connected peer; a peer whose queue is full misses it (it is counted in
    /// ``droppedMessages``; consensus re-gossips what matters).
    public func broadcast(channel: P2PChannel, bytes: [UInt8]) {
        for peer in state.withLock({ Array($0.peers.values) }) { send(bytes, on: channel, to: peer) }
    }

    /// Sends `bytes` on `channel` to one peer, if connected.
    public func send(to id: NodeID, channel: P2PChannel, bytes: [UInt8]) {
        guard let peer = state.withLock({ $0.peers[id] }) else { return }
        send(bytes, on: channel, to: peer)
    }

    func send(_ bytes: [UInt8], on channel: P2PChannel, to peer: Peer) {
        if (try? peer.connection.trySend(channel: channel, bytes: bytes)) == true {
            peer.sent.add(UInt64(bytes.count), ordering: .relaxed)
            sentTotal.add(UInt64(bytes.count), ordering: .relaxed)
        } else {
            state.withLock { $0.dropped += 1 }
        }
    }

    /// Disconnects `id` and refuses it for ``Settings/banDuration``: for misbehaviour found after its message was
    /// handled (a block that did not commit).
    public func ban(_ id: NodeID) {
        let peer = state.withLock { s -> Peer? in
            s.banned[id] = .now + settings.banDuration
            return s.peers[id]
        }
        peer?.connection.close()
    }

    /// Whether `id` is refused now.
    public func isBanned(_ id: NodeID) -> Bool { state.withLock { isBanned(id, in: &$0) } }

    /// Listens and dials until cancelled.
    public func run() async throws {
        let listener = try await P2PListener.bind(host: settings.listenHost, port: settings.listenPort, nodeKey: nodeKey,
                                                  configuration: settings.link)
        state.withLock { $0.listeningPort = listener.port }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await listener.run { connection in await self.serve(connection, address: "inbound", outbound: false) }
                } onCancel: {
                    Task { await listener.close() }
                }
            }
            for address in settings.persistentPeers.prefix(settings.maxOutbound) where address.id != nodeKey.id {
                group.addTask { await self.keepDialing(address) }
            }
        }
    }

    /// Dials `address` whenever no link to it is up, waiting longer after each failure (at most ``Settings/maxBackoff``).
    func keepDialing(_ address: PeerAddress) async {
        let dialer = P2PDialer(nodeKey: nodeKey, configuration: settings.link)
        var wait = settings.initialBackoff
        while !Task.isCancelled {
            if state.withLock({ $0.peers[address.id] != nil || isBanned(address.id, in: &$0) }) {
                try? await Task.sleep(for: settings.initialBackoff)
                continue
            }
            let served = Atomic<Bool>(false)
            do {
                try await dialer.withConnection(to: address) { connection in
                    served.store(true, ordering: .relaxed)
                    await self.serve(connection, address: address.description, outbound: true)
                }
            } catch {}
            if served.load(ordering: .relaxed) { wait = settings.initialBackoff }
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, settings.maxBackoff)
        }
    }

    func isBanned(_ id: NodeID, in s: inout State) -> Bool {
        guard let until = s.banned[id] else { return false }
        if until > .now { return true }
        s.banned[id] = nil
        return false
    }

    /// Registers the link (unless the peer is banned, already linked or over the limit), reads its messages until it
    /// closes or misbehaves, then forgets it.
    func serve(_ connection: PeerConnection, address: String, outbound: Bool) async {
        let id = connection.peerID
        let peer = Peer(connection: connection, address: outbound ? address : "inbound", outbound: outbound)
        // Two nodes that dial each other at once get two links; both keep the one dialed by the lower id.
        let lowerDialed = outbound == (nodeKey.id < id)
        let (admitted, replaced) = state.withLock { s -> (Bool, Peer?) in
            guard id != nodeKey.id, !isBanned(id, in: &s) else { return (false, nil) }
            let existing = s.peers[id]
            if let existing, existing.outbound == outbound || !lowerDialed { return (false, nil) }
            let count = s.peers.values.filter { $0.outbound == outbound }.count
            guard existing != nil || count < (outbound ? settings.maxOutbound : settings.maxInbound) else { return (false, nil) }
            s.peers[id] = peer
            return (true, existing)
        }
        replaced?.connection.close()
        guard admitted else { return connection.close() }
        defer { state.withLock { s in if s.peers[id] === peer { s.peers[id] = nil } } }
        await onConnect(id)
        do {
            for try await message in connection.messages {
                peer.received.add(UInt64(message.bytes.count), ordering: .relaxed)
                receivedTotal.add(UInt64(message.bytes.count), ordering: .relaxed)
                if case .misbehaved = await handler(id, message) {
                    state.withLock { $0.banned[id] = .now + settings.banDuration }
                    connection.close()
                    return
                }
            }
        } catch {}
    }
}
