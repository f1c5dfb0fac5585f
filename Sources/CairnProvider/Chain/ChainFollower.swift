public import Logging
public import ServiceLifecycle

/// Follows the node's event stream for the provider's channels: on every market event about a channel the desk
/// knows, it re-reads that channel; after every (re)connection it re-reads all of them, so nothing missed while
/// disconnected goes unseen. Reconnects with exponential backoff.
public struct ChainFollower: Service {
    let chain: any MarketChain
    let desk: PaymentDesk
    let logger: Logger
    let initialBackoff: Duration
    let maxBackoff: Duration

    public init(chain: any MarketChain, desk: PaymentDesk, logger: Logger,
                initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30)) {
        self.chain = chain
        self.desk = desk
        self.logger = logger
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    public func run() async throws {
        var backoff = initialBackoff
        await refreshAll()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var connected = false
            do {
                for try await block in chain.blocks().cancelOnGracefulShutdown() {
                    if !connected {
                        connected = true
                        backoff = initialBackoff
                        logger.debug("following the node's event stream", metadata: ["height": "\(block.height)"])
                        await refreshAll()
                    }
                    await follow(block)
                }
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.info("the node's event stream ended; reconnecting")
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.warning("the node's event stream failed; reconnecting", metadata: ["error": "\(error)", "in": "\(backoff)"])
            }
            let delay = backoff
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) } } catch { return }
            backoff = min(backoff * 2, maxBackoff)
        }
    }

    /// Applies one block: its height, and a fresh view of every known channel its market events change.
    func follow(_ block: ChainBlock) async {
        await desk.observe(height: block.height)
        let known = Set(await desk.channelIDs)
        var seen = Set<UInt64>()
        for id in block.channels where known.contains(id) && seen.insert(id).inserted {
            await desk.refresh(id)
        }
    }

    func refreshAll() async {
        for id in await desk.channelIDs { await desk.refresh(id) }
    }
}
