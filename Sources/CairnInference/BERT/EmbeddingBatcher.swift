import Foundation

/// Serves concurrent embedding requests together: requests that arrive while a batch is being encoded wait, and the
/// next batch takes all of them (up to ``maxTexts`` texts), so a burst of small requests costs a few forward passes
/// over padded batches instead of one pass each. Encoding runs on a thread of the batcher's own, off Swift's
/// cooperative pool. A request's vectors do not depend on what it was batched with (padding is masked).
public final class EmbeddingBatcher: @unchecked Sendable {
    public let model: EmbeddingModel
    /// The most texts one batch takes (a request larger than this is a batch of its own).
    public let maxTexts: Int

    private struct Pending {
        let texts: [String]
        let continuation: CheckedContinuation<[[Float]], any Error>
    }

    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var started = false
    private var counts = (batches: 0, requests: 0, texts: 0)

    public init(model: EmbeddingModel, maxTexts: Int = 64) {
        self.model = model
        self.maxTexts = max(1, maxTexts)
    }

    /// What has been served: forward batches run, requests and texts in them.
    public var figures: (batches: Int, requests: Int, texts: Int) {
        condition.lock()
        defer { condition.unlock() }
        return counts
    }

    /// The unit-length embedding of every text, in order, encoded together with whatever else is waiting.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            pending.append(Pending(texts: texts, continuation: continuation))
            if !started {
                started = true
                let thread = Thread { [self] in work() }
                thread.name = "cairn-embed"
                thread.stackSize = 16 << 20
                thread.start()
            }
            condition.signal()
            condition.unlock()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            // Requests in arrival order until the batch is full; the first is taken whatever its size.
            var batch: [Pending] = [pending.removeFirst()]
            var total = batch[0].texts.count
            while let next = pending.first, total + next.texts.count <= maxTexts {
                batch.append(pending.removeFirst())
                total += next.texts.count
            }
            counts.batches += 1
            counts.requests += batch.count
            counts.texts += total
            condition.unlock()
            do {
                let vectors = try model.embed(batch.flatMap(\.texts), batchSize: 32)
                var start = 0
                for request in batch {
                    request.continuation.resume(returning: Array(vectors[start..<start + request.texts.count]))
                    start += request.texts.count
                }
            } catch {
                // One request's failure is not its neighbours': each is tried again alone.
                for request in batch {
                    request.continuation.resume(with: Result { try model.embed(request.texts, batchSize: 32) })
                }
            }
        }
    }
}
