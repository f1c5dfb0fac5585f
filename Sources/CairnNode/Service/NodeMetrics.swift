import Synchronization
import Foundation

/// Node figures in the Prometheus text format: height, transactions per second, mempool size and
/// block commit latency.
public final class NodeMetrics: Sendable {
    struct State {
        var height: UInt64 = 0
        var txTotal: UInt64 = 0
        var mempoolSize = 0
        var recent: [(time: Double, txs: Int)] = []
        var commitBuckets = [UInt64](repeating: 0, count: NodeMetrics.bounds.count)
        var commitCount: UInt64 = 0
        var commitSum: Double = 0
        var rejected: UInt64 = 0
    }

    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    let state = Mutex(State())

    public init() {}

    /// Records a committed block.
    public func blockCommitted(height: UInt64, txs: Int, commitSeconds: Double, now: Double) {
        state.withLock { s in
            s.height = height
            s.txTotal += UInt64(txs)
            s.recent.append((now, txs))
            s.recent.removeAll { now - $0.time > 10 }
            for (i, b) in NodeMetrics.bounds.enumerated() where commitSeconds <= b { s.commitBuckets[i] += 1 }
            s.commitCount += 1
            s.commitSum += commitSeconds
        }
    }

    public func setMempoolSize(_ n: Int) { state.withLock { $0.mempoolSize = n } }
    public var mempoolSize: Int { state.withLock { $0.mempoolSize } }
    public func rejectedTransaction() { state.withLock { $0.rejected += 1 } }

    /// Transactions per second over the last ten seconds.
    public func transactionsPerSecond(now: Double) -> Double {
        state.withLock { s in
            let window = s.recent.filter { now - $0.time <= 10 }
            guard let first = window.first else { return 0 }
            let span = max(now - first.time, 1)
            return Double(window.reduce(0) { $0 + $1.txs }) / span
        }
    }

    /// The exposition text.
    public func render(now: Double) -> String {
        let tps = transactionsPerSecond(now: now)
        return state.withLock { s in
            var out = """
            # HELP cairn_block_height Height of the last committed block.
            # TYPE cairn_block_height gauge
            cairn_block_height \(s.height)
            # HELP cairn_transactions_total Transactions included in committed blocks.
            # TYPE cairn_transactions_total counter
            cairn_transactions_total \(s.txTotal)
            # HELP cairn_transactions_per_second Transactions per second over the last 10 seconds.
            # TYPE cairn_transactions_per_second gauge
            cairn_transactions_per_second \(tps)
            # HELP cairn_mempool_size Transactions waiting in the mempool.
            # TYPE cairn_mempool_size gauge
            cairn_mempool_size \(s.mempoolSize)
            # HELP cairn_mempool_rejected_total Transactions the node refused.
            # TYPE cairn_mempool_rejected_total counter
            cairn_mempool_rejected_total \(s.rejected)
            # HELP cairn_block_commit_seconds Time to execute and commit a block.
            # TYPE cairn_block_commit_seconds histogram

            """
            for (i, b) in NodeMetrics.bounds.enumerated() {
                out += "cairn_block_commit_seconds_bucket{le=\"\(b)\"} \(s.commitBuckets[i])\n"
            }
            out += "cairn_block_commit_seconds_bucket{le=\"+Inf\"} \(s.commitCount)\n"
            out += "cairn_block_commit_seconds_sum \(s.commitSum)\n"
            out += "cairn_block_commit_seconds_count \(s.commitCount)\n"
            return out
        }
    }
}
