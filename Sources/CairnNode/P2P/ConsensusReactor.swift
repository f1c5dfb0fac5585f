public import CairnPrimitives
public import CairnLedger
public import CairnConsensus
public import CairnP2P
import CairnChain
import CairnStorage
import Synchronization

/// Consensus, block sync, evidence and transactions over the peer switch.
///
/// - Consensus channel: the node's signed proposals and votes go to every peer and peers' go to the driver; while a
///   height stalls the node sends again what it holds of it.
/// - Blocks channel: nodes tell each other their height; a node behind fetches the blocks above its head in parallel
///   from the peers that have them (``BlockSyncScheduler``) and its driver commits them in order once each block and
///   its certificate check out. A peer whose block does not check out is banned and the block is asked of another.
/// - Evidence channel: evidence the node holds and has not seen committed goes to every peer each tick; evidence from
///   peers is checked by the driver and pooled.
/// - Mempool channel: a transaction the node admits goes to every peer (``NetworkStatus/transactionAdmitted(_:)``); one
///   from a peer is checked and admitted like a submission, and so passed on once.
///
/// A peer that sends a message that does not decode, a transaction with a bad signature or forged evidence is reported
/// as misbehaving (the switch bans it).
public final class ConsensusReactor: ConsensusNetwork, Sendable {
    struct State {
        var peerSwitch: PeerSwitch?
        var driver: ConsensusDriver?
        var sync = BlockSyncScheduler()
        var heightAtLastTick: UInt64 = 0
    }

    let node: Node
    let tick: Duration
    let state: Mutex<State>

    /// A reactor for `node`; `tick` is how often it sends its height, its evidence and, while the height stalls, its
    /// messages again.
    public init(node: Node, tick: Duration = .milliseconds(500), sync: BlockSyncScheduler.Settings = .init()) {
        self.node = node
        self.tick = tick
        self.state = Mutex(State(sync: BlockSyncScheduler(settings: sync)))
    }

    /// Joins the reactor to the switch that carries its messages and the driver that decides.
    public func attach(_ peerSwitch: PeerSwitch, driver: ConsensusDriver) {
        state.withLock {
            $0.peerSwitch = peerSwitch
            $0.driver = driver
        }
    }

    var peerSwitch: PeerSwitch? { state.withLock { $0.peerSwitch } }
    var driver: ConsensusDriver? { state.withLock { $0.driver } }

    public func broadcast(_ message: ConsensusMessage) async {
        peerSwitch?.broadcast(channel: .consensus, bytes: message.canonicalBytes)
    }

    /// A new peer learns this node's height and the evidence it holds at once.
    public func greet(_ peer: NodeID) async {
        let height = await node.head.height
        peerSwitch?.send(to: peer, channel: .blocks, bytes: BlockSyncMessage.status(height: height).canonicalBytes)
        for e in await driver?.pendingEvidence ?? [] { peerSwitch?.send(to: peer, channel: .evidence, bytes: e.canonicalBytes) }
    }

    /// Handles one message from `peer`.
    public func handle(_ peer: NodeID, _ message: PeerMessage) async -> PeerSwitch.Verdict {
        switch message.channel {
        case P2PChannel.consensus.id:
            guard let m = try? ConsensusMessage(canonicalBytes: message.bytes) else { return .misbehaved("a consensus message that does not decode") }
            driver?.receive(m)
        case P2PChannel.blocks.id:
            guard let m = try? BlockSyncMessage(canonicalBytes: message.bytes) else { return .misbehaved("a block sync message that does not decode") }
            switch m {
            case let .status(height):
                state.withLock { $0.sync.peer(peer, reports: height) }
                await syncStep(stalled: false)
            case let .request(height):
                await serve(height, to: peer)
            case let .block(bytes, certificate):
                if state.withLock({ $0.sync.receive(bytes, certificate: certificate, from: peer) }) { await syncStep(stalled: false) }
            }
        case P2PChannel.evidence.id:
            guard let e = try? DuplicateVoteEvidence(canonicalBytes: message.bytes) else { return .misbehaved("evidence that does not decode") }
            if case let .invalid(why) = await driver?.addEvidence(e) { return .misbehaved(why) }
        case P2PChannel.mempool.id:
            let checked: CheckedTransaction
            do { checked = try node.precheck(message.bytes) } catch {
                // Bytes that do not decode or carry a bad signature are never a peer's honest mistake.
                if error.code == .malformedTx || error.code == SubmitError(CoreError.badSignature()).code { return .misbehaved("a transaction: \(error.message)") }
                return .accepted
            }
            try? await node.admit(checked)
        default:
            break
        }
        return .accepted
    }

