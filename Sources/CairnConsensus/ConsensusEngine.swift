public import CairnPrimitives
public import CairnLedger

/// How blocks become final. `SoloEngine` (one validator key signs each block) runs devnets now; a
/// multi-validator BFT engine will implement the same protocol.
public protocol ConsensusEngine: Sendable {
    /// The address that proposes (and is tipped for) the block at `height`.
    func proposer(forHeight height: UInt64) -> Address
    /// Whether this node may propose the block at `height`.
    func isLocalProposer(height: UInt64) -> Bool
    /// Makes a proposed header final and returns the certificate that proves it.
    func finalize(_ header: BlockHeader) async throws -> CommitCertificate
    /// Checks a block's certificate against the validator set.
    func verify(_ header: BlockHeader, commit: CommitCertificate) -> Bool
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

    public func proposer(forHeight height: UInt64) -> Address { validator.address }

    public func isLocalProposer(height: UInt64) -> Bool { key != nil }

    public func finalize(_ header: BlockHeader) async throws -> CommitCertificate {
        guard let key else { throw ConsensusError("this node holds no validator key") }
        let signature = key.sign(domain: .block, chainID: header.chainID, payload: header.canonicalBytes)
        return CommitCertificate(signatures: [.init(validator: validator, signature: signature)])
    }

    public func verify(_ header: BlockHeader, commit: CommitCertificate) -> Bool {
        guard commit.signatures.count == 1, let s = commit.signatures.first, s.validator == validator else { return false }
        return validator.isValidSignature(s.signature, domain: .block, chainID: header.chainID, payload: header.canonicalBytes)
    }
}

/// A consensus failure.
public struct ConsensusError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
