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

/// A parameter of the simulation that `--sweep` may vary: the ledger's own parameters at genesis and the agents'
/// economics.
public struct SimParameter: Sendable {
    public let name: String
    public let defaultValue: Double
    public let range: ClosedRange<Double>
    public let help: String
}

/// The values of every parameter in one run.
public struct SimParameters: Sendable, Equatable {
    /// Every parameter, in the order the summary lists them.
    public static let catalog: [SimParameter] = [
        .init(name: "protocolFeeBps", defaultValue: 500, range: 0...10_000, help: "market: protocol fee on each claim"),
        .init(name: "feeBurnBps", defaultValue: 5_000, range: 0...10_000, help: "market: share of the protocol fee burned"),
        .init(name: "inflationInitialBps", defaultValue: 800, range: 0...10_000, help: "staking: inflation in year 0"),
        .init(name: "inflationDecayBps", defaultValue: 1_500, range: 0...10_000, help: "staking: yearly decay of the rate"),
        .init(name: "inflationFloorBps", defaultValue: 200, range: 0...10_000, help: "staking: floor of the rate"),
        .init(name: "communityTaxBps", defaultValue: 200, range: 0...10_000, help: "staking: share of emission and tips to the treasury"),
        .init(name: "treasuryBuybackBps", defaultValue: 0, range: 0...10_000, help: "exchange: share of treasury income burned by buyback"),
        .init(name: "swapFeeBps", defaultValue: 30, range: 0...1_000, help: "exchange: swap fee"),
        .init(name: "voterCapBps", defaultValue: 0, range: 0...10_000, help: "gov: vote cap (0: off)"),
        .init(name: "quadraticVoting", defaultValue: 0, range: 0...1, help: "gov: quadratic weighting (1: on)"),
        .init(name: "blockGasLimit", defaultValue: 60_000_000, range: 1_000_000...1_000_000_000, help: "ledger: gas per block"),
        .init(name: "minProviderStake", defaultValue: 1_000, range: 1...10_000_000, help: "market: least provider stake, CAIRN"),
        .init(name: "providers", defaultValue: 12, range: 1...40, help: "providers at genesis (at most 40; 60 identities in all)"),
        .init(name: "providerMarkup", defaultValue: 0.25, range: -0.5...5, help: "providers' starting markup over unit cost"),
        .init(name: "costMultiplier", defaultValue: 1, range: 0.1...10, help: "providers' costs (hardware and energy) times this"),
        .init(name: "demandGrowth", defaultValue: 0.6, range: -0.9...5, help: "demand growth in the first year (logistic after)"),
        .init(name: "clientWTP", defaultValue: 0.8, range: 0.01...100, help: "clients' median willingness to pay, USD per million tokens"),
        .init(name: "treasuryGenesisShare", defaultValue: 0.10, range: 0...0.5, help: "share of the genesis supply in the treasury"),
        .init(name: "coalitionAddresses", defaultValue: 10, range: 1...50, help: "addresses the governance coalition splits its stake over"),
        .init(name: "coalitionGenesisShare", defaultValue: 0, range: 0...0.8,
              help: "share of the supply the coalition holds at genesis (minted on top of the 100M), before it buys more"),
    ]

    public private(set) var values: [String: Double]

    /// The defaults.
    public init() {
        values = Dictionary(uniqueKeysWithValues: Self.catalog.map { ($0.name, $0.defaultValue) })
    }

    public subscript(_ name: String) -> Double {
        guard let v = values[name] else { preconditionFailure("unknown simulation parameter \(name)") }
        return v
    }

    /// Sets `name` to `value` after checking both.
    public mutating func set(_ name: String, _ value: Double) throws(SimError) {
        guard let p = Self.catalog.first(where: { $0.name == name }) else {
            throw SimError("unknown parameter \(name); known: \(Self.catalog.map(\.name).joined(separator: ", "))")
        }
        guard value.isFinite, p.range.contains(value) else {
            throw SimError("\(name)=\(value) is outside \(p.range.lowerBound)...\(p.range.upperBound)")
        }
        values[name] = value
    }

    /// The parameters that differ from the defaults, `name=value` joined by commas in catalog order.
    public var label: String {
        Self.catalog.compactMap { p in values[p.name] == p.defaultValue ? nil : "\(p.name)=\(SimFormat.number(values[p.name]!))" }
            .joined(separator: ",")
    }
}

/// A sweep: one parameter and the values it takes (`PARAM=V1,V2,...`).
public struct SimSweep: Sendable, Equatable {
    public let parameter: String
    public let values: [Double]

    /// Parses `PARAM=V1,V2,...`; every value is checked against the parameter's range.
    public init(parsing text: String) throws(SimError) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw SimError("--sweep takes PARAM=V1,V2,... (got \"\(text)\")")
        }
        let name = String(parts[0])
        var values: [Double] = []
        for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Double(item.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw SimError("--sweep \(name): \"\(item)\" is not a number")
            }
            values.append(v)
        }
        guard values.count <= 100 else { throw SimError("--sweep takes at most 100 values") }
        var check = SimParameters()
        for v in values { try check.set(name, v) }
        parameter = name
        self.values = values
    }
}

/// A simulator failure with a message for the command line.
public struct SimError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
