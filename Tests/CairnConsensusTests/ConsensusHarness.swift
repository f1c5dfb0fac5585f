import CairnPrimitives
import CairnLedger
import CairnConsensus

/// A validator set of deterministic keys and one state machine under test, with helpers that sign what the others
/// would send.
struct ConsensusHarness {
    static let chainID = "consensus-test"
    let keys: [PrivateKey]
    let set: ValidatorSet
    var machine: Tendermint
    let height: UInt64 = 1

    /// `powers` per validator; the machine runs as the validator `me` picks from the set (nil: a follower).
    init(powers: [UInt64] = [1, 1, 1, 1], me pick: (ValidatorSet) -> Address? = { $0.proposer(round: 0).address }) {
        keys = powers.indices.map { PrivateKey.deterministic("consensus-validator-\($0)") }
        set = try! ValidatorSet(zip(keys, powers).map { (key: $0.publicKey, power: $1) })
        machine = Tendermint(chainID: Self.chainID, me: pick(set), timeouts: .standard)
    }

    var me: Address { machine.me! }

    func key(of address: Address) -> PrivateKey { keys.first { $0.publicKey.address == address }! }

    /// The validators other than the machine's, in set order.
    var others: [Address] { self.set.validators.map { $0.address }.filter { $0 != machine.me } }

    mutating func start() -> [ConsensusEffect] { machine.handle(.newHeight(height, set)) }

    /// The proposal of `round` for `block`, signed by that round's proposer.
    func proposal(round: UInt32, block: Hash, polRound: UInt32? = nil) -> SignedBlockProposal {
        let proposer = set.proposer(round: round).address
        return BlockProposal(height: height, round: round, blockHash: block, polRound: polRound, proposer: proposer)
            .signed(by: key(of: proposer), chainID: Self.chainID)
    }

    func vote(_ type: VoteType, by validator: Address, round: UInt32, for block: Hash?) -> SignedVote {
        Vote(type: type, height: height, round: round, blockHash: block, validator: validator).signed(by: key(of: validator), chainID: Self.chainID)
    }

    /// Delivers `type` votes for `block` from each of `validators`; returns every effect.
    mutating func deliver(_ type: VoteType, from validators: [Address], round: UInt32, for block: Hash?) -> [ConsensusEffect] {
        validators.flatMap { machine.handle(.vote(vote(type, by: $0, round: round, for: block))) }
    }

    /// Delivers a proposal and answers its validation with `valid`.
    mutating func deliver(_ p: SignedBlockProposal, valid: Bool = true) -> [ConsensusEffect] {
        var effects = machine.handle(.proposal(p))
        if effects.contains(.validateBlock(height: height, round: p.proposal.round, blockHash: p.proposal.blockHash)) {
            effects += machine.handle(.blockValidated(height: height, blockHash: p.proposal.blockHash, valid: valid))
        }
        return effects
    }

    /// Plays the machine's own signed messages back to it, as the driver does after signing.
    mutating func echo(_ effects: [ConsensusEffect]) -> [ConsensusEffect] {
        var out: [ConsensusEffect] = []
        for e in effects {
            switch e {
            case let .signVote(v): out += machine.handle(.vote(v.signed(by: key(of: v.validator), chainID: Self.chainID)))
            case let .signProposal(p): out += machine.handle(.proposal(p.signed(by: key(of: p.proposer), chainID: Self.chainID)))
            default: break
            }
        }
        return out
    }

    static let blockA = Hash.sha256(Array("block A".utf8))
    static let blockB = Hash.sha256(Array("block B".utf8))
}

extension [ConsensusEffect] {
    /// The votes the machine asked to sign.
    var votes: [Vote] { compactMap { if case let .signVote(v) = $0 { v } else { nil } } }
    var proposals: [BlockProposal] { compactMap { if case let .signProposal(p) = $0 { p } else { nil } } }
    var timeouts: [Timeout] { compactMap { if case let .scheduleTimeout(t, _) = $0 { t } else { nil } } }
    var decisions: [CommitCertificate] { compactMap { if case let .decide(c) = $0 { c } else { nil } } }
}
