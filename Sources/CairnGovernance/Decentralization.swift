public import CairnPrimitives

/// How concentrated stake (or voting power) is among operators.
public struct Decentralization: Sendable, Equatable, Codable {
    /// Operators with any stake.
    public var holders: Int
    public var total: Amount
    /// The fewest operators that together hold more than one third: enough to halt a BFT chain.
    public var nakamotoOneThird: Int
    /// The fewest operators that together hold more than half.
    public var nakamotoHalf: Int
    /// The Gini coefficient over the operators with stake: 0 when their stakes are equal, approaching
    /// (n − 1) / n as one of n holds nearly everything.
    public var gini: Double
    /// The share of the ten largest holders, 0 to 1.
    public var top10Share: Double

    /// The figures for `stakes` (one entry per operator; zeros are ignored).
    public init(stakes: [Amount]) {
        let held = stakes.map(\.value).filter { $0 > 0 }.sorted(by: >)
        let total = held.reduce(UInt128(0)) { $0 &+ $1 }
        holders = held.count
        self.total = Amount(total)
        nakamotoOneThird = Decentralization.fewest(held, over: total / 3)
        nakamotoHalf = Decentralization.fewest(held, over: total / 2)
        top10Share = total == 0 ? 0 : Double(held.prefix(10).reduce(UInt128(0), +)) / Double(total)
        if held.isEmpty || total == 0 {
            gini = 0
        } else {
            // G = 2 Σ i·x_i / (n Σ x) − (n + 1) / n, with x ascending and i from 1.
            let n = Double(held.count)
            let weighted = held.reversed().enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * Double($1.element) }
            gini = max(0, 2 * weighted / (n * Double(total)) - (n + 1) / n)
        }
    }

    /// The fewest of `descending` whose sum is above `floorOfShare`: for integers, `sum × 3 > total` is
    /// `sum > total / 3` with integer division, so the thresholds are exact.
    static func fewest(_ descending: [UInt128], over floorOfShare: UInt128) -> Int {
        var sum: UInt128 = 0
        for (i, stake) in descending.enumerated() {
            sum += stake
            if sum > floorOfShare { return i + 1 }
        }
        return 0
    }
}
