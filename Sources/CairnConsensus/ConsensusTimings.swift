/// How long a node's consensus spends in each step and in which round it decides, for the node's metrics.
///
/// The driver reports where the state machine stands after every input it handles (``observe(height:round:step:decidedRound:at:)``);
/// a step ends when the height, round or step changes. The commit step is not timed: it lasts the node's configured
/// wait between blocks.
public struct ConsensusTimings: Sendable, Equatable {
    /// A histogram in Prometheus's shape: observations at or below each bound, their count and their sum.
    public struct Histogram: Sendable, Equatable {
        /// Upper bounds of the buckets, ascending (the `+Inf` bucket is `count`).
        public let bounds: [Double]
        /// Observations at or below each bound (cumulative, as Prometheus exposes them).
        public private(set) var buckets: [UInt64]
        public private(set) var count: UInt64 = 0
        public private(set) var sum: Double = 0

        public init(bounds: [Double]) {
            self.bounds = bounds
            buckets = [UInt64](repeating: 0, count: bounds.count)
        }

        /// Counts one observation.
        public mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { buckets[i] += 1 }
            count += 1
            sum += value
        }
    }

    /// Seconds: from a lone validator's milliseconds to the timeouts of late rounds.
    public static let stepBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Rounds: a healthy network decides in round 0.
    public static let roundBounds: [Double] = [0, 1, 2, 3, 5, 10]

    /// Seconds spent in each voting step (`propose`, `prevote`, `precommit`).
    public private(set) var steps: [RoundStep: Histogram] = [
        .propose: Histogram(bounds: stepBounds), .prevote: Histogram(bounds: stepBounds), .precommit: Histogram(bounds: stepBounds),
    ]
    /// The round in which each height this node decided by consensus was decided (block sync's heights are not counted).
    public private(set) var decisionRounds = Histogram(bounds: roundBounds)

    struct Position: Equatable {
        var height: UInt64
        var round: UInt32
        var step: RoundStep
    }

    var current: Position?
    var since: ContinuousClock.Instant?
    var lastDecided: UInt64 = 0

    public init() {}

    /// Notes where the state machine stands at `now`: ends the step it was in when that changed, and counts a decision
    /// the first time it is seen.
    public mutating func observe(height: UInt64, round: UInt32, step: RoundStep, decidedRound: UInt32?,
                                 at now: ContinuousClock.Instant) {
        let position = Position(height: height, round: round, step: step)
        if position != current {
            if let current, let since, current.step != .commit {
                steps[current.step]?.observe(Self.seconds(now - since))
            }
            current = position
            since = now
        }
        if let decidedRound, height > lastDecided {
            lastDecided = height
            decisionRounds.observe(Double(decidedRound))
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
