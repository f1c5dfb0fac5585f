public import CairnPrimitives

/// A block header: it commits to the previous block, the transactions, all state after the block, who decides it and
/// the next one, and the commit and evidence it carries.
public struct BlockHeader: Sendable, Equatable, Codable, CanonicalCodable {
    public var chainID: String
    public var height: UInt64
    /// Milliseconds since 1970, chosen by the proposer; never less than the parent's.
    public var time: UInt64
    public var previousHash: Hash
    /// Merkle root of the transaction hashes.
    public var txRoot: Hash
    /// Root of the state tree after executing this block.
    public var stateRoot: Hash
    /// Merkle root of the receipts' hashes.
    public var receiptRoot: Hash
    /// Base fee per gas this block's transactions paid.
    public var baseFee: Amount
    public var gasUsed: UInt64
    public var proposer: Address
    /// Hash of the validator set that decides this block.
    public var validatorsHash: Hash
    /// Hash of the validator set that decides the next block.
    public var nextValidatorsHash: Hash
    /// Hash of the commit certificate of the previous block that this block carries.
    public var lastCommitHash: Hash
    /// Hash of the evidence list this block carries.
    public var evidenceHash: Hash

    public init(chainID: String, height: UInt64, time: UInt64, previousHash: Hash, txRoot: Hash, stateRoot: Hash,
                receiptRoot: Hash, baseFee: Amount, gasUsed: UInt64, proposer: Address, validatorsHash: Hash,
                nextValidatorsHash: Hash, lastCommitHash: Hash, evidenceHash: Hash) {
        self.chainID = chainID
        self.height = height
        self.time = time
        self.previousHash = previousHash
        self.txRoot = txRoot
        self.stateRoot = stateRoot
        self.receiptRoot = receiptRoot
        self.baseFee = baseFee
        self.gasUsed = gasUsed
        self.proposer = proposer
        self.validatorsHash = validatorsHash
        self.nextValidatorsHash = nextValidatorsHash
        self.lastCommitHash = lastCommitHash
        self.evidenceHash = evidenceHash
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(chainID)
        w.write(height)
        w.write(time)
        w.write(previousHash)
        w.write(txRoot)
        w.write(stateRoot)
        w.write(receiptRoot)
        w.write(baseFee)
        w.write(gasUsed)
        w.write(proposer)
        w.write(validatorsHash)
        w.write(nextValidatorsHash)
        w.write(lastCommitHash)
        w.write(evidenceHash)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        chainID = try r.readString(limit: 64)
        height = try r.readUInt64()
        time = try r.readUInt64()
        previousHash = try r.readHash()
        txRoot = try r.readHash()
        stateRoot = try r.readHash()
        receiptRoot = try r.readHash()
        baseFee = try r.readAmount()
        gasUsed = try r.readUInt64()
        proposer = try r.readAddress()
        validatorsHash = try r.readHash()
        nextValidatorsHash = try r.readHash()
        lastCommitHash = try r.readHash()
        evidenceHash = try r.readHash()
    }

    /// The block's id: SHA-256 of the canonical header.
    public var hash: Hash { Hash.sha256(canonicalBytes) }
}

/// A block: its header, its transactions, the commit that finalized the block before it and the evidence of
/// equivocation it reports. The certificate that finalizes the block itself rides in the next block (and is stored
/// beside it).
public struct Block: Sendable, Equatable {
    public var header: BlockHeader
    public var transactions: [Transaction]
    /// The precommits that finalized block `height - 1` (`CommitCertificate.none` in block 1).
    public var lastCommit: CommitCertificate
    public var evidence: [DuplicateVoteEvidence]

    public init(header: BlockHeader, transactions: [Transaction], lastCommit: CommitCertificate, evidence: [DuplicateVoteEvidence]) {
        self.header = header
        self.transactions = transactions
        self.lastCommit = lastCommit
        self.evidence = evidence
    }
}

extension BlockHeader {
    /// The header of the block `execution` makes as block `height` on top of the block `previousHash`, whose state
    /// root is `stateRoot`, decided by the set `validatorsHash` names and carrying `lastCommit`: the one rule for every
    /// header, whether a proposer builds it, a validator checks a proposal or a replay checks a stored block.
    public init(chainID: String, height: UInt64, time: UInt64, previousHash: Hash, proposer: Address, execution: BlockExecution,
                stateRoot: Hash, validatorsHash: Hash, nextValidatorsHash: Hash, lastCommit: CommitCertificate) {
        self.init(chainID: chainID, height: height, time: time, previousHash: previousHash, txRoot: MerkleRoot.of(execution.receipts.map(\.txHash)),
                  stateRoot: stateRoot, receiptRoot: MerkleRoot.of(execution.receipts.map { Hash.sha256($0.canonicalBytes) }),
                  baseFee: execution.baseFee, gasUsed: execution.gasUsed, proposer: proposer, validatorsHash: validatorsHash,
                  nextValidatorsHash: nextValidatorsHash, lastCommitHash: height > 1 ? lastCommit.hash : .zero,
                  evidenceHash: DuplicateVoteEvidence.hash(of: execution.evidence))
    }
}

extension Block {
    /// The canonical bytes consensus moves: header, each transaction's bytes, last commit, evidence.
    public static func encode(header: BlockHeader, transactions: [[UInt8]], lastCommit: CommitCertificate,
                              evidence: [DuplicateVoteEvidence]) -> [UInt8] {
        var w = CanonicalWriter()
        header.encode(to: &w)
        w.write(array: transactions) { w, t in w.write(bytes: t) }
        lastCommit.encode(to: &w)
        DuplicateVoteEvidence.encode(evidence, to: &w)
        return w.bytes
    }

    /// A block's parts as `encode` wrote them, the transactions still as bytes (to be checked by the ledger).
    public struct Parts: Sendable {
        public let header: BlockHeader
        public let transactions: [[UInt8]]
        public let lastCommit: CommitCertificate
        public let evidence: [DuplicateVoteEvidence]
    }

    /// Decodes what `encode` wrote; refuses trailing bytes and more than `maxTransactions` transactions.
    public static func decode(_ bytes: [UInt8], maxTransactions: Int = 100_000) throws(DecodeError) -> Parts {
        var r = CanonicalReader(bytes)
        let header = try BlockHeader(from: &r)
        let txs = try r.readArray(limit: maxTransactions) { (r: inout CanonicalReader) throws(DecodeError) in try r.readBytes(limit: 1 << 20) }
        let lastCommit = try CommitCertificate(from: &r)
        let evidence = try DuplicateVoteEvidence.decodeList(from: &r)
        try r.expectEnd()
        return Parts(header: header, transactions: txs, lastCommit: lastCommit, evidence: evidence)
    }
}
