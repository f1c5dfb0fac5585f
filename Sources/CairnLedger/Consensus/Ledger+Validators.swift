public import CairnPrimitives

/// What the ledger needs from staking to keep the validator set and punish equivocation (staking implements it; the
/// composition root wires it in).
public protocol ConsensusStake: Sendable {
    /// The validators as staking ranks them now: at most its `maxValidators`, by bonded power, none jailed or unbonded,
    /// each with power above zero.
    func validatorPowers(state: any StateReader) throws -> [(key: PublicKey, power: UInt64)]
    /// How many blocks back evidence may reach.
    func maxEvidenceAge(state: any StateReader) throws -> UInt64
    /// Slashes, jails and tombstones `validator` for signing two votes for one step at `height`.
    func punishDoubleSign(_ validator: Address, height: UInt64, context: ExecutionContext) throws(LedgerError)
}

/// Who signed the commit of the block before this one: staking judges downtime from it.
public struct LastCommitInfo: Sendable {
    /// The validator set that decided the previous block.
    public let validators: ValidatorSet
    /// The validators whose precommits the block carries.
    public let signers: Set<Address>

    public init(validators: ValidatorSet, signers: Set<Address>) {
        self.validators = validators
        self.signers = signers
    }
}

/// The validator sets the state holds after a block: the one that decided it, the one that decides the next block and
/// the one after (as CometBFT does, a change staking makes at the end of block H is in force from H+2).
public struct ValidatorSets: Sendable, Equatable {
    /// The set that decided the latest block (nil after genesis).
    public var last: ValidatorSet?
    /// The set that decides the next block, its priorities as of round 0.
    public var current: ValidatorSet
    /// The set that decides the block after the next.
    public var next: ValidatorSet
}

extension Ledger {
    static let validatorsLastKey = StateKey.make("ledger", "validators/last")
    static let validatorsCurrentKey = StateKey.make("ledger", "validators/current")
    static let validatorsNextKey = StateKey.make("ledger", "validators/next")
    /// `ledger/valsets/<height>`: the set in force from that height, written when it changes (for evidence).
    static let validatorHistoryPrefix = StateKey.make("ledger", "valsets/")
    static let evidencePrefix = StateKey.make("ledger", "evidence/")

    /// The validator sets in force after the latest block.
    public func validatorSets(state: any StateReader) throws -> ValidatorSets {
        func read(_ key: [UInt8]) throws -> ValidatorSet? { try state.get(key).map { try ValidatorSet(canonicalBytes: $0) } }
        guard let current = try read(Ledger.validatorsCurrentKey), let next = try read(Ledger.validatorsNextKey) else {
            throw InvalidBlock(message: "the state holds no validator set: genesis is missing")
        }
        return ValidatorSets(last: try read(Ledger.validatorsLastKey), current: current, next: next)
    }

    /// Checks the certificate block `height` carries for the block before it, `previousHash`: none in block 1; else more
    /// than two thirds of the set that decided that block (`sets.last`). Returns who signed it.
    public func lastCommitInfo(_ lastCommit: CommitCertificate, height: UInt64, previousHash: Hash, sets: ValidatorSets,
                               chainID: String) throws(InvalidBlock) -> LastCommitInfo? {
        guard height > 1 else {
            guard lastCommit == .none else { throw InvalidBlock(message: "block 1 carries a last commit; there is no block before it to commit") }
            return nil
        }
        guard let last = sets.last else { throw InvalidBlock(message: "block \(height): the state names no set for the block before") }
        do {
            let signers = try lastCommit.verify(height: height - 1, blockHash: previousHash, validators: last, chainID: chainID)
            return LastCommitInfo(validators: last, signers: Set(signers))
        } catch {
            throw InvalidBlock(message: "block \(height): the last commit does not verify: \(error)")
        }
    }

    /// The validator set that decided block `height`, from the history of changes.
    public func validatorSet(atHeight height: UInt64, state: any StateReader) throws -> ValidatorSet? {
        var found: [UInt8]?
        for (key, value) in try state.scan(prefix: Ledger.validatorHistoryPrefix) {
            guard let from = StateKey.readBigEndian(key, at: Ledger.validatorHistoryPrefix.count), from <= height else { break }
            found = value
        }
        return try found.map { try ValidatorSet(canonicalBytes: $0) }
    }

