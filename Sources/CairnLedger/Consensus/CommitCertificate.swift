public import CairnPrimitives

/// The precommits that made a block final: more than two thirds of the power of the height's validator set signed a
/// precommit for `blockHash` in `round`. Block H carries the certificate of block H-1 as its last commit.
public struct CommitCertificate: Sendable, Hashable, CanonicalCodable {
    /// One validator's precommit signature; the vote it signs is rebuilt from the certificate's height, round and block.
    public struct Signature: Sendable, Hashable {
        public var validator: Address
        public var signature: [UInt8]

        public init(validator: Address, signature: [UInt8]) {
            self.validator = validator
            self.signature = signature
        }
    }

    public var height: UInt64
    public var round: UInt32
    public var blockHash: Hash
    /// Ordered by validator address, one per validator.
    public var signatures: [Signature]

    public init(height: UInt64, round: UInt32, blockHash: Hash, signatures: [Signature]) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signatures = signatures.sorted { $0.validator < $1.validator }
    }

    /// The certificate of a block that needs none (genesis, and the "last commit" of block 1).
    public static let none = CommitCertificate(height: 0, round: 0, blockHash: .zero, signatures: [])

    /// A certificate made of precommits for one block in one round (each checked by whoever collected them).
    public init(precommits: [SignedVote]) {
        let first = precommits.first?.vote
        self.init(height: first?.height ?? 0, round: first?.round ?? 0, blockHash: first?.blockHash ?? .zero,
                  signatures: precommits.map { Signature(validator: $0.vote.validator, signature: $0.signature) })
    }

    /// A certificate of precommits for `blockHash` signed by each of `keys` (a lone validator's, a test's, a migration's).
    public static func signed(height: UInt64, round: UInt32 = 0, blockHash: Hash, by keys: [PrivateKey], chainID: String) -> CommitCertificate {
        CommitCertificate(precommits: keys.map {
            Vote(type: .precommit, height: height, round: round, blockHash: blockHash, validator: $0.publicKey.address).signed(by: $0, chainID: chainID)
        })
    }

    /// The precommit vote that `validator`'s signature in this certificate signs.
    public func precommit(of validator: Address) -> Vote {
        Vote(type: .precommit, height: height, round: round, blockHash: blockHash, validator: validator)
    }

    /// Checks that the certificate makes block `blockHash` at `height` final under `validators`: every signature is a
    /// member's precommit for that block, no member twice, and the signers hold more than two thirds of the power.
    ///
    /// - Returns: the signers, in address order.
    @discardableResult
    public func verify(height expectedHeight: UInt64, blockHash expectedHash: Hash, validators: ValidatorSet,
                       chainID: String) throws(CommitError) -> [Address] {
        guard height == expectedHeight else { throw CommitError("it is for height \(height), not \(expectedHeight)") }
        guard blockHash == expectedHash else { throw CommitError("it is for block \(blockHash), not \(expectedHash)") }
        var power: UInt64 = 0
        var previous: Address?
        for s in signatures {
            if let previous, !(previous < s.validator) {
                throw CommitError("its signatures are not in address order, or \(s.validator) signs twice")
            }
            previous = s.validator
            guard let member = validators.validator(s.validator) else {
                throw CommitError("\(s.validator) is not in the validator set of height \(height)")
            }
            guard member.key.isValidSignature(s.signature, domain: .vote, chainID: chainID, payload: precommit(of: s.validator).canonicalBytes) else {
                throw CommitError("the signature of \(s.validator) does not verify for a precommit of block \(blockHash) in round \(round)")
            }
            power += member.power
        }
        guard validators.isQuorum(power) else {
            throw CommitError("its signers hold \(power) of \(validators.totalPower) voting power, not more than two thirds")
        }
        return signatures.map(\.validator)
    }

    /// SHA-256 of the canonical bytes: the `lastCommitHash` of the next block's header.
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    public func encode(to w: inout CanonicalWriter) {
        w.write(height)
        w.write(round)
        w.write(blockHash)
        w.write(array: signatures) { w, s in
            w.write(s.validator)
            w.write(bytes: s.signature)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        height = try r.readUInt64()
        round = try r.readUInt32()
        blockHash = try r.readHash()
        signatures = try r.readArray(limit: 10_000) { (r: inout CanonicalReader) throws(DecodeError) in
            Signature(validator: try r.readAddress(), signature: try r.readBytes(limit: 64))
        }
    }
}

/// Why a commit certificate does not make a block final.
public struct CommitError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
