import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp

/// One agent's random stream: SplitMix64 seeded from the run's seed and the agent's name, so adding an agent or
/// changing how often one draws never shifts another agent's numbers.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// The stream of `name` under `seed`.
    public init(seed: UInt64, name: String) {
        // FNV-1a over the name: stable across processes (Swift's Hasher is seeded per process).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        state = seed ^ h
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// A standard normal draw (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A log-normal factor with median 1 and log-deviation `sigma`.
    public mutating func lognormal(_ sigma: Double) -> Double { exp(sigma * normal()) }

    /// An integer in `0..<n` (n > 0).
    public mutating func index(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
