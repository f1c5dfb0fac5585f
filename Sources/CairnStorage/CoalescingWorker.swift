import Dispatch
import Synchronization

/// Runs jobs on its own queue, at most one at a time: a job asked for while one runs waits, and several asked
/// for meanwhile fold into one (the last), so a fast caller never queues a backlog and never waits. For work that
/// catches up with whatever is there when it runs, such as a checkpoint or an index.
public final class CoalescingWorker: Sendable {
    let queue: DispatchQueue
    /// Whether a job is running, and the one to run after it.
    let pending = Mutex<(running: Bool, next: (@Sendable () -> Void)?)>((false, nil))

    public init(label: String) {
        queue = DispatchQueue(label: label, qos: .utility)
    }

    /// Runs `job` soon: now on the queue, or after the running one (replacing any other still waiting).
    public func request(_ job: @escaping @Sendable () -> Void) {
        let start = pending.withLock { state -> Bool in
            if state.running { state.next = job; return false }
            state.running = true
            return true
        }
        guard start else { return }
        queue.async { self.drain(job) }
    }

    /// Waits until the job running now and any waiting after it have finished (jobs asked for later are not
    /// waited for).
    public func waitUntilIdle() {
        // Every job runs inside the one queue block that `request` started, so the queue's next block runs after them.
        queue.sync {}
    }

    private func drain(_ first: @escaping @Sendable () -> Void) {
        var job = first
        while true {
            job()
            let next = pending.withLock { state -> (@Sendable () -> Void)? in
                guard let next = state.next else { state.running = false; return nil }
                state.next = nil
                return next
            }
            guard let next else { return }
            job = next
        }
    }
}
