public import CairnPrimitives
public import CairnLedger

/// Where a node's consensus stands, as `GET /v1/consensus_state` shows it.
public struct ConsensusStateSnapshot: Sendable, Equatable {
    /// The first proposal of the current round.
    public struct Proposal: Sendable, Equatable {
        public var blockHash: Hash
        public var round: UInt32
        /// The round whose prevotes justify re-proposing a locked block (nil for a fresh block).
        public var polRound: UInt32?
        public var proposer: Address
    }

    /// The votes of one type in the current round.
    public struct Tally: Sendable, Equatable {
        /// Voting power behind each block hash; the key nil is the power that voted for no block.
        public var powerByBlock: [Hash?: UInt64]
        /// Power of every validator that voted, whatever for.
        public var total: UInt64
    }

    /// The height being decided.
    public var height: UInt64
    public var round: UInt32
    public var step: RoundStep
    /// The validator whose turn it is to propose in `round`.
    public var proposer: Address?
    public var proposal: Proposal?
    public var prevotes: Tally
    public var precommits: Tally
    /// The voting power of the height's validator set.
    public var totalPower: UInt64
    public var lockedRound: UInt32?
    public var validRound: UInt32?
    /// Whether the height is decided (the node is committing its block or waiting to start the next height).
    public var decided: Bool
}

extension ConsensusDriver {
    /// Where the state machine stands: height, round, step, the round's proposal and its vote tallies; nil before
    /// ``run()`` has started the first height.
    public func stateSnapshot() -> ConsensusStateSnapshot? {
        guard let validators = core.validators, let votes = core.votes else { return nil }
        func tally(_ type: VoteType) -> ConsensusStateSnapshot.Tally {
            let t = votes.tally(type, round: core.round)
            return .init(powerByBlock: t.power, total: t.total)
        }
        let proposal = core.proposals[core.round].map {
            ConsensusStateSnapshot.Proposal(blockHash: $0.proposal.blockHash, round: $0.proposal.round, polRound: $0.proposal.polRound,
                                            proposer: $0.proposal.proposer)
        }
        return ConsensusStateSnapshot(height: core.height, round: core.round, step: core.step, proposer: core.proposer(round: core.round),
                                      proposal: proposal, prevotes: tally(.prevote), precommits: tally(.precommit),
                                      totalPower: validators.totalPower, lockedRound: core.lockedRound, validRound: core.validRound,
                                      decided: core.decision != nil)
    }

    /// Time spent per step and the rounds of the heights decided so far.
    public var timings: ConsensusTimings { stepTimings }

    /// Reports where the state machine stands to ``ConsensusTimings``; called after each change the driver makes.
    func noteProgress(at now: ContinuousClock.Instant = .now) {
        stepTimings.observe(height: core.height, round: core.round, step: core.step, decidedRound: core.decision?.round, at: now)
    }
}
