public import CairnPrimitives
public import CairnLedger
public import CairnMarket

/// Gas of the verification module's messages (beyond a transaction's intrinsic gas).
public enum VerificationGas {
    public static let register: UInt64 = 20_000
    public static let leave: UInt64 = 20_000
    /// A challenge checks the receipt's signature and scans the verifiers at the draw.
    public static let challenge: UInt64 = 80_000
    public static let vote: UInt64 = 10_000
    public static let report: UInt64 = 30_000
    /// A pooled job's receipt signature, on top of 10 per byte of its request and output.
    public static let pooledJob: UInt64 = 20_000
}

/// `verification/register`: the signer becomes a verifier (or adds to its bond), bonding `bond` ucairn.
public struct MsgRegisterVerifier: LedgerMessage, Equatable {
    public static let typeName = "verification/register"
    public var bond: Amount

    public init(bond: Amount) { self.bond = bond }

    public var gas: UInt64 { VerificationGas.register }

    public func validate() throws(LedgerError) {
        guard bond > .zero else { throw VerificationError.invalidMessage("a verifier's bond must be greater than zero") }
    }

    public func encode(to w: inout CanonicalWriter) { w.write(bond) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { bond = try r.readAmount() }
}

/// `verification/leave`: the signer stops being a verifier and gets its bond back (not while it sits on an undecided
/// committee).
public struct MsgLeaveVerifier: LedgerMessage, Equatable {
    public static let typeName = "verification/leave"

    public init() {}

    public var gas: UInt64 { VerificationGas.leave }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) {}
    public init(from r: inout CanonicalReader) throws(DecodeError) {}
}

/// `verification/challenge`: the signer says the provider that signed `receipt` cheated on that job, shows the job (the
/// request body exactly as sent, and the output text) and puts up `bond`. The ledger checks that the request and the
/// output hash to the receipt's `requestHash` and `outputHash`, so the committee judges what the provider signed.
public struct MsgChallenge: LedgerMessage, Equatable {
    public static let typeName = "verification/challenge"
    public var receipt: SignedReceipt
    public var request: [UInt8]
    public var output: [UInt8]
    public var bond: Amount

    /// The most bytes of a request or an output a challenge carries (a transaction is at most 64 KiB by default).
    public static let maxEvidenceBytes = 48 * 1024

    public init(receipt: SignedReceipt, request: [UInt8], output: [UInt8], bond: Amount) {
        self.receipt = receipt
        self.request = request
        self.output = output
        self.bond = bond
    }

    /// The base gas and 10 per byte of evidence, which every node keeps in state.
    public var gas: UInt64 { VerificationGas.challenge + 10 * UInt64(request.count + output.count) }

    public func validate() throws(LedgerError) {
        guard bond > .zero else { throw VerificationError.invalidMessage("a challenge's bond must be greater than zero") }
        guard receipt.publicKey.count == 32, receipt.signature.count == 64 else {
            throw VerificationError.badReceipt("its key must be 32 bytes and its signature 64")
        }
        guard request.count <= Self.maxEvidenceBytes, output.count <= Self.maxEvidenceBytes else {
            throw VerificationError.invalidMessage("a challenge carries at most \(Self.maxEvidenceBytes) bytes of request and of output")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        receipt.encode(to: &w)
        w.write(bytes: request)
        w.write(bytes: output)
        w.write(bond)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        receipt = try SignedReceipt(from: &r)
        request = try r.readBytes(limit: Self.maxEvidenceBytes)
        output = try r.readBytes(limit: Self.maxEvidenceBytes)
        bond = try r.readAmount()
    }
}

/// `verification/challenge-pooled`: the signer says the provider that signed `receipt` cheats in a way one job does not
/// show, and puts up `bond`. At the end of the next block the chain draws a window of `pooledJobs` consecutive jobs of
/// the receipt's channel and model among the last `pooledLookback` up to the receipt's (by `modelRequests`), so the
/// challenger cannot pick the jobs; it then gives those jobs with `verification/evidence` within `evidenceBlocks`, or
/// its bond is burned. The committee judges the window's jobs together.
public struct MsgPooledChallenge: LedgerMessage, Equatable {
    public static let typeName = "verification/challenge-pooled"
    public var receipt: SignedReceipt
    public var bond: Amount

    public init(receipt: SignedReceipt, bond: Amount) {
        self.receipt = receipt
        self.bond = bond
    }

    public var gas: UInt64 { VerificationGas.challenge }

