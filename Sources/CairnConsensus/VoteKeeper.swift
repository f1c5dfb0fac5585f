public import CairnPrimitives
public import CairnLedger

/// The votes of one height, by round, with their tallies in voting power.
///
/// It keeps each validator's votes per round and type; a second, different one is an equivocation, reported as evidence
/// and counted for its own value (each validator once per value, and once in the total). Signatures are checked here,
/// against the height's validator set.
public struct VoteKeeper: Sendable {
    /// The votes of one type in one round.
    public struct Tally: Sendable {
        /// Each validator's vote, as first received.
        public private(set) var votes: [Address: SignedVote] = [:]
        /// The votes for each value (nil: no block). An equivocating validator's votes for different values each count
        /// for their own value, as the paper counts messages (a correct node that receives both must, or a node locked
        /// on a value that a byzantine vote helped to its quorum could keep the others from ever seeing that quorum).
        public private(set) var byValue: [Hash?: [Address: SignedVote]] = [:]
        /// Power behind each value.
        public private(set) var power: [Hash?: UInt64] = [:]
        /// Power of every validator that voted, whatever for, each once.
        public private(set) var total: UInt64 = 0

        mutating func add(_ v: SignedVote, power p: UInt64) {
            if votes[v.vote.validator] == nil {
                votes[v.vote.validator] = v
                total += p
            }
            byValue[v.vote.blockHash, default: [:]][v.vote.validator] = v
            power[v.vote.blockHash, default: 0] += p
        }

        /// How many values `validator` voted for.
        func values(of validator: Address) -> Int { byValue.values.filter { $0[validator] != nil }.count }

        /// The power voting for `value`.
        public func power(for value: Hash?) -> UInt64 { power[value] ?? 0 }
    }

    /// The votes of one round.
    public struct RoundVotes: Sendable {
        public var prevotes = Tally()
        public var precommits = Tally()
        /// Validators heard from in this round (any vote, or the proposal), for the f+1 round skip.
        public private(set) var senders: Set<Address> = []
        public private(set) var senderPower: UInt64 = 0

        mutating func heard(_ a: Address, power: UInt64) {
            if senders.insert(a).inserted { senderPower += power }
        }

        subscript(type: VoteType) -> Tally {
            get { type == .prevote ? prevotes : precommits }
            set { if type == .prevote { prevotes = newValue } else { precommits = newValue } }
        }
    }

    /// What adding a vote did.
    public enum Added: Sendable, Equatable {
        case counted
        /// The same vote again: nothing changes.
        case duplicate
        /// A second, different vote for the same step.
        case equivocation(DuplicateVoteEvidence)
        case refused(String)
    }

    /// Different values one validator's votes of one type and round may count for (an equivocator's extra votes past
    /// this are refused, which bounds what one can make a node store).
    public static let maxValuesPerValidator = 4
    public let chainID: String
    public let height: UInt64
    public let validators: ValidatorSet
    public private(set) var rounds: [UInt32: RoundVotes] = [:]

    public init(chainID: String, height: UInt64, validators: ValidatorSet) {
        self.chainID = chainID
        self.height = height
        self.validators = validators
    }

    /// Checks and counts `v`.
    public mutating func add(_ v: SignedVote) -> Added {
        let vote = v.vote
        guard vote.height == height else { return .refused("a vote for height \(vote.height) while deciding \(height)") }
        guard let member = validators.validator(vote.validator) else {
            return .refused("a vote by \(vote.validator), who is not in the validator set of height \(height)")
        }
        if let existing = rounds[vote.round]?[vote.type].votes[vote.validator] {
            let tally = rounds[vote.round]![vote.type]
            if let same = tally.byValue[vote.blockHash]?[vote.validator] {
                return same == v ? .duplicate : .refused("a second signature by \(vote.validator) on the same vote")
            }
            guard tally.values(of: vote.validator) < Self.maxValuesPerValidator else {
                return .refused("more conflicting votes by \(vote.validator) in round \(vote.round)")
            }
            guard v.isSigned(by: member.key, chainID: chainID) else { return .refused("a vote whose signature does not verify") }
            guard let evidence = DuplicateVoteEvidence(existing, v) else { return .refused("an unusable conflicting vote") }
            rounds[vote.round, default: RoundVotes()][vote.type].add(v, power: member.power)
            return .equivocation(evidence)
        }
        guard v.isSigned(by: member.key, chainID: chainID) else { return .refused("a vote whose signature does not verify") }
        rounds[vote.round, default: RoundVotes()][vote.type].add(v, power: member.power)
        rounds[vote.round]!.heard(vote.validator, power: member.power)
        return .counted
    }

    /// Notes that the proposer of `round` was heard from (its proposal counts toward the f+1 round skip).
    public mutating func heard(_ address: Address, in round: UInt32) {
        guard let member = validators.validator(address) else { return }
        rounds[round, default: RoundVotes()].heard(address, power: member.power)
    }

    public func tally(_ type: VoteType, round: UInt32) -> Tally { rounds[round]?[type] ?? Tally() }

    /// Whether more than two thirds of the power voted `type` for `value` in `round`.
    public func hasQuorum(_ type: VoteType, round: UInt32, for value: Hash?) -> Bool {
        validators.isQuorum(tally(type, round: round).power(for: value))
    }

    /// Whether more than two thirds of the power voted `type` in `round`, for anything.
    public func hasQuorumOfAny(_ type: VoteType, round: UInt32) -> Bool {
        validators.isQuorum(tally(type, round: round).total)
    }

    /// The precommits for `value` in `round`, in address order.
    public func precommits(round: UInt32, for value: Hash) -> [SignedVote] {
        (tally(.precommit, round: round).byValue[value] ?? [:]).values.sorted { $0.vote.validator < $1.vote.validator }
    }

    /// The highest round above `round` from which validators with more than a third of the power were heard.
    public func skipTarget(above round: UInt32) -> UInt32? {
        rounds.filter { $0.key > round && validators.exceedsOneThird($0.value.senderPower) }.keys.max()
    }
}
