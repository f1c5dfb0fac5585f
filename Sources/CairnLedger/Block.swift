public import CairnPrimitives

/// A block header: it commits to the previous block, the transactions and all state after the block.
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

    public init(chainID: String, height: UInt64, time: UInt64, previousHash: Hash, txRoot: Hash, stateRoot: Hash,
                receiptRoot: Hash, baseFee: Amount, gasUsed: UInt64, proposer: Address) {
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
    }

    /// The block's id: SHA-256 of the canonical header.
    public var hash: Hash { Hash.sha256(canonicalBytes) }
}

/// Signatures that make a block final; the Solo engine's holds the one validator's signature.
public struct CommitCertificate: Sendable, Equatable, CanonicalCodable {
    public struct Signature: Sendable, Equatable {
        public var validator: PublicKey
        public var signature: [UInt8]

        public init(validator: PublicKey, signature: [UInt8]) {
            self.validator = validator
            self.signature = signature
        }
    }

    public var signatures: [Signature]

    public init(signatures: [Signature]) { self.signatures = signatures }

    public func encode(to w: inout CanonicalWriter) {
        w.write(array: signatures) { w, s in
            w.write(bytes: s.validator.rawRepresentation)
            w.write(bytes: s.signature)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        signatures = try r.readArray(limit: 1024) { (r: inout CanonicalReader) throws(DecodeError) in
            guard let key = PublicKey(rawRepresentation: try r.readBytes(limit: 32)) else {
                throw DecodeError("invalid validator key in commit")
            }
            return Signature(validator: key, signature: try r.readBytes(limit: 64))
        }
    }
}

/// A block: header, transactions, and the commit that made it final.
public struct Block: Sendable, Equatable {
    public var header: BlockHeader
    public var transactions: [Transaction]
    public var commit: CommitCertificate

    public init(header: BlockHeader, transactions: [Transaction], commit: CommitCertificate) {
        self.header = header
        self.transactions = transactions
        self.commit = commit
    }
}
