public import CairnLedger
public import CairnP2P

/// Which blocks a node behind its peers asks for, from whom, and in what order it commits them: a window of heights
/// above the head is requested in parallel, spread over the peers that have them; a request unanswered within
/// ``Settings/requestTimeout`` goes to another peer; blocks are handed over in height order, one at a time. A block that
/// does not commit is dropped and asked of another peer (the reactor bans the peer that served it).
///
/// It also tells whether the node is catching up: from more than ``Settings/catchUpGap`` blocks behind the highest
/// peer until it is within one block of it.
public struct BlockSyncScheduler: Sendable {
    public struct Settings: Sendable {
        /// Heights above the head requested at once while behind.
        public var window: UInt64 = 64
        /// Requests one peer may hold open at once.
        public var perPeer: Int = 16
        public var requestTimeout: Duration = .seconds(3)
        /// Behind by more than this many blocks, the node is catching up (block sync) rather than deciding.
        public var catchUpGap: UInt64 = 50

        public init() {}
    }

    /// A block received and not yet committed.
    public struct Received: Sendable, Equatable {
        public let bytes: [UInt8]
        public let certificate: CommitCertificate
        public let peer: NodeID
    }

    public let settings: Settings
    public private(set) var peerHeights: [NodeID: UInt64] = [:]
    /// Open requests: the peer asked and when.
    public private(set) var pending: [UInt64: (peer: NodeID, at: ContinuousClock.Instant)] = [:]
    public private(set) var received: [UInt64: Received] = [:]
    /// The height handed over for commit and not yet settled.
    public private(set) var committing: UInt64?
    /// Peers that served a block that did not commit, per height: not asked for it again.
    var failedAt: [UInt64: Set<NodeID>] = [:]
    public private(set) var catchingUp = false

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The highest height a peer reported.
    public var bestPeerHeight: UInt64 { peerHeights.values.max() ?? 0 }

    /// Records a peer's committed height.
    public mutating func peer(_ id: NodeID, reports height: UInt64) {
        peerHeights[id] = max(peerHeights[id] ?? 0, height)
    }

    /// Forgets a peer that is gone: its open requests go to others.
    public mutating func remove(_ id: NodeID) {
        peerHeights[id] = nil
        pending = pending.filter { $0.value.peer != id }
    }

    /// Updates ``catchingUp`` for the head: on when more than `catchUpGap` behind, off within one block.
    public mutating func update(head: UInt64) {
        let best = bestPeerHeight
        if best > head + settings.catchUpGap { catchingUp = true } else if best <= head + 1 { catchingUp = false }
        pending = pending.filter { $0.key > head }
        received = received.filter { $0.key > head }
        failedAt = failedAt.filter { $0.key > head }
        if let c = committing, c <= head { committing = nil }
    }

    /// The requests to send now, given the head and the peers connected: every height of the window above the head
    /// that is neither received nor asked (or asked too long ago) goes to the least loaded peer that has it.
    /// One block behind, a node asks only once its head has `stalled` (it is usually deciding that block itself).
    public mutating func requests(head: UInt64, connected: Set<NodeID>, stalled: Bool, now: ContinuousClock.Instant = .now)
        -> [(peer: NodeID, height: UInt64)] {
        update(head: head)
        let best = peerHeights.filter { connected.contains($0.key) }.values.max() ?? 0
        guard best > head, best >= head + 2 || stalled else { return [] }
        var load: [NodeID: Int] = [:]
        for p in pending.values { load[p.peer, default: 0] += 1 }
        var out: [(NodeID, UInt64)] = []
        let top = min(best, head + settings.window)
        for height in (head + 1)...top where received[height] == nil {
            if let p = pending[height], now - p.at < settings.requestTimeout, connected.contains(p.peer) { continue }
            let previous = pending[height]?.peer
            let candidates = peerHeights.filter { id, h in
                h >= height && connected.contains(id) && !(failedAt[height]?.contains(id) ?? false)
                    && (load[id] ?? 0) < settings.perPeer
            }.keys
            // Another peer than the one that did not answer, when there is one.
            guard let peer = candidates.min(by: { a, b in
                let ka = (a == previous ? 1 : 0, load[a] ?? 0, a)
                let kb = (b == previous ? 1 : 0, load[b] ?? 0, b)
                return ka < kb
            }) else { continue }
            pending[height] = (peer, now)
            load[peer, default: 0] += 1
            out.append((peer, height))
        }
        return out
    }

    /// Records a block a peer sent; false when it was not asked of that peer (it is ignored).
    public mutating func receive(_ bytes: [UInt8], certificate: CommitCertificate, from peer: NodeID) -> Bool {
        let height = certificate.height
        guard let p = pending[height], p.peer == peer else { return false }
        pending[height] = nil
        received[height] = Received(bytes: bytes, certificate: certificate, peer: peer)
        return true
    }

    /// The next block to commit, when it has arrived and nothing is being committed.
    public mutating func nextToCommit(head: UInt64) -> Received? {
        guard committing == nil, let next = received[head + 1] else { return nil }
        committing = head + 1
        return next
    }

    /// The block handed over did not commit: it is dropped and its peer is not asked for that height again.
    public mutating func failed(height: UInt64) {
        if let r = received[height] { failedAt[height, default: []].insert(r.peer) }
        received[height] = nil
        if committing == height { committing = nil }
    }

    /// The block handed over committed, or was decided by consensus meanwhile.
    public mutating func settled(height: UInt64) {
        received[height] = nil
        if committing == height { committing = nil }
    }
}
