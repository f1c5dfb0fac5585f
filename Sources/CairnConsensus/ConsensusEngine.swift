public import CairnPrimitives
public import CairnLedger

/// Checks that a block's commit certificate makes it final: every path that accepts a block (the block producer, a
/// replay, a node opening its store) asks one of these before the block is stored or trusted.
public protocol CommitVerifier: Sendable {
    /// Throws, saying why, unless `commit` proves that `header` is final.
    func verify(_ header: BlockHeader, commit: CommitCertificate) throws(ConsensusError)
}

/// How blocks become final. `SoloEngine` (one validator key signs each block) runs devnets now; a
/// multi-validator BFT engine will implement the same protocol.
public protocol ConsensusEngine: CommitVerifier {
    /// The address that proposes (and is tipped for) the block at `height`.
    func proposer(forHeight height: UInt64) -> Address
    /// Whether this node may propose the block at `height`.
    func isLocalProposer(height: UInt64) -> Bool
    /// Makes a proposed header final and returns the certificate that proves it.
    func finalize(_ header: BlockHeader) async throws -> CommitCertificate
}

/// Consensus with one validator: its key signs every block.
public struct SoloEngine: ConsensusEngine {
    let validator: PublicKey
    let key: PrivateKey?

    /// - Parameters:
    ///   - validator: the genesis validator's key.
    ///   - key: its private key when this node is the validator; nil for a node that only follows.
    public init(validator: PublicKey, key: PrivateKey?) throws(ConsensusError) {
        if let key, key.publicKey != validator {
            throw ConsensusError("the validator key given does not match the genesis validator \(validator.address)")
        }
        self.validator = validator
        self.key = key
    }

    /// The engine of a chain whose genesis names exactly one validator.
    public init(genesis: Genesis, key: PrivateKey?) throws(ConsensusError) {
        guard genesis.validators.count == 1, let validator = genesis.validators.first?.key else {
            throw ConsensusError("the Solo engine needs exactly one genesis validator with a valid key")
        }
        try self.init(validator: validator, key: key)
    }

    public func proposer(forHeight height: UInt64) -> Address { validator.address }

    public func isLocalProposer(height: UInt64) -> Bool { key != nil }

    public func finalize(_ header: BlockHeader) async throws -> CommitCertificate {
        guard let key else { throw ConsensusError("this node holds no validator key") }
        let signature = key.sign(domain: .block, chainID: header.chainID, payload: header.canonicalBytes)
        return CommitCertificate(signatures: [.init(validator: validator, signature: signature)])
    }

    /// One signature, by the validator, over the header in the block domain on the header's chain.
    public func verify(_ header: BlockHeader, commit: CommitCertificate) throws(ConsensusError) {
        guard commit.signatures.count == 1, let s = commit.signatures.first else {
            throw ConsensusError("it holds \(commit.signatures.count) signatures; the Solo engine's holds one, by \(validator.address)")
        }
        guard s.validator == validator else {
            throw ConsensusError("it is signed by \(s.validator.address), not by the validator \(validator.address)")
        }
        guard validator.isValidSignature(s.signature, domain: .block, chainID: header.chainID, payload: header.canonicalBytes) else {
            throw ConsensusError("the validator's signature does not verify for the header")
        }
    }
}

/// A consensus failure.
public struct ConsensusError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