    public func validate() throws(LedgerError) {
        guard bond > .zero else { throw VerificationError.invalidMessage("a challenge's bond must be greater than zero") }
        guard receipt.publicKey.count == 32, receipt.signature.count == 64 else {
            throw VerificationError.badReceipt("its key must be 32 bytes and its signature 64")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        receipt.encode(to: &w)
        w.write(bond)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        receipt = try SignedReceipt(from: &r)
        bond = try r.readAmount()
    }
}

/// `verification/evidence`: the challenger of a pooled challenge gives jobs of its drawn window (each its signed receipt,
/// the request as sent and the output), in as many messages as it needs.
public struct MsgPooledEvidence: LedgerMessage, Equatable {
    public static let typeName = "verification/evidence"
    public var challengeID: UInt64
    public var jobs: [PooledJob]

    public init(challengeID: UInt64, jobs: [PooledJob]) {
        self.challengeID = challengeID
        self.jobs = jobs
    }

    /// Per job a signature check and 10 per byte of evidence, which every node keeps in state.
    public var gas: UInt64 {
        jobs.reduce(VerificationGas.vote) { $0 + VerificationGas.pooledJob + 10 * UInt64($1.request.count + $1.output.count) }
    }

    public func validate() throws(LedgerError) {
        guard !jobs.isEmpty else { throw VerificationError.invalidMessage("evidence needs at least one job") }
        for job in jobs {
            guard job.receipt.publicKey.count == 32, job.receipt.signature.count == 64 else {
                throw VerificationError.badReceipt("its key must be 32 bytes and its signature 64")
            }
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(challengeID)
        w.write(array: jobs) { $1.encode(to: &$0) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        challengeID = try r.readUInt64()
        jobs = try r.readArray(limit: Int(VerificationParams.maxPooledJobs)) { (r) throws(DecodeError) in try PooledJob(from: &r) }
    }
}

/// `verification/commit`: a committee member's commitment to its verdict (see ``Verdict/commitment(challenge:member:verdict:salt:)``).
public struct MsgCommitVerdict: LedgerMessage, Equatable {
    public static let typeName = "verification/commit"
    public var challengeID: UInt64
    public var commitment: Hash

    public init(challengeID: UInt64, commitment: Hash) {
        self.challengeID = challengeID
        self.commitment = commitment
    }

    public var gas: UInt64 { VerificationGas.vote }
    public func validate() throws(LedgerError) {}

    public func encode(to w: inout CanonicalWriter) {
        w.write(challengeID)
        w.write(commitment)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        challengeID = try r.readUInt64()
        commitment = try r.readHash()
    }
}

/// `verification/reveal`: a committee member's verdict and the salt of its commitment.
public struct MsgRevealVerdict: LedgerMessage, Equatable {
    public static let typeName = "verification/reveal"
    public var challengeID: UInt64
    public var verdict: Verdict
    public var salt: [UInt8]

    public init(challengeID: UInt64, verdict: Verdict, salt: [UInt8]) {
        self.challengeID = challengeID
        self.verdict = verdict
        self.salt = salt
    }

    public var gas: UInt64 { VerificationGas.vote }

    public func validate() throws(LedgerError) {
        guard salt.count == 32 else { throw VerificationError.invalidMessage("a verdict's salt is 32 bytes, not \(salt.count)") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(challengeID)
        w.write(verdict.rawValue)
        w.write(bytes: salt)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        challengeID = try r.readUInt64()
        let v = try r.readUInt8()
        guard let verdict = Verdict(rawValue: v) else { throw DecodeError("verdict \(v)") }
        self.verdict = verdict
        salt = try r.readBytes(limit: 32)
    }
}

/// `verification/report`: a registered verifier reports a check of a provider-signed receipt (passed or failed); each
/// receipt is counted once. A failed check is settled by a challenge; the report only counts it.
public struct MsgReportCheck: LedgerMessage, Equatable {
    public static let typeName = "verification/report"
    public var receipt: SignedReceipt
    public var passed: Bool

    public init(receipt: SignedReceipt, passed: Bool) {
        self.receipt = receipt
        self.passed = passed
    }

    public var gas: UInt64 { VerificationGas.report }

    public func validate() throws(LedgerError) {
        guard receipt.publicKey.count == 32, receipt.signature.count == 64 else {
            throw VerificationError.badReceipt("its key must be 32 bytes and its signature 64")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        receipt.encode(to: &w)
        w.write(passed)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        receipt = try SignedReceipt(from: &r)
        passed = try r.readBool()
    }
}
