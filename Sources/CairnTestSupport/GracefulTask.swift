import Logging
import ServiceLifecycle

/// Work that a test starts in the background and stops with a graceful shutdown, as a signal stops the product.
///
/// A Hummingbird server must not be stopped by cancelling the task that serves it: a connection the server has
/// accepted but not yet started to serve is then dropped, and SwiftNIO traps when it is released ("Deinited
/// NIOAsyncWriter without calling finish()"), which ends the whole test process. A graceful shutdown first closes
/// the listening socket and serves every connection already accepted. The work runs as the one service of a
/// `ServiceGroup`; servers and service groups started inside it (Hummingbird's `runService()`, the node's runner)
/// see the group's graceful shutdown. Work that has not returned after `patience` is cancelled.
public final class GracefulTask: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts `work`.
    public init(patience: Duration = .seconds(10), _ work: @escaping @Sendable () async throws -> Void) {
        var logger = Logger(label: "cairn.test.task")
        logger.logLevel = .critical
        var configuration = ServiceGroupConfiguration(services: [Work(run: work)], logger: logger)
        configuration.maximumGracefulShutdownDuration = patience
        let group = ServiceGroup(configuration: configuration)
        self.group = group
        task = Task { try await group.run() }
    }

    /// Shuts the work down gracefully and waits until it has returned; what it threw, if anything.
    @discardableResult
    public func stop() async -> (any Error)? {
        await group.triggerGracefulShutdown()
        if case .failure(let error) = await task.result { return error }
        return nil
    }

    /// Runs `body`, then stops the work, whether `body` returned or threw.
    public func stop<T>(after body: () async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body()
        } catch {
            await stop()
            throw error
        }
        await stop()
        return result
    }

    private struct Work: Service {
        let run: @Sendable () async throws -> Void
        func run() async throws { try await run() }
    }
}
