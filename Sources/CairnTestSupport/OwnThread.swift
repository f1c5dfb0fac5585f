import Foundation

/// Runs compute-bound `body` on a thread of its own, as part of the calling task (so `#expect` inside it is
/// still the calling test's).
///
/// Swift Testing calls synchronous tests on the threads of Swift's cooperative pool, which has one thread per
/// core. A real-model forward pass holds its thread for tens of seconds; on a two-core machine two of them hold
/// the whole pool, and every other test's awaits (a keep-alive ping, a probe's timeout, a server's reply) wait
/// with it. Work run here leaves the pool free and only shares the cores.
public func onOwnThread<T>(stackSize: Int = 16 << 20, _ body: () throws -> T) async throws -> T {
    let executor = OwnThreadExecutor(stackSize: stackSize)
    defer { executor.finish() }
    return try await withTaskExecutorPreference(executor) { try body() }
}

/// A task executor backed by one dedicated thread, which ends after ``finish()`` once its queued jobs have run.
final class OwnThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    init(stackSize: Int) {
        let thread = Thread { [self] in work() }
        thread.name = "cairn.test.own-thread"
        thread.stackSize = stackSize
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            guard !jobs.isEmpty else {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
