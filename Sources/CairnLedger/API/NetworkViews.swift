public import CairnPrimitives

// Views of the node's network and consensus. Fields that may be absent are written as JSON null rather than left out,
// so every key is always there.

/// `GET /v1/net_info`: the node's p2p identity, where it listens, and its peers.
public struct NetInfoView: Codable, Sendable, Equatable {
    /// Which side opened a link.
    public enum Direction: String, Codable, Sendable {
        case inbound, outbound
    }

    /// One connected peer.
    public struct Peer: Codable, Sendable, Equatable {
        /// The peer's node id (hex).
        public var id: String
        /// `host:port` for a peer this node dialed; `inbound` for one that dialed in.
        public var address: String
        public var direction: Direction
        public var bytesSent: UInt64
        public var bytesReceived: UInt64

        public init(id: String, address: String, direction: Direction, bytesSent: UInt64, bytesReceived: UInt64) {
            self.id = id
            self.address = address
            self.direction = direction
            self.bytesSent = bytesSent
            self.bytesReceived = bytesReceived
        }
    }

    /// The node's p2p id (hex); null for a node without p2p.
    public var nodeID: String?
    public var listening: Bool
    /// `host:port` it accepts peers on; null when it does not listen.
    public var listenAddress: String?
    public var nPeers: Int
    public var peers: [Peer]
    /// Messages not sent because a peer's queue was full.
    public var droppedMessages: UInt64

    public init(nodeID: String?, listening: Bool, listenAddress: String?, peers: [Peer], droppedMessages: UInt64) {
        self.nodeID = nodeID
        self.listening = listening
        self.listenAddress = listenAddress
        self.nPeers = peers.count
        self.peers = peers
        self.droppedMessages = droppedMessages
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nodeID, forKey: .nodeID)
        try c.encode(listening, forKey: .listening)
        try c.encode(listenAddress, forKey: .listenAddress)
        try c.encode(nPeers, forKey: .nPeers)
        try c.encode(peers, forKey: .peers)
        try c.encode(droppedMessages, forKey: .droppedMessages)
    }
}

/// `GET /v1/validators`: the validator set that decides one block.
public struct ValidatorsView: Codable, Sendable, Equatable {
    /// One member of the set.
    public struct Member: Codable, Sendable, Equatable {
        public var address: Address
        /// The consensus key, hex of its 32 bytes.
        public var pubKey: String
        public var power: UInt64
        /// CometBFT's proposer priority as of round 0 of the height; null for a height so far back that the node does
        /// not replay the set's rotations to it.
        public var proposerPriority: Int64?

        public init(address: Address, pubKey: String, power: UInt64, proposerPriority: Int64?) {
            self.address = address
            self.pubKey = pubKey
            self.power = power
            self.proposerPriority = proposerPriority
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(address, forKey: .address)
            try c.encode(pubKey, forKey: .pubKey)
            try c.encode(power, forKey: .power)
            try c.encode(proposerPriority, forKey: .proposerPriority)
        }
    }

    /// The height whose block the set decides.
    public var height: UInt64
    public var totalPower: UInt64
    /// In address order.
    public var validators: [Member]

    public init(height: UInt64, totalPower: UInt64, validators: [Member]) {
        self.height = height
        self.totalPower = totalPower
        self.validators = validators
    }
}

/// `GET /v1/consensus_state`: the height being decided, its round and step, the round's proposal and votes.
public struct ConsensusStateView: Codable, Sendable, Equatable {
    /// The first proposal of the round.
    public struct Proposal: Codable, Sendable, Equatable {
        public var blockHash: Hash
        public var round: UInt32
        /// The proof-of-lock round of a re-proposed block; null for a fresh block.
        public var polRound: UInt32?
        public var proposer: Address

        public init(blockHash: Hash, round: UInt32, polRound: UInt32?, proposer: Address) {
            self.blockHash = blockHash
            self.round = round
            self.polRound = polRound
            self.proposer = proposer
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(blockHash, forKey: .blockHash)
            try c.encode(round, forKey: .round)
            try c.encode(polRound, forKey: .polRound)
            try c.encode(proposer, forKey: .proposer)
        }
    }

    /// The votes of one type in the round.
    public struct Votes: Codable, Sendable, Equatable {
        /// Voting power behind each block hash (hex); `nil` is the power that voted for no block.
        public var byBlock: [String: UInt64]
        /// Power of every validator that voted, whatever for.
        public var total: UInt64

        /// The key of `byBlock` for votes for no block.
        public static let nilVote = "nil"

        public init(byBlock: [String: UInt64], total: UInt64) {
            self.byBlock = byBlock
            self.total = total
        }
    }

    /// The height being decided; once it is decided (`decided`, step `commit`) it stays until the node starts the next
    /// height, after its block interval.
    public var height: UInt64
    public var round: UInt32
    /// `propose`, `prevote`, `precommit` or `commit`.
    public var step: String
    /// The validator whose turn it is to propose in this round.
    public var proposer: Address?
    public var proposal: Proposal?
    public var prevotes: Votes
    public var precommits: Votes
    /// The voting power of the height's validator set.
    public var totalPower: UInt64
    /// The round this node locked a block in; null while unlocked.
    public var lockedRound: UInt32?
    /// The latest round in which a block got more than two thirds of the prevotes; null if none did.
    public var validRound: UInt32?
    /// Whether the height is decided and its block being committed.
    public var decided: Bool

    public init(height: UInt64, round: UInt32, step: String, proposer: Address?, proposal: Proposal?, prevotes: Votes, precommits: Votes,
                totalPower: UInt64, lockedRound: UInt32?, validRound: UInt32?, decided: Bool) {
        self.height = height
        self.round = round
        self.step = step
        self.proposer = proposer
        self.proposal = proposal
        self.prevotes = prevotes
        self.precommits = precommits
        self.totalPower = totalPower
        self.lockedRound = lockedRound
        self.validRound = validRound
        self.decided = decided
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(height, forKey: .height)
        try c.encode(round, forKey: .round)
        try c.encode(step, forKey: .step)
        try c.encode(proposer, forKey: .proposer)
        try c.encode(proposal, forKey: .proposal)
        try c.encode(prevotes, forKey: .prevotes)
        try c.encode(precommits, forKey: .precommits)
        try c.encode(totalPower, forKey: .totalPower)
        try c.encode(lockedRound, forKey: .lockedRound)
        try c.encode(validRound, forKey: .validRound)
        try c.encode(decided, forKey: .decided)
    }
}
