public import Logging
import ServiceLifecycle

/// Waiting for the node a service starts beside (a devnet starts them together, so the node may not listen yet).
public enum NodeWait {
    /// Calls `attempt` every 250 ms until it succeeds and returns its result, logging once that it waits for the
    /// node at `url`; after `limit`, or when the service group shuts down, rethrows the last error.
    public static func until<T: Sendable>(_ url: String, logger: Logger, limit: Duration = .seconds(60),
                                          _ attempt: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + limit
        var logged = false
        while true {
            do { return try await attempt() } catch {
                guard ContinuousClock.now < deadline, !Task.isShuttingDownGracefully, !Task.isCancelled else { throw error }
                if !logged {
                    logger.notice("waiting for the node", metadata: ["node": "\(url)"])
                    logged = true
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