    /// Sends the committed block at `height` with its certificate, if this node has it.
    func serve(_ height: UInt64, to peer: NodeID) async {
        guard height >= 1, let committed = try? node.chain.block(at: height) else { return }
        let block = committed.block
        let bytes = Block.encode(header: block.header, transactions: block.transactions.map(\.canonicalBytes), lastCommit: block.lastCommit,
                                 evidence: block.evidence)
        peerSwitch?.send(to: peer, channel: .blocks, bytes: BlockSyncMessage.block(bytes: bytes, certificate: committed.commit).canonicalBytes)
    }

    /// Sends the block requests due and hands the next received block to the driver; `stalled` says the head has not
    /// moved for a tick (one block behind, the node asks only then).
    func syncStep(stalled: Bool) async {
        let head = await node.head.height
        let connected = Set(peerSwitch?.peers.map(\.id) ?? [])
        let (requests, next, catchingUp) = state.withLock { s in
            for gone in s.sync.peerHeights.keys where !connected.contains(gone) { s.sync.remove(gone) }
            let requests = s.sync.requests(head: head, connected: connected, stalled: stalled)
            return (requests, s.sync.nextToCommit(head: head), s.sync.catchingUp)
        }
        node.network.catchingUp = catchingUp
        for r in requests {
            peerSwitch?.send(to: r.peer, channel: .blocks, bytes: BlockSyncMessage.request(height: r.height).canonicalBytes)
        }
        guard let next, let driver else { return }
        let height = next.certificate.height
        driver.receiveDecided(ProposedBlock(hash: next.certificate.blockHash, bytes: next.bytes), certificate: next.certificate) { outcome in
            Task { await self.settle(height: height, from: next.peer, outcome) }
        }
    }

    /// Settles a block handed to the driver: a committed one counts, one that does not check out bans its peer.
    func settle(height: UInt64, from peer: NodeID, _ outcome: ConsensusDriver.SyncOutcome) async {
        switch outcome {
        case .committed:
            node.network.blockSynced()
            state.withLock { $0.sync.settled(height: height) }
        case .ignored:
            state.withLock { $0.sync.settled(height: height) }
        case .invalid:
            state.withLock { $0.sync.failed(height: height) }
            peerSwitch?.ban(peer)
        }
        await syncStep(stalled: false)
    }

    /// Every tick: tells the peers this node's height and the evidence it holds, sends again what it holds of a height
    /// that stalls, and asks for blocks when peers are ahead. Runs until cancelled.
    public func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: tick)
            let height = await node.head.height
            peerSwitch?.broadcast(channel: .blocks, bytes: BlockSyncMessage.status(height: height).canonicalBytes)
            let stalled = state.withLock { s -> Bool in
                defer { s.heightAtLastTick = height }
                return s.heightAtLastTick == height
            }
            if let driver {
                for e in await driver.pendingEvidence { peerSwitch?.broadcast(channel: .evidence, bytes: e.canonicalBytes) }
                if stalled, !node.network.catchingUp {
                    for m in await driver.gossip() { await broadcast(m) }
                }
            }
            await syncStep(stalled: stalled)
        }
    }
}
