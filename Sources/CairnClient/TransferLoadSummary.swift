import Foundation

/// The figures of a load run, computed from its records.
public struct TransferLoadSummary: Sendable, Equatable {
    /// Latency percentiles in milliseconds (nearest rank).
    public struct Latency: Sendable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double
        public var mean: Double
    }

    public var submitted: Int
    public var committed: Int
    /// Committed transfers whose receipt carries an error (counted in `committed`: their nonce was used).
    public var failedInBlock: Int
    public var notCommitted: Int
    /// Nil when nothing was committed.
    public var latency: Latency?
    /// Committed transfers per second of `wallSeconds`.
    public var tps: Double
    /// From the first submission to the last sighting of a receipt (or the last record, when none was committed).
    public var wallSeconds: Double
    public var firstHeight: UInt64?
    public var lastHeight: UInt64?

    /// The figures of `records`; a committed record's sighting is its submission time plus its latency.
    public init(_ records: [TransferRecord]) {
        submitted = records.count
        let done = records.filter(\.committed)
        committed = done.count
        failedInBlock = done.filter { $0.error != nil }.count
        notCommitted = submitted - committed
        let latencies = done.compactMap(\.latencyMs).sorted()
        if latencies.isEmpty {
            latency = nil
        } else {
            func rank(_ q: Double) -> Double { latencies[Swift.max(0, Int((q * Double(latencies.count)).rounded(.up)) - 1)] }
            latency = Latency(p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: latencies.last!,
                              mean: latencies.reduce(0, +) / Double(latencies.count))
        }
        let start = records.map { Double($0.submittedMs) }.min() ?? 0
        let end = done.compactMap { r in r.latencyMs.map { Double(r.submittedMs) + $0 } }.max() ?? start
        wallSeconds = (end - start) / 1000
        tps = wallSeconds > 0 ? Double(committed) / wallSeconds : 0
        firstHeight = done.compactMap(\.height).min()
        lastHeight = done.compactMap(\.height).max()
    }

    /// The JSON object `cairn bench transfers --json` prints.
    public var jsonObject: [String: Any] {
        func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
        let latencyObject: Any = latency.map { l in
            ["p50": rounded(l.p50), "p90": rounded(l.p90), "p99": rounded(l.p99), "max": rounded(l.max), "mean": rounded(l.mean)]
        } ?? NSNull()
        return [
            "submitted": submitted, "committed": committed, "not_committed": notCommitted, "latency_ms": latencyObject,
            "tps": rounded(tps), "wall_s": rounded(wallSeconds),
            "first_height": firstHeight.map { $0 as Any } ?? NSNull(), "last_height": lastHeight.map { $0 as Any } ?? NSNull(),
        ]
    }
}
