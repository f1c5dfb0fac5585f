public import CairnConsensus
import Synchronization

/// Consensus drivers in one process joined without sockets (for benchmarks and tests): a broadcast reaches every other
/// member's driver at once, in order, and nothing is lost. `endpoint(_:)` is what member `index` sends through.
public final class InProcessNetwork: Sendable {
    let members = Mutex<[Int: ConsensusDriver]>([:])

    public init() {}

    /// Adds `driver` as member `index`: from now on it receives what the others broadcast.
    public func join(_ index: Int, _ driver: ConsensusDriver) {
        members.withLock { $0[index] = driver }
    }

    /// The network as member `index` sees it.
    public func endpoint(_ index: Int) -> any ConsensusNetwork { Endpoint(network: self, index: index) }

    struct Endpoint: ConsensusNetwork {
        let network: InProcessNetwork
        let index: Int

        func broadcast(_ message: ConsensusMessage) async {
            let others = network.members.withLock { $0.filter { $0.key != index }.map(\.value) }
            for driver in others { driver.receive(message) }
        }
    }
}
