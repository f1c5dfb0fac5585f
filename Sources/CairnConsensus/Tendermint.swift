public import CairnPrimitives
public import CairnLedger

/// The Tendermint consensus algorithm of Buchman, Kwon and Milosevic ("The latest gossip on BFT consensus",
/// arXiv:1807.04938) as a pure state machine: it takes inputs and returns effects, and never touches a socket, a disk
/// or a clock. One value decides one height; `newHeight` starts the next.
///
/// The paper's variables are the stored properties; each of its `upon` rules is a method named after the rule's first
/// line in the paper's Algorithm 1 (`line22`, `line28`, ...). Quorums are voting power: "2f+1" is more than two thirds
/// of the set's power, "f+1" more than one third.
///
/// A node without a validator key (`me` nil) follows: it counts votes and decides, but signs nothing.
public struct Tendermint: Sendable {
    public let chainID: String
    /// This node's validator address; nil for a node that only follows.
    public let me: Address?
    public let timeouts: TimeoutConfig
    /// Votes further than this many rounds ahead of the current one are refused, which bounds what a byzantine
    /// validator can make a node store.
    public static let maxRoundsAhead: UInt32 = 1000

    public internal(set) var height: UInt64 = 0
    /// The validator set of the height, with its proposer priorities as of round 0.
    public internal(set) var validators: ValidatorSet?
    public internal(set) var round: UInt32 = 0
    public internal(set) var step: RoundStep = .commit
    public internal(set) var lockedValue: Hash?
    public internal(set) var lockedRound: UInt32?
    public internal(set) var validValue: Hash?
    public internal(set) var validRound: UInt32?
    /// The decided block of the height, once decided.
    public internal(set) var decision: CommitCertificate?
    public internal(set) var votes: VoteKeeper?
    /// The proposal of each round, from that round's proposer (the first one received).
    public internal(set) var proposals: [UInt32: SignedBlockProposal] = [:]
    /// Further, different proposals of a round from its (equivocating) proposer, at most `maxAlternatives` per round:
    /// the first one decides how this node prevotes, but the block the others decide may be one of these, and the
    /// node must be able to decide it too when its precommits arrive.
    public internal(set) var alternatives: [UInt32: [SignedBlockProposal]] = [:]
    public static let maxAlternatives = 4
    /// The application's verdict on each proposed block.
    public internal(set) var validity: [Hash: Bool] = [:]
    var validationAsked: Set<Hash> = []
    /// Rules that fire only "for the first time" in a round.
    var prevoteTimerSet: Set<UInt32> = []
    var precommitTimerSet: Set<UInt32> = []
    var line36Fired: Set<UInt32> = []

    public init(chainID: String, me: Address?, timeouts: TimeoutConfig) {
        self.chainID = chainID
        self.me = me
        self.timeouts = timeouts
    }

    /// Every proposal known for `round`: the first, then the alternatives.
    public func allProposals(in round: UInt32) -> [SignedBlockProposal] {
        (proposals[round].map { [$0] } ?? []) + (alternatives[round] ?? [])
    }

    /// The proposer of `round` at the current height.
    public func proposer(round: UInt32) -> Address? { validators?.proposer(round: round).address }

    /// Reacts to one input; returns what the driver must do, in order.
    public mutating func handle(_ input: ConsensusInput) -> [ConsensusEffect] {
        var effects: [ConsensusEffect] = []
        switch input {
        case let .newHeight(h, set):
            startHeight(h, validators: set, &effects)
        case let .proposal(p):
            receive(p, &effects)
        case let .vote(v):
            receive(v, &effects)
        case let .timeout(t):
            onTimeout(t, &effects)
        case let .proposalBuilt(h, r, hash):
            guard h == height, r == round, step == .propose, proposer(round: r) == me, me != nil, proposals[r] == nil else { break }
            validity[hash] = true
            effects.append(.signProposal(BlockProposal(height: h, round: r, blockHash: hash, polRound: nil, proposer: me!)))
        case let .blockValidated(h, hash, valid):
            guard h == height, validationAsked.contains(hash), validity[hash] == nil else { break }
            validity[hash] = valid
        }
        applyRules(&effects)
        return effects
    }

    // MARK: Heights and rounds

    mutating func startHeight(_ h: UInt64, validators set: ValidatorSet, _ effects: inout [ConsensusEffect]) {
        height = h
        validators = set
        votes = VoteKeeper(chainID: chainID, height: h, validators: set)
        lockedValue = nil
        lockedRound = nil
        validValue = nil
        validRound = nil
        decision = nil
        proposals = [:]
        alternatives = [:]
        validity = [:]
        validationAsked = []
        prevoteTimerSet = []
        precommitTimerSet = []
        line36Fired = []
        startRound(0, &effects)
    }

