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

/// A scenario: the outside world the agents live in (demand, the token's outside price, providers' costs) and
/// which adversaries act.
public enum Scenario: String, Sendable, CaseIterable {
    case baseline
    case bear
    case costSpike = "cost-spike"
    case whale
    case governanceCapture = "governance-capture"
    case royaltyZipf = "royalty-zipf"

    /// Parses a scenario name; the error lists the known ones.
    public init(name: String) throws(SimError) {
        guard let s = Scenario(rawValue: name) else {
            throw SimError("unknown scenario \"\(name)\"; known: \(Scenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = s
    }

    /// One line on what the scenario does.
    public var summary: String {
        switch self {
        case .baseline: "growth: demand grows 60% in the first year, slowing logistically; the outside price drifts up with it"
        case .bear: "baseline, then from year 1 to 1.5 demand falls 70% and the outside price 80%; both stay down to year 3 and recover partly by year 4"
        case .costSpike: "baseline, then providers' energy costs triple and hardware costs rise 50% from year 1 to 2.5"
        case .whale: "baseline with a whale that buys through the pool every day from day 90 to day 455 and bonds all it buys"
        case .governanceCapture: "a coalition buys stake through the pool and proposes to pay itself the treasury, under one-token-one-vote, a 10% vote cap and quadratic weighting"
        case .royaltyZipf: "baseline over 20 registered models with Zipf (s = 1.1) demand and royalties of 2% to 20%"
        }
    }

    /// The bear market's depth at `years`: 0 before and after, 1 at the bottom.
    static func bearDepth(_ years: Double) -> Double {
        switch years {
        case ..<1: 0
        case ..<1.5: (years - 1) / 0.5
        case ..<3: 1
        case ..<4: 1 - 0.7 * (years - 3)
        default: 0.3
        }
    }

    /// Demand relative to day 0, before growth parameters other than the shape.
    func demandFactor(years: Double, growth: Double) -> Double {
        // Logistic growth towards 6x with a first-year rate of `growth`.
        let cap = 6.0
        let r = log(1 + growth)
        let base = cap / (1 + (cap - 1) * exp(-r * years * cap / (cap - 1)))
        switch self {
        case .bear: return base * (1 - 0.7 * Scenario.bearDepth(years))
        default: return base
        }
    }

    /// The outside market's price of CAIRN in USD at `years` (the arbitrageur pulls the pool towards it).
    func outsidePrice(years: Double, start: Double) -> Double {
        let drift = start * (1 + 0.25 * years)
        switch self {
        case .bear: return drift * (1 - 0.8 * Scenario.bearDepth(years))
        default: return drift
        }
    }

    /// Providers' (hardware, energy) cost factors at `years`.
    func costFactors(years: Double) -> (hardware: Double, energy: Double) {
        guard self == .costSpike else { return (1, 1) }
        switch years {
        case ..<1: return (1, 1)
        case ..<2.5: return (1.5, 3)
        default: return (1.15, 1.6)
        }
    }

    /// The governance variants the scenario runs (one run each); nil for the others.
    var governanceVariants: [GovVariant]? {
        self == .governanceCapture ? GovVariant.allCases : nil
    }
}

/// A voting rule the governance-capture scenario tries.
public enum GovVariant: String, Sendable, CaseIterable {
    case oneTokenOneVote = "1t1v"
    case voteCap = "cap"
    case quadratic = "quadratic"
}
