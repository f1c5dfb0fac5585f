public import CairnPrimitives
public import CairnLedger

/// The step of a round, in the order a validator goes through them.
public enum RoundStep: UInt8, Sendable, Comparable, CustomStringConvertible {
    case propose = 1
    case prevote = 2
    case precommit = 3
    /// The height is decided; the node commits the block and starts the next height.
    case commit = 4

    public static func < (a: RoundStep, b: RoundStep) -> Bool { a.rawValue < b.rawValue }
    public var description: String { ["propose", "prevote", "precommit", "commit"][Int(rawValue) - 1] }
}

/// A timer of a round. When it fires, the driver hands it back as `ConsensusInput.timeout`.
public struct Timeout: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable, Hashable { case propose = 1, prevote = 2, precommit = 3 }
    public var kind: Kind
    public var height: UInt64
    public var round: UInt32

    public init(_ kind: Kind, height: UInt64, round: UInt32) {
        self.kind = kind
        self.height = height
        self.round = round
    }

    public var description: String { "\(kind) timeout of height \(height) round \(round)" }
}

/// How long each step waits: `init + round · delta` milliseconds, so rounds grow longer until messages arrive in time
/// (the paper's partial synchrony: after GST some round's timeouts exceed the message delay).
public struct TimeoutConfig: Sendable, Equatable {
    public var proposeInit: UInt64
    public var proposeDelta: UInt64
    public var prevoteInit: UInt64
    public var prevoteDelta: UInt64
    public var precommitInit: UInt64
    public var precommitDelta: UInt64

    public init(proposeInit: UInt64, proposeDelta: UInt64, prevoteInit: UInt64, prevoteDelta: UInt64, precommitInit: UInt64,
                precommitDelta: UInt64) {
        self.proposeInit = proposeInit
        self.proposeDelta = proposeDelta
        self.prevoteInit = prevoteInit
        self.prevoteDelta = prevoteDelta
        self.precommitInit = precommitInit
        self.precommitDelta = precommitDelta
    }

    /// 3 s + 0.5 s per round to propose (CometBFT's default), 0.5 s + 0.5 s per round for each vote step (CometBFT
    /// waits 1 s). The vote timers run only once more than two thirds voted without agreeing (a split after a partition,
    /// a missing proposer), so they bound how long a split round holds the chain; at 1 s the first commit after a
    /// partition healed came 2.24 s later, over the 2 s the network figures ask for. Safety does not depend on them.
    public static let standard = TimeoutConfig(proposeInit: 3000, proposeDelta: 500, prevoteInit: 500, prevoteDelta: 500,
                                               precommitInit: 500, precommitDelta: 500)

    /// Milliseconds the timer `kind` of `round` waits.
    public func milliseconds(_ kind: Timeout.Kind, round: UInt32) -> UInt64 {
        let r = UInt64(round)
        switch kind {
        case .propose: return proposeInit + r * proposeDelta
        case .prevote: return prevoteInit + r * prevoteDelta
        case .precommit: return precommitInit + r * precommitDelta
        }
    }
}

/// What the consensus state machine reacts to.
public enum ConsensusInput: Sendable, Equatable {
    /// Start deciding `height` with `validators` (their priorities as of round 0).
    case newHeight(UInt64, ValidatorSet)
    /// A signed proposal (from a peer, or this node's own once signed).
    case proposal(SignedBlockProposal)
    /// A signed prevote or precommit (from a peer, or this node's own once signed).
    case vote(SignedVote)
    /// A timer scheduled by `ConsensusEffect.scheduleTimeout` fired.
    case timeout(Timeout)
    /// The application built the block this node proposes in `round` (answer to `buildProposal`).
    case proposalBuilt(height: UInt64, round: UInt32, blockHash: Hash)
    /// The application's verdict on a proposed block (answer to `validateBlock`): deterministic, the same on every node.
    case blockValidated(height: UInt64, blockHash: Hash, valid: Bool)
}

/// What the state machine asks its driver to do. The driver performs effects in order.
public enum ConsensusEffect: Sendable, Equatable {
    /// Ask the application to build a block for this node to propose; answer with `proposalBuilt`.
    case buildProposal(height: UInt64, round: UInt32)
    /// Ask the application whether a proposed block is valid; answer with `blockValidated`.
    case validateBlock(height: UInt64, round: UInt32, blockHash: Hash)
    /// Sign the proposal (through the sign guard, after logging it), broadcast it and hand it back as an input.
    case signProposal(BlockProposal)
    /// Sign the vote (through the sign guard, after logging it), broadcast it and hand it back as an input.
    case signVote(Vote)
    /// Start a timer; when it fires hand `timeout` back.
    case scheduleTimeout(Timeout, milliseconds: UInt64)
    /// The height is decided: commit the block `certificate.blockHash` with this certificate, then start the next height.
    case decide(CommitCertificate)
    /// A validator signed two different votes for one step: keep the evidence and include it in a block.
    case evidence(DuplicateVoteEvidence)
    /// A message was refused (bad signature, not from a member, not the round's proposer...): the driver may penalize
    /// the peer that sent it.
    case refused(String)
}
