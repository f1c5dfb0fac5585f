public import CairnPrimitives
import Synchronization
import Foundation

/// The selector shared by concurrent requests, with the wall clock it needs.
public final class SelectorBox: Sendable {
    let selector: Mutex<ProviderSelector>

    public init(policy: ProviderSelector.Policy = .init()) {
        selector = Mutex(ProviderSelector(policy: policy))
    }

    var now: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    func rank(_ candidates: [ProviderCandidate], summary: RequestSummary) -> [ProviderCandidate] {
        let now = now
        return selector.withLock {
            $0.rank(candidates, promptTokens: summary.promptTokens, completionTokens: summary.completionTokens,
                    embeddingTokens: summary.embeddingTokens, promptKey: summary.promptKey, now: now)
        }
    }

    func started(_ a: Address) { selector.withLock { $0.started(a) } }
    func succeeded(_ a: Address, firstTokenSeconds: Double, tokensPerSecond: Double?) {
        selector.withLock { $0.succeeded(a, firstTokenSeconds: firstTokenSeconds, tokensPerSecond: tokensPerSecond) }
    }
    func served(promptKey: UInt64, by a: Address) { selector.withLock { $0.served(promptKey: promptKey, by: a) } }
    func failed(_ a: Address) {
        let now = now
        selector.withLock { $0.failed(a, now: now) }
    }
    func abandoned(_ a: Address) { selector.withLock { $0.abandoned(a) } }
    /// Records what `a` announced; true when it differs from what was known.
    func learned(capacity: Int, of a: Address) -> Bool {
        selector.withLock { s in
            let before = s.stats[a]?.capacity
            s.learned(capacity: capacity, of: a)
            return s.stats[a]?.capacity != before
        }
    }

    /// What the selector knows, with the time it was read.
    public var snapshot: (stats: [Address: ProviderSelector.Stats], now: UInt64) {
        let now = now
        return (selector.withLock { $0.stats }, now)
    }
}

/// Work that outlives a request (checking receipts, recording usage), waited for at shutdown.
public final class BackgroundWork: Sendable {
    let state = Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    public init() {}

    func spawn(_ body: @escaping @Sendable () async -> Void) {
        state.withLock { $0.count += 1 }
        Task {
            await body()
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.count -= 1
                guard s.count == 0 else { return [] }
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume() }
        }
    }

    /// Returns once nothing is running.
    public func drain() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.count == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
