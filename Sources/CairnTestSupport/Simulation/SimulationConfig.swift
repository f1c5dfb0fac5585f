public import CairnPrimitives
import Foundation

/// What a simulated network runs and which faults it suffers.
public struct SimulationConfig: Sendable {
    /// The faults the simulator can inject; `all` is every one.
    public enum Fault: String, Sendable, CaseIterable {
        /// Messages lost while the fault window lasts.
        case drops
        /// Messages delivered twice.
        case duplicates
        /// The nodes split in two groups that cannot reach each other, then heal.
        case partitions
        /// Honest nodes crash (sometimes between logging a vote and sending it) and restart from their log.
        case crashes
        /// Nodes' clocks differ (block times come from the proposer's clock).
        case clocks
        /// Byzantine validators equivocate: conflicting proposals and votes to different honest nodes.
        case equivocation
        /// Byzantine validators withhold their votes.
        case withhold
        /// Byzantine validators vote for any proposal, forgetting their locks.
        case amnesia
    }

    public var validators: Int
    /// How many validators are byzantine (the lowest-powered ones).
    public var byzantine: Int
    /// Each validator's voting power (all 1 when nil).
    public var powers: [UInt64]?
    /// Heights every honest node must decide.
    public var heights: UInt64
    public var faults: Set<Fault>
    public var seed: UInt64
    /// Simulated milliseconds during which faults are injected; after it they heal and liveness is checked.
    public var faultWindow: UInt64 = 4_000
    /// Heights a run may go on past `heights` until the evidence of every equivocation an honest node saw is committed.
    public var evidenceHeights: UInt64 = 10
    /// The run stops (and fails liveness) after this many simulated milliseconds.
    public var timeLimit: UInt64 = 120_000

    public init(validators: Int, byzantine: Int, powers: [UInt64]? = nil, heights: UInt64, faults: Set<Fault>, seed: UInt64) {
        self.validators = validators
        self.byzantine = byzantine
        self.powers = powers
        self.heights = heights
        self.faults = faults
        self.seed = seed
    }

    /// Parses a comma-separated fault list (`all` for every fault, `none` for none).
    public static func faults(_ list: String) throws -> Set<Fault> {
        var out: Set<Fault> = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if name == "all" { out.formUnion(Fault.allCases); continue }
            if name == "none" { continue }
            guard let f = Fault(rawValue: name) else {
                throw SimulationError("unknown fault '\(name)'; known: all, none, \(Fault.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            out.insert(f)
        }
        return out
    }
}

/// A simulation that cannot run as configured.
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Two honest nodes decided different blocks at one height.
public struct SimulatedFork: Sendable {
    public let height: UInt64
    public let blocks: [Hash]
    /// The validators whose precommits are in the certificates of both blocks: they signed both sides.
    public let culprits: [Address]
}

/// What one seeded run found.
public struct SimulationResult: Sendable {
    public let seed: UInt64
    /// Heights decided by every honest node.
    public let heights: UInt64
    /// The round each height was decided in.
    public let rounds: [UInt32]
    public let forks: [SimulatedFork]
    /// Times an honest node signed two different messages for one height, round and step.
    public let doubleSigns: Int
    /// Conflicting votes the byzantine validators sent.
    public let equivocationsInjected: Int
    /// Byzantine validators whose equivocation reached an honest node.
    public let equivocatorsSeen: Set<Address>
    /// Validators punished by evidence committed in a block.
    public let evidenceCommitted: Set<Address>
    /// Invalid decisions and other broken properties.
    public let violations: [String]
    /// Whether every honest node decided every height before the time limit.
    public let live: Bool
    /// The last events before the first fork (empty without one).
    public let trace: [String]
    public let steps: Int
}
