import ServiceLifecycle
import Logging
import CairnConsensus

/// Runs the node's consensus driver until graceful shutdown.
struct ConsensusService: Service {
    let driver: ConsensusDriver
    let node: Node
    let logger: Logger

    func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                try await driver.run()
            } onGracefulShutdown: {
                driver.stop()
            }
        } catch {
            logger.error("consensus stopped: \(error)")
            node.hub.finishAll()
            throw error
        }
        node.hub.finishAll()
    }
}
