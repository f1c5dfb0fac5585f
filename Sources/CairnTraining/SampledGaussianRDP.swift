import Foundation

/// Rényi DP of one step of the Poisson-sampled Gaussian mechanism.
///
/// A port of `_compute_rdp_poisson_subsampled_gaussian` from Google's
/// dp-accounting (the same code as TF Privacy's `compute_rdp` and Opacus's
/// `_compute_rdp`), after Mironov, Talwar and Zhang 2019, "Rényi Differential
/// Privacy of the Sampled Gaussian Mechanism" (arXiv:1908.10530). RDP at order
/// α is log(A_α) / (α − 1); everything is computed in log space because A_α
/// overflows a Double for large orders or small noise.
enum SampledGaussianRDP {
    /// Cap on the series for fractional orders; past it the reference gives up
    /// and reports +∞ (dropping that order), and so must we to agree with it.
    static let maximumFractionalTerms = 1000

    /// RDP at `order` of one step with sampling rate `q` and noise multiplier `sigma`.
    static func rdp(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if alpha.isInfinite || sigma == 0 { return .infinity }
        // Without subsampling this is the plain Gaussian mechanism.
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha.rounded() == alpha
            ? logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
            : logAFractional(q: q, sigma: sigma, alpha: alpha)
        return logA / (alpha - 1)
    }

    /// log A_α for integer α by the exact binomial expansion
    /// A_α = Σ_i C(α, i) q^i (1−q)^(α−i) exp((i² − i) / (2σ²)).
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let logQ = log(q)
        let log1mq = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        var logBinomial = 0.0  // log C(α, 0)
        for i in 0...alpha {
            let k = Double(i)
            if i > 0 { logBinomial += nextLogBinomialStep(n: Double(alpha), k: k) }
            let logCoefficient = logBinomial + k * logQ + (Double(alpha) - k) * log1mq
            logA = logAdd(logA, logCoefficient + (k * k - k) / twoSigmaSquared)
        }
        return logA
    }

    /// log A_α for fractional α: the two series of Section 3.3 of Mironov et al.,
    /// split at z0 where the mixture and the base density cross.
    ///
    /// Returns +∞ when the series has not settled after `maximumFractionalTerms`
    /// terms, as the reference does; an infinite order never wins the minimum.
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity
        var logA1 = -Double.infinity
        let sigmaSquared = sigma * sigma
        let z0 = sigmaSquared * log(1 / q - 1) + 0.5
        let logQ = log(q)
        let log1mq = log1p(-q)
        let logHalf = log(0.5)
        let erfcScale = 2.0.squareRoot() * sigma
        var lastS0 = -Double.infinity
        var lastS1 = -Double.infinity
        var logCoefficient = 0.0  // log |C(α, 0)|

        for step in 0..<maximumFractionalTerms {
            let i = Double(step)
            let j = alpha - i
            if step > 0 { logCoefficient += nextLogBinomialStep(n: alpha, k: i) }

            let logT0 = logCoefficient + i * logQ + j * log1mq
            let logT1 = logCoefficient + j * logQ + i * log1mq
            let logE0 = logHalf + logErfc((i - z0) / erfcScale)
            let logE1 = logHalf + logErfc((z0 - j) / erfcScale)
            let logS0 = logT0 + (i * i - i) / (2 * sigmaSquared) + logE0
            let logS1 = logT1 + (j * j - j) / (2 * sigmaSquared) + logE1

            logA0 = logAdd(logA0, logS0)
            logA1 = logAdd(logA1, logS1)
            let total = logAdd(logA0, logA1)

            // Stop once both series are decreasing and their terms are below
            // e^-30 of the running total: the same rule as the reference, so
            // the two agree on where each sum is cut.
            if logS0 < lastS0, logS1 < lastS1, max(logS0, logS1) < total - 30 {
                return total
            }
            lastS0 = logS0
            lastS1 = logS1
        }
        return .infinity
    }

    /// log(e^x + e^y) without overflow.
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let (low, high) = x < y ? (x, y) : (y, x)
        if low == -.infinity { return high }
        return log1p(exp(low - high)) + high
    }

    /// log |C(n, k) / C(n, k − 1)| = log |n − k + 1| − log k.
    ///
    /// Summing these steps gives log |C(n, k)| (to within about 1e-13 of the
    /// reference's log-gamma form) without `lgamma`, which writes the global
    /// `signgam` and so races when accountants run on several threads. For
    /// fractional n and k > n + 1 the coefficient alternates in sign; the
    /// series of Mironov et al. uses its magnitude, as the reference does.
    static func nextLogBinomialStep(n: Double, k: Double) -> Double {
        log(abs(n - k + 1)) - log(k)
    }

    /// log(erfc(x)), accurate where erfc(x) itself underflows.
    ///
    /// `erfc` is accurate to a few ulps in relative terms while its result is a
    /// normal Double, so its log is used up to x = 20 (erfc(20) ≈ 5e-176).
    /// Beyond that the asymptotic expansion
    /// erfc(x) = e^(−x²) / (x√π) · Σ_n (−1)^n (2n−1)!! / (2x²)^n
    /// has relative error below 1e-16 after eight terms.
    static func logErfc(_ x: Double) -> Double {
        if x < 20 { return log(erfc(x)) }
        let inverseTwoXSquared = 1 / (2 * x * x)
        var term = 1.0
        var sum = 1.0
        for n in 1...8 {
            term *= -Double(2 * n - 1) * inverseTwoXSquared
            sum += term
        }
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(sum)
    }
}
