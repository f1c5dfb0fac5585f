public import CairnPrimitives
public import CairnLedger
public import CairnConsensus
public import CairnP2P
import CairnChain
import CairnStorage
import Synchronization

/// Consensus and block sync over the peer switch: the node's signed proposals and votes go to every peer on the
/// consensus channel and peers' go to the driver; while a height stalls the node sends again what it holds of it; on
/// the blocks channel nodes tell each other their height, and a node behind asks a peer that is ahead for the next
/// block, which its driver commits once the block and its certificate check out.
///
/// A peer that sends a message that does not decode is reported as misbehaving (the switch bans it).
public final class ConsensusReactor: ConsensusNetwork, Sendable {
    struct State {
        var peerSwitch: PeerSwitch?
        var driver: ConsensusDriver?
        var peerHeights: [NodeID: UInt64] = [:]
        /// The block asked for last, and when.
        var requested: (height: UInt64, at: ContinuousClock.Instant)?
        var heightAtLastTick: UInt64 = 0
    }

    let node: Node
    let tick: Duration
    let state = Mutex(State())

    /// A reactor for `node`; `tick` is how often it sends its height and, while the height stalls, its messages again.
    public init(node: Node, tick: Duration = .milliseconds(500)) {
        self.node = node
        self.tick = tick
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

    /// A new peer learns this node's height at once.
    public func greet(_ peer: NodeID) async {
        let height = await node.head.height
        peerSwitch?.send(to: peer, channel: .blocks, bytes: BlockSyncMessage.status(height: height).canonicalBytes)
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
                state.withLock { $0.peerHeights[peer] = height }
                await requestNextBlock()
            case let .request(height):
                await serve(height, to: peer)
            case let .block(bytes, certificate):
                state.withLock { if $0.requested?.height == certificate.height { $0.requested = nil } }
                driver?.receiveDecided(ProposedBlock(hash: certificate.blockHash, bytes: bytes), certificate: certificate)
            }
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

    /// When a peer is ahead, asks the one furthest ahead for the block after this node's head (again after a second
    /// without an answer).
    func requestNextBlock() async {
        let next = await node.head.height + 1
        let target = state.withLock { s -> NodeID? in
            guard let (peer, height) = s.peerHeights.max(by: { $0.value < $1.value }), height >= next else { return nil }
            if let r = s.requested, r.height == next, ContinuousClock.now - r.at < .seconds(1) { return nil }
            s.requested = (next, .now)
            return peer
        }
        guard let target else { return }
        peerSwitch?.send(to: target, channel: .blocks, bytes: BlockSyncMessage.request(height: next).canonicalBytes)
    }

    /// Every tick: tells the peers this node's height, sends again what it holds of a height that stalls, and asks for
    /// the next block when a peer is ahead. Runs until cancelled.
    public func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: tick)
            let height = await node.head.height
            peerSwitch?.broadcast(channel: .blocks, bytes: BlockSyncMessage.status(height: height).canonicalBytes)
            let stalled = state.withLock { s -> Bool in
                defer { s.heightAtLastTick = height }
                return s.heightAtLastTick == height
            }
            if stalled, let driver {
                for m in await driver.gossip() { await broadcast(m) }
            }
            await requestNextBlock()
        }
    }
}
