package import CairnLedger
package import CairnStaking
import CairnPrimitives
import CairnBank
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp
import Foundation

/// The checks a run makes, each counted over every block it covers, with the first failures kept.
public struct SimChecks: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Σ balances + burned = minted per denomination (every block, and a full recount daily).
        case conservation
        /// The base fee each block charged follows the EIP-1559 rule from the one before; receipts burn base fee × gas.
        case baseFee = "base_fee"
        /// Each block's emission equals circulating × rate(year) / blocksPerYear, rounded down.
        case emission
    }

    public struct Result: Sendable, Equatable, Codable {
        public var checked: Int = 0
        public var failed: Int = 0
        public var firstFailures: [String] = []
        public var ok: Bool { failed == 0 && checked > 0 }
    }

    public private(set) var results: [Kind: Result] = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0, Result()) })

    mutating func record(_ kind: Kind, ok: Bool, height: UInt64, _ message: @autoclosure () -> String) {
        results[kind, default: Result()].checked += 1
        if !ok {
            results[kind, default: Result()].failed += 1
            if results[kind]!.firstFailures.count < 5 { results[kind]!.firstFailures.append("height \(height): \(message())") }
        }
    }

    /// Adds `other`'s counts to these.
    mutating func merge(_ other: SimChecks) {
        for (k, r) in other.results {
            results[k, default: Result()].checked += r.checked
            results[k, default: Result()].failed += r.failed
            results[k, default: Result()].firstFailures += r.firstFailures.prefix(max(0, 5 - results[k]!.firstFailures.count))
        }
    }

    public var allOK: Bool { Kind.allCases.allSatisfy { results[$0]?.ok == true } }
}

/// The rules the checks compare the ledger with, written out here from their specifications (the ledger's README
/// and the staking README), not called from the modules they check.
package enum SimClosedForm {
    /// EIP-1559: the next base fee from this block's base fee and gas used, against a target of half the gas limit, moving
    /// by at most 1/denominator, at least 1 up when above target, never below the minimum.
    package static func nextBaseFee(current b: UInt128, gasUsed: UInt64, params: ChainParams) -> UInt128 {
        let target = UInt128(max(params.blockGasLimit / 2, 1))
        let g = UInt128(gasUsed)
        let d = UInt128(params.baseFeeChangeDenominator)
        let next: UInt128
        if g > target {
            next = b + max(b * (g - target) / target / d, 1)
        } else {
            next = b - b * (target - g) / target / d
        }
        return max(next, params.minBaseFee.value)
    }

    /// The yearly rate in units of 10^-8: initial × (1 − decay)^year, each year's step rounded down, floored.
    package static func rate(year: UInt64, params: StakingParams) -> UInt128 {
        let floor = UInt128(params.inflationFloorBps) * 10_000
        var rate = UInt128(params.inflationInitialBps) * 10_000
        // Bounded: the rate reaches the floor (or zero) within a few hundred steps for any decay above zero.
        var y: UInt64 = 0
        while y < year, rate > floor, y < 10_000 {
            rate = rate * UInt128(10_000 - params.inflationDecayBps) / 10_000
            y += 1
        }
        return max(rate, floor)
    }

    /// The emission of block `height`: ⌊circulating × rate / (10^8 × blocksPerYear)⌋.
    package static func blockEmission(height: UInt64, circulating: UInt128, params: StakingParams) -> UInt128 {
        let r = rate(year: height / params.blocksPerYear, params: params)
        let product = circulating.multipliedFullWidth(by: r)
        return (UInt128(100_000_000) * UInt128(params.blocksPerYear)).dividingFullWidth(product).quotient
    }
}