    /// StartRound (lines 11-21). The propose timer is set for the proposer too, so a proposer whose application fails to
    /// build a block moves on like everyone else.
    mutating func startRound(_ r: UInt32, _ effects: inout [ConsensusEffect]) {
        round = r
        step = .propose
        if let me, proposer(round: r) == me {
            if let validValue {
                effects.append(.signProposal(BlockProposal(height: height, round: r, blockHash: validValue, polRound: validRound, proposer: me)))
            } else {
                effects.append(.buildProposal(height: height, round: r))
            }
        }
        schedule(.propose, round: r, &effects)
    }

    func schedule(_ kind: Timeout.Kind, round r: UInt32, _ effects: inout [ConsensusEffect]) {
        effects.append(.scheduleTimeout(Timeout(kind, height: height, round: r), milliseconds: timeouts.milliseconds(kind, round: r)))
    }

    mutating func castVote(_ type: VoteType, _ value: Hash?, _ effects: inout [ConsensusEffect]) {
        guard let me, validators?.validator(me) != nil else { return }
        effects.append(.signVote(Vote(type: type, height: height, round: round, blockHash: value, validator: me)))
    }

    // MARK: Receiving

    mutating func receive(_ sp: SignedBlockProposal, _ effects: inout [ConsensusEffect]) {
        let p = sp.proposal
        guard p.height == height, votes != nil else { return }
        guard p.round <= round + Self.maxRoundsAhead else { return effects.append(.refused("a proposal for round \(p.round), too far ahead")) }
        guard let expected = validators?.proposer(round: p.round), expected.address == p.proposer else {
            return effects.append(.refused("a proposal for round \(p.round) by \(p.proposer), who is not its proposer"))
        }
        if let pol = p.polRound, pol >= p.round {
            return effects.append(.refused("a proposal whose proof-of-lock round \(pol) is not below its round \(p.round)"))
        }
        if let existing = proposals[p.round] {
            guard existing != sp, !(alternatives[p.round] ?? []).contains(sp) else { return }
            guard (alternatives[p.round] ?? []).count < Self.maxAlternatives, sp.isSigned(by: expected.key, chainID: chainID) else {
                return effects.append(.refused("a further proposal by \(p.proposer) for round \(p.round)"))
            }
            alternatives[p.round, default: []].append(sp)
            effects.append(.refused("a second, different proposal by \(p.proposer) for round \(p.round)"))
        } else {
            guard sp.isSigned(by: expected.key, chainID: chainID) else {
                return effects.append(.refused("a proposal whose signature does not verify"))
            }
            proposals[p.round] = sp
        }
        votes?.heard(p.proposer, in: p.round)
        if validity[p.blockHash] == nil, validationAsked.insert(p.blockHash).inserted {
            effects.append(.validateBlock(height: height, round: p.round, blockHash: p.blockHash))
        }
    }

    mutating func receive(_ v: SignedVote, _ effects: inout [ConsensusEffect]) {
        guard v.vote.height == height, votes != nil else { return }
        guard v.vote.round <= round + Self.maxRoundsAhead else { return effects.append(.refused("a vote for round \(v.vote.round), too far ahead")) }
        switch votes!.add(v) {
        case .counted, .duplicate: break
        case let .equivocation(evidence): effects.append(.evidence(evidence))
        case let .refused(reason): effects.append(.refused(reason))
        }
    }
}

extension Tendermint {
    /// What this node holds of the height being decided, for sending again while the height stalls (so a lost message
    /// never stalls it for good): the proposals and every counted vote of the current round and the one before, and of
    /// the rounds whose prevotes are a proof of lock (this node's lock and valid value, and those the current round's
    /// proposals name; without them a node locked in an early round can keep the others from deciding). In round order,
    /// votes by type, value and validator.
    public func heldMessages() -> (proposals: [SignedBlockProposal], votes: [SignedVote]) {
        guard decision == nil, let votes else { return ([], []) }
        var proofRounds = Set([lockedRound, validRound].compactMap { $0 })
        proofRounds.formUnion(allProposals(in: round).compactMap(\.proposal.polRound))
        let recent = { (r: UInt32) in (r + 1 >= round && r <= round) || proofRounds.contains(r) }
        let proposals = self.proposals.keys.sorted().filter(recent).flatMap { allProposals(in: $0) }
        var held: [SignedVote] = []
        for r in votes.rounds.keys.sorted() where recent(r) {
            for type in [VoteType.prevote, .precommit] {
                let byValue = votes.tally(type, round: r).byValue
                for value in byValue.keys.sorted(by: { ($0?.hex ?? "") < ($1?.hex ?? "") }) {
                    held += byValue[value]!.values.sorted { $0.vote.validator < $1.vote.validator }
                }
            }
        }
        return (proposals, held)
    }
}
