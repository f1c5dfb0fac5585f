public import CairnPrimitives

/// The two kinds of vote of a Tendermint round.
public enum VoteType: UInt8, Sendable, Hashable, Codable {
    case prevote = 1
    case precommit = 2
}

/// A validator's vote in one round of one height: for a block (by hash) or for nothing (`blockHash` nil).
///
/// What a validator signs is this value's canonical bytes in the `vote` domain with the chain id, so a vote of one chain
/// never counts on another and a vote never passes for any other signed object.
public struct Vote: Sendable, Hashable, CanonicalCodable {
    public var type: VoteType
    public var height: UInt64
    public var round: UInt32
    /// The block voted for; nil is a vote for no block.
    public var blockHash: Hash?
    public var validator: Address

    public init(type: VoteType, height: UInt64, round: UInt32, blockHash: Hash?, validator: Address) {
        self.type = type
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.validator = validator
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(type.rawValue)
        w.write(height)
        w.write(round)
        w.write(optional: blockHash)
        w.write(validator)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        guard let type = VoteType(rawValue: try r.readUInt8()) else { throw DecodeError("unknown vote type") }
        self.type = type
        height = try r.readUInt64()
        round = try r.readUInt32()
        blockHash = try r.readOptionalHash()
        validator = try r.readAddress()
    }

    /// Signs the vote with `key` (whose address must be `validator`).
    public func signed(by key: PrivateKey, chainID: String) -> SignedVote {
        SignedVote(vote: self, signature: key.sign(domain: .vote, chainID: chainID, payload: canonicalBytes))
    }
}

/// A vote with its signature.
public struct SignedVote: Sendable, Hashable, CanonicalCodable {
    public var vote: Vote
    public var signature: [UInt8]

    public init(vote: Vote, signature: [UInt8]) {
        self.vote = vote
        self.signature = signature
    }

    /// Whether `key` signed this vote on `chainID`.
    public func isSigned(by key: PublicKey, chainID: String) -> Bool {
        key.address == vote.validator && key.isValidSignature(signature, domain: .vote, chainID: chainID, payload: vote.canonicalBytes)
    }

    public func encode(to w: inout CanonicalWriter) {
        vote.encode(to: &w)
        w.write(bytes: signature)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        vote = try Vote(from: &r)
        signature = try r.readBytes(limit: 64)
    }
}

/// The proposer's proposal of a block for one round; `polRound` is the round in which the block gathered a +2/3 prevote
/// quorum when the proposer proposes it again (its valid value), nil for a new block.
public struct BlockProposal: Sendable, Hashable, CanonicalCodable {
    public var height: UInt64
    public var round: UInt32
    public var blockHash: Hash
    public var polRound: UInt32?
    public var proposer: Address

    public init(height: UInt64, round: UInt32, blockHash: Hash, polRound: UInt32?, proposer: Address) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.polRound = polRound
        self.proposer = proposer
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(height)
        w.write(round)
        w.write(blockHash)
        w.write(polRound != nil)
        if let polRound { w.write(polRound) }
        w.write(proposer)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        height = try r.readUInt64()
        round = try r.readUInt32()
        blockHash = try r.readHash()
        polRound = try r.readBool() ? try r.readUInt32() : nil
        proposer = try r.readAddress()
    }

    /// Signs the proposal with `key` (whose address must be `proposer`) in the `proposal` domain.
    public func signed(by key: PrivateKey, chainID: String) -> SignedBlockProposal {
        SignedBlockProposal(proposal: self, signature: key.sign(domain: .proposal, chainID: chainID, payload: canonicalBytes))
    }
}

/// A proposal with its signature.
public struct SignedBlockProposal: Sendable, Hashable, CanonicalCodable {
    public var proposal: BlockProposal
    public var signature: [UInt8]

    public init(proposal: BlockProposal, signature: [UInt8]) {
        self.proposal = proposal
        self.signature = signature
    }

    /// Whether `key` signed this proposal on `chainID`.
    public func isSigned(by key: PublicKey, chainID: String) -> Bool {
        key.address == proposal.proposer
            && key.isValidSignature(signature, domain: .proposal, chainID: chainID, payload: proposal.canonicalBytes)
    }

    public func encode(to w: inout CanonicalWriter) {
        proposal.encode(to: &w)
        w.write(bytes: signature)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        proposal = try BlockProposal(from: &r)
        signature = try r.readBytes(limit: 64)
    }
}

extension CanonicalWriter {
    /// A presence byte, then the hash when present.
    public mutating func write(optional hash: Hash?) {
        write(hash != nil)
        if let hash { write(hash) }
    }
}

extension CanonicalReader {
    /// Reads what `write(optional:)` wrote.
    public mutating func readOptionalHash() throws(DecodeError) -> Hash? {
        try readBool() ? try readHash() : nil
    }
}
