import Synchronization

/// A first-in first-out lock for async work: transactions sent from one key must not interleave, since each reads the
/// account's nonce before it is submitted.
final class AsyncLock: Sendable {
    let state = Mutex<(locked: Bool, queue: [CheckedContinuation<Void, Never>])>((false, []))

    /// Runs `body` alone: after every caller that came before has finished.
    func run<T>(_ body: () async throws(ClientError) -> T) async throws(ClientError) -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { s -> Bool in
                if s.locked {
                    s.queue.append(c)
                    return false
                }
                s.locked = true
                return true
            }
            if granted { c.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.queue.isEmpty {
                s.locked = false
                return nil
            }
            return s.queue.removeFirst()
        }
        next?.resume()
    }
}
