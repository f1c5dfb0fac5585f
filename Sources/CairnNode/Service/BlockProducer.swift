import ServiceLifecycle
import Logging
import CairnLedger
import Foundation

/// Produces a block every `interval` until graceful shutdown.
struct BlockProducer: Service {
    let node: Node
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                do {
                    let block = try await node.produceBlock(now: UInt64(Date().timeIntervalSince1970 * 1000))
                    logger.debug("committed block", metadata: ["height": "\(block.header.height)", "txs": "\(block.transactions)",
                                                               "gas_used": "\(block.header.gasUsed)"])
                } catch {
                    logger.error("block production failed: \(error)")
                }
            }
        }
        node.hub.finishAll()
    }
}
