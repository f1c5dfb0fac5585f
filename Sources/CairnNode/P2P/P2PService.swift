import CairnP2P
import ServiceLifecycle

/// Runs the node's peer switch and its consensus reactor until graceful shutdown.
struct P2PService: Service {
    let peerSwitch: PeerSwitch
    let reactor: ConsensusReactor

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await peerSwitch.run() }
                    group.addTask { try await reactor.run() }
                }
            }
        } catch is CancellationError {}
    }
}
