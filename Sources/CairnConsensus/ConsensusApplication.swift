public import CairnPrimitives
public import CairnLedger

/// The application side of consensus, shaped like ABCI: the proposer prepares a block, every validator processes each
/// proposed block (deterministically: the same verdict on every honest node), and the decided block is finalized and
/// committed. Blocks cross this boundary as their hash and canonical bytes.
public protocol ConsensusApplication: Sendable {
    /// The height of the latest committed block.
    func committedHeight() async throws -> UInt64
    /// The validator set that decides `height` (the one after the committed head), its priorities as of round 0.
    func validators(forHeight height: UInt64) async throws -> ValidatorSet
    /// Builds the block this node proposes at `height`: transactions from the mempool, the head's commit as last commit,
    /// and `evidence` (what does not check out is left out).
    func prepareProposal(height: UInt64, round: UInt32, proposer: Address, evidence: [DuplicateVoteEvidence]) async throws -> ProposedBlock
    /// Whether a proposed block is valid on top of the committed head: it decodes, it is for `height`, its last commit
    /// and evidence check out, every transaction is valid, and its header (state root included) is what executing it gives.
    func processProposal(height: UInt64, block: ProposedBlock) async -> Bool
    /// Commits the decided block with the certificate that decided it.
    /// - Returns: the hashes of the evidence the block carried (the driver drops them from its pool).
    func commit(_ block: ProposedBlock, certificate: CommitCertificate) async throws -> [Hash]
}

/// A block as consensus moves it: its hash (the header's) and its canonical bytes.
public struct ProposedBlock: Sendable, Equatable {
    public let hash: Hash
    public let bytes: [UInt8]

    public init(hash: Hash, bytes: [UInt8]) {
        self.hash = hash
        self.bytes = bytes
    }
}

/// What validators send each other.
public enum ConsensusMessage: Sendable, Equatable, CanonicalCodable {
    /// A proposal with the block it proposes.
    case proposal(SignedBlockProposal, block: [UInt8])
    case vote(SignedVote)

    /// The height the message is for.
    public var height: UInt64 {
        switch self {
        case let .proposal(p, _): p.proposal.height
        case let .vote(v): v.vote.height
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        switch self {
        case let .proposal(p, block):
            w.write(UInt8(1))
            p.encode(to: &w)
            w.write(bytes: block)
        case let .vote(v):
            w.write(UInt8(2))
            v.encode(to: &w)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        switch try r.readUInt8() {
        case 1: self = .proposal(try SignedBlockProposal(from: &r), block: try r.readBytes(limit: 1 << 24))
        case 2: self = .vote(try SignedVote(from: &r))
        default: throw DecodeError("unknown consensus message kind")
        }
    }
}

/// Where a validator's signed messages go: the peers (the next issue's p2p layer; none for a lone validator).
public protocol ConsensusNetwork: Sendable {
    func broadcast(_ message: ConsensusMessage) async
}

/// A network of no peers: a lone validator decides alone.
public struct NoPeers: ConsensusNetwork {
    public init() {}
    public func broadcast(_ message: ConsensusMessage) async {}
}

/// A consensus failure.
public struct ConsensusError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
