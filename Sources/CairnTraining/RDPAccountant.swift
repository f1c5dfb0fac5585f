import Foundation

/// A Rényi-DP accountant (Mironov 2017) for DP-SGD steps, i.e. the Poisson-sampled Gaussian mechanism.
///
/// It keeps the RDP ε(α) of everything composed so far at a fixed set of
/// orders α; composition adds them, and `epsilon(delta:)` converts to
/// (ε, δ)-DP at the best order. The numbers agree with Google's dp-accounting
/// `RdpAccountant` given the same orders (see the reference tests).
public struct RDPAccountant: Sendable, Equatable {
    /// The orders of TF Privacy's former default list: dense at small α, where
    /// large ε is decided, and up to 256 for very small ε.
    public static let defaultOrders: [Double] =
        [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5]
        + (5...64).map(Double.init)
        + [128, 256]

    /// The Rényi orders α tracked, each greater than 1.
    public let orders: [Double]
    /// The accumulated RDP at each of `orders`.
    public private(set) var rdp: [Double]

    /// An accountant with nothing composed yet.
    public init(orders: [Double] = defaultOrders) {
        precondition(!orders.isEmpty, "an accountant needs at least one order")
        precondition(orders.allSatisfy { $0 > 1 }, "Rényi orders must be greater than 1")
        self.orders = orders
        self.rdp = [Double](repeating: 0, count: orders.count)
    }

    /// Adds `steps` steps of the sampled Gaussian mechanism with sampling rate q and noise multiplier sigma.
    public mutating func compose(samplingRate q: Double, noiseMultiplier sigma: Double, steps: Int) {
        precondition(q >= 0 && q <= 1, "sampling rate must be in [0, 1], got \(q)")
        precondition(sigma >= 0, "noise multiplier cannot be negative, got \(sigma)")
        precondition(steps >= 0, "steps cannot be negative")
        guard steps > 0 else { return }
        for index in orders.indices {
            let perStep = SampledGaussianRDP.rdp(samplingRate: q, noiseMultiplier: sigma, order: orders[index])
            rdp[index] += Double(steps) * perStep
        }
    }

    /// The smallest ε over the orders for `delta`, with the order that gives it.
    ///
    /// Uses the conversion of Canonne, Kamath and Steinke 2020 (arXiv:2004.00010,
    /// Proposition 12), also in Balle et al. 2020, as dp-accounting and Opacus do:
    /// ε = r + log(1 − 1/α) − log(δα) / (α − 1),
    /// which is tighter than Mironov's r + log(1/δ) / (α − 1). Orders at or below
    /// 1.01 are skipped (the bound is numerically unstable there), and an order
    /// whose RDP r already satisfies δ ≥ √(1 − e^(−r)) gives ε = 0 through the
    /// KL-divergence bound, both exactly as in dp-accounting.
    public func epsilon(delta: Double) -> (epsilon: Double, order: Double) {
        precondition(delta >= 0, "delta cannot be negative")
        if delta == 0 {
            return rdp.allSatisfy { $0 == 0 } ? (0, 0) : (.infinity, 0)
        }
        var best = (epsilon: Double.infinity, order: orders[0])
        for (alpha, r) in zip(orders, rdp) {
            let candidate: Double
            if r < 0 {
                // Only reachable through rounding in extreme cases; the reference maps it to 0.
                candidate = 0
            } else if delta * delta + expm1(-r) > 0 {
                candidate = 0
            } else if alpha > 1.01 {
                candidate = r + log1p(-1 / alpha) - log(delta * alpha) / (alpha - 1)
            } else {
                candidate = .infinity
            }
            // Strict comparison keeps the first order on ties, like numpy's argmin.
            if candidate < best.epsilon { best = (candidate, alpha) }
        }
        return (max(0, best.epsilon), best.order)
    }

    /// The smallest noise multiplier whose ε after `steps` steps at rate q is at most `target` (binary search).
    ///
    /// The result is the upper end of the final bracket, so its ε never exceeds
    /// `target`; the bracket is narrowed to a relative width of 1e-6. Returns
    /// +∞ if no multiplier below 1e6 reaches the target.
    public static func noiseMultiplier(
        forEpsilon target: Double, delta: Double, samplingRate q: Double, steps: Int
    ) -> Double {
        precondition(target > 0, "target epsilon must be positive")
        precondition(delta > 0 && delta < 1, "delta must be in (0, 1)")
        precondition(q > 0 && q <= 1, "sampling rate must be in (0, 1]")
        precondition(steps > 0, "steps must be positive")

        func epsilon(_ sigma: Double) -> Double {
            var accountant = RDPAccountant()
            accountant.compose(samplingRate: q, noiseMultiplier: sigma, steps: steps)
            return accountant.epsilon(delta: delta).epsilon
        }

        // ε falls as σ grows, and σ = 0 gives ε = ∞, so double until the target is met.
        var low = 0.0
        var high = 1.0
        while epsilon(high) > target {
            low = high
            high *= 2
            if high > 1e6 { return .infinity }
        }
        while high - low > 1e-6 * high {
            let middle = (low + high) / 2
            if epsilon(middle) <= target {
                high = middle
            } else {
                low = middle
            }
        }
        return high
    }
}
