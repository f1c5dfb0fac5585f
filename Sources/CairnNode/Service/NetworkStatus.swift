public import CairnP2P
public import CairnConsensus
import Synchronization

/// What a node knows of the network, for its API and metrics: the peer switch and the consensus driver once the node
/// runs them, and whether block sync is catching the node up. A node without p2p has no switch; one that is only
/// opened (tests, tools) has no driver either.
public final class NetworkStatus: Sendable {
    struct State {
        var peerSwitch: PeerSwitch?
        var driver: ConsensusDriver?
        var catchingUp = false
        var syncedBlocks: UInt64 = 0
        /// Blocks committed by block sync in the last ten seconds, with when.
        var recentSynced: [ContinuousClock.Instant] = []
    }

    let state = Mutex(State())

    public init() {}

    /// Joins the switch (nil without p2p) and the driver the node runs.
    public func attach(peerSwitch: PeerSwitch?, driver: ConsensusDriver) {
        state.withLock {
            $0.peerSwitch = peerSwitch
            $0.driver = driver
        }
    }

    public var peerSwitch: PeerSwitch? { state.withLock { $0.peerSwitch } }
    public var driver: ConsensusDriver? { state.withLock { $0.driver } }

    /// True while the node is behind its peers and fetching blocks rather than deciding them.
    public var catchingUp: Bool {
        get { state.withLock { $0.catchingUp } }
        set { state.withLock { $0.catchingUp = newValue } }
    }

    /// Passes a transaction the mempool admitted on to every peer (each admits it once, so it travels once per link).
    public func transactionAdmitted(_ bytes: [UInt8]) {
        peerSwitch?.broadcast(channel: .mempool, bytes: bytes)
    }

    /// Counts a block committed by block sync.
    public func blockSynced(at now: ContinuousClock.Instant = .now) {
        state.withLock { s in
            s.syncedBlocks += 1
            s.recentSynced.append(now)
            s.recentSynced.removeAll { now - $0 > .seconds(10) }
        }
    }

    /// Blocks committed by block sync since the node started.
    public var syncedBlocks: UInt64 { state.withLock { $0.syncedBlocks } }

    /// Blocks per second committed by block sync over the last ten seconds.
    public func syncRate(now: ContinuousClock.Instant = .now) -> Double {
        state.withLock { s in
            let window = s.recentSynced.filter { now - $0 <= .seconds(10) }
            guard let first = window.first, window.count > 1 else { return 0 }
            let span = Double((now - first).components.seconds) + Double((now - first).components.attoseconds) / 1e18
            return Double(window.count) / max(span, 1)
        }
    }
}