    /// Genesis: the validators staking ranks after its genesis, or (when staking bonds none) the genesis file's
    /// validators with one unit of power each.
    func initValidators(_ genesis: Genesis, state: StateOverlay) throws {
        var members = try stake?.validatorPowers(state: state) ?? []
        if members.isEmpty {
            members = genesis.validators.compactMap { v in v.key.map { (key: $0, power: UInt64(1)) } }
        }
        guard !members.isEmpty else { throw InvalidBlock(message: "genesis names no validator and staking bonds none") }
        let current = try ValidatorSet(members)
        state.set(Ledger.validatorsCurrentKey, current.canonicalBytes)
        state.set(Ledger.validatorsNextKey, current.incrementingProposerPriority(times: 1).canonicalBytes)
        state.set(Ledger.validatorHistoryPrefix + StateKey.bigEndian(1), current.canonicalBytes)
    }

    /// End of block `height`: the set that decided it becomes the last, the next one decides `height + 1`, and staking's
    /// ranking now becomes the set of `height + 2` (unchanged while staking ranks none, since a chain cannot stop
    /// having validators).
    func rotateValidators(height: UInt64, state: StateOverlay) throws {
        // The stored bytes of the current and next sets move down a place as they are; only the next set is decoded
        // to derive the one after it, and the current one to see whether the set changes.
        guard let currentBytes = try state.get(Ledger.validatorsCurrentKey), let nextBytes = try state.get(Ledger.validatorsNextKey) else {
            throw InvalidBlock(message: "the state holds no validator set: genesis is missing")
        }
        let current = try ValidatorSet(canonicalBytes: currentBytes)
        let next = try ValidatorSet(canonicalBytes: nextBytes)
        var upcoming = next
        if let members = try stake?.validatorPowers(state: state), !members.isEmpty {
            do { try upcoming.update(to: members) } catch { throw InvalidBlock(message: "block \(height): the validator update fails: \(error)") }
        }
        upcoming.incrementProposerPriority(times: 1)
        state.set(Ledger.validatorsLastKey, currentBytes)
        state.set(Ledger.validatorsCurrentKey, nextBytes)
        state.set(Ledger.validatorsNextKey, upcoming.canonicalBytes)
        if !next.hasSameMembers(as: current) {
            state.set(Ledger.validatorHistoryPrefix + StateKey.bigEndian(height + 1), nextBytes)
        }
    }

    /// Checks each piece of evidence and punishes the equivocator. Proposing, evidence that does not check out is left
    /// out; replaying, it makes the block invalid.
    /// - Returns: the evidence applied.
    func applyEvidence(_ evidence: [DuplicateVoteEvidence], mode: ExecutionMode, context: ExecutionContext) throws -> [DuplicateVoteEvidence] {
        var applied: [DuplicateVoteEvidence] = []
        for e in evidence {
            if let problem = try evidenceProblem(e, context: context) {
                if mode == .replay { throw InvalidBlock(message: "block \(context.height) carries invalid evidence: \(problem)") }
                continue
            }
            // Each piece is applied whole or not at all: proposing, one left out must leave no write behind, or the
            // proposer's state would differ from what the others replay.
            let events = context.events.count
            context.state.checkpoint()
            context.state.set(Ledger.evidencePrefix + e.hash.bytes, StateKey.bigEndian(context.height))
            do { try stake?.punishDoubleSign(e.validator, height: e.height, context: context) } catch {
                context.state.revertCheckpoint()
                context.truncateEvents(to: events)
                if mode == .replay { throw InvalidBlock(message: "block \(context.height): evidence against \(e.validator): \(error)") }
                continue
            }
            context.state.commitCheckpoint()
            applied.append(e)
        }
        return applied
    }

    /// Why `e` cannot be applied in the block of `context`, or nil.
    public func evidenceProblem(_ e: DuplicateVoteEvidence, context: ExecutionContext) throws -> String? {
        if try context.state.get(Ledger.evidencePrefix + e.hash.bytes) != nil { return "this evidence was already committed" }
        guard e.height < context.height else { return "it is for height \(e.height), not below the block's height \(context.height)" }
        let maxAge = try stake?.maxEvidenceAge(state: context.state) ?? UInt64.max
        guard context.height - e.height <= maxAge else { return "it is for height \(e.height), older than \(maxAge) blocks" }
        guard let set = try validatorSet(atHeight: e.height, state: context.state), let member = set.validator(e.validator) else {
            return "\(e.validator) was not a validator at height \(e.height)"
        }
        return e.problem(key: member.key, chainID: context.chainID)
    }
}
