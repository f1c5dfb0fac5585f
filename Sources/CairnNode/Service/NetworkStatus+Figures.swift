public import CairnConsensus
import CairnP2P

/// What the node's metrics show of its network, read at one moment.
public struct NetworkFigures: Sendable {
    /// Peers connected now.
    public var peers: Int
    /// Messages not sent because a peer's queue was full, since the node started.
    public var droppedMessages: UInt64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    /// Blocks committed by block sync since the node started.
    public var syncedBlocks: UInt64
    /// Blocks per second committed by block sync over the last ten seconds.
    public var syncRate: Double
    public var catchingUp: Bool
    /// Step times and decision rounds; empty for a node that runs no consensus.
    public var consensus: ConsensusTimings
}

extension NetworkStatus {
    /// The figures of the peer switch, block sync and the consensus driver (zero for what the node does not run).
    public func figures(now: ContinuousClock.Instant = .now) async -> NetworkFigures {
        let peerSwitch = self.peerSwitch
        let consensus = await driver?.timings ?? ConsensusTimings()
        return NetworkFigures(peers: peerSwitch?.peers.count ?? 0, droppedMessages: peerSwitch?.droppedMessages ?? 0,
                              bytesSent: peerSwitch?.bytesSent ?? 0, bytesReceived: peerSwitch?.bytesReceived ?? 0,
                              syncedBlocks: syncedBlocks, syncRate: syncRate(now: now), catchingUp: catchingUp, consensus: consensus)
    }
}
