/// Waiting for the node a service starts beside (a devnet starts them together, so the node may not listen yet).
public enum NodeWait {
    /// Calls `attempt` every 250 ms until it succeeds and returns its result; calls `waiting` once, at the first
    /// failure. After `limit`, or once `stopped` says so (cancelled by default), rethrows the last error.
    public static func until<T: Sendable>(limit: Duration = .seconds(60), stopped: () -> Bool = { Task.isCancelled },
                                          waiting: () -> Void = {}, _ attempt: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + limit
        var told = false
        while true {
            do { return try await attempt() } catch {
                guard ContinuousClock.now < deadline, !stopped() else { throw error }
                if !told {
                    waiting()
                    told = true
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
