public import Hummingbird
import Logging

/// A Hummingbird server for a test, on a loopback port the system chooses.
public enum LoopbackServer {
    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String { "the loopback server stopped before it listened" }
    }

    /// Serves `router` on 127.0.0.1 until the returned task is stopped (gracefully: see ``GracefulTask``).
    public static func start(_ router: Router<BasicRequestContext>) async throws -> (port: Int, task: GracefulTask) {
        var logger = Logger(label: "cairn.test.http")
        logger.logLevel = .critical
        let (ready, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = GracefulTask {
            defer { continuation.finish() }
            try await app.runService()
        }
        for await port in ready where port > 0 { return (port, task) }
        await task.stop()
        throw StartFailure()
    }
}
