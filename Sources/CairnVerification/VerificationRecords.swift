public import CairnPrimitives
public import CairnLedger
public import CairnMarket

/// A registered verifier: its bond (drawn for committees in proportion to it) and the committees it sits on now.
public struct VerifierRecord: Sendable, Equatable, Codable, CanonicalCodable {
    public var bond: Amount
    public var joinedHeight: UInt64
    /// Undecided challenges whose committee holds this verifier; it cannot leave while any is.
    public var openCommittees: UInt32

    public init(bond: Amount, joinedHeight: UInt64, openCommittees: UInt32 = 0) {
        self.bond = bond
        self.joinedHeight = joinedHeight
        self.openCommittees = openCommittees
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(bond)
        w.write(joinedHeight)
        w.write(openCommittees)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        bond = try r.readAmount()
        joinedHeight = try r.readUInt64()
        openCommittees = try r.readUInt32()
    }
}

/// A committee member's verdict on a challenge.
public enum Verdict: UInt8, Sendable, Codable, CaseIterable {
    /// The provider's output is what the claimed model and settings give.
    case honest = 1
    /// It is not: the provider cheated.
    case cheated = 2

    /// `honest` or `cheated`, as the CLI and the API spell them.
    public var name: String { self == .honest ? "honest" : "cheated" }

    public init?(name: String) {
        switch name {
        case "honest": self = .honest
        case "cheated": self = .cheated
        default: return nil
        }
    }

    /// The commitment a member posts before revealing: SHA-256 over a tag, the challenge, the member, the verdict and a
    /// 32-byte salt, so nobody can copy another member's verdict or change its own after seeing the others'.
    public static func commitment(challenge: UInt64, member: Address, verdict: Verdict, salt: [UInt8]) -> Hash {
        var w = CanonicalWriter()
        w.write("cairn/verdict/v1")
        w.write(challenge)
        w.write(member)
        w.write(verdict.rawValue)
        w.write(bytes: salt)
        return Hash.sha256(w.bytes)
    }

    /// The salt a member derives from its key's seed and the challenge (the CLI and the verifier's agent do), so that
    /// committing and revealing need nothing stored between them and nobody without the key can guess it.
    public static func salt(keySeed: [UInt8], challenge: UInt64) -> [UInt8] {
        var w = CanonicalWriter()
        w.write("cairn/verdict-salt/v1")
        w.write(bytes: keySeed)
        w.write(challenge)
        return Hash.sha256(w.bytes).bytes
    }
}

/// Where a challenge stands.
public enum ChallengeStatus: UInt8, Sendable, Codable {
    /// Raised; its committee is drawn at the end of the next block, from that block's parent hash.
    case drawing = 0
    /// The committee commits to its verdicts until `commitDeadline`.
    case committing = 1
    /// The committee reveals its verdicts until `revealDeadline`.
    case revealing = 2
    /// A majority of the committee found the provider cheated: it was slashed.
    case upheld = 3
    /// A majority found it honest: the challenger's bond was forfeited.
    case rejected = 4
    /// No majority revealed in time: the bond went back to the challenger.
    case void = 5
    /// A pooled challenge waiting for its window to be drawn, then for its evidence until `evidenceDeadline`.
    case gathering = 6
    /// A pooled challenge whose evidence was not complete in time: the bond was burned.
    case lapsed = 7

    public var name: String {
        switch self {
        case .drawing: "drawing"
        case .committing: "committing"
        case .revealing: "revealing"
        case .upheld: "upheld"
        case .rejected: "rejected"
        case .void: "void"
        case .gathering: "gathering"
        case .lapsed: "lapsed"
        }
    }

    public var isDecided: Bool {
        switch self {
        case .drawing, .committing, .revealing, .gathering: false
        case .upheld, .rejected, .void, .lapsed: true
        }
    }
}

/// A committee seat: the member, its commitment and its revealed verdict.
public struct CommitteeSeat: Sendable, Equatable, Codable, CanonicalCodable {
    public var member: Address
    public var commitment: Hash?
    public var verdict: Verdict?

    public init(member: Address, commitment: Hash? = nil, verdict: Verdict? = nil) {
        self.member = member
        self.commitment = commitment
        self.verdict = verdict
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(member)
        w.write(commitment != nil)
        if let commitment { w.write(commitment) }
        w.write(verdict?.rawValue ?? 0)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        member = try r.readAddress()
        commitment = try r.readBool() ? try r.readHash() : nil
        let v = try r.readUInt8()
        guard v == 0 || Verdict(rawValue: v) != nil else { throw DecodeError("verdict \(v)") }
        verdict = Verdict(rawValue: v)
    }
}

/// One job of a pooled challenge: the receipt the provider signed, the request as sent and the output.
public struct PooledJob: Sendable, Equatable, Codable, CanonicalCodable {
    public var receipt: SignedReceipt
    public var request: [UInt8]
    public var output: [UInt8]

    public init(receipt: SignedReceipt, request: [UInt8], output: [UInt8]) {
        self.receipt = receipt
        self.request = request
        self.output = output
    }

    public func encode(to w: inout CanonicalWriter) {
        receipt.encode(to: &w)
        w.write(bytes: request)
        w.write(bytes: output)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        receipt = try SignedReceipt(from: &r)
        request = try r.readBytes(limit: MsgChallenge.maxEvidenceBytes)
        output = try r.readBytes(limit: MsgChallenge.maxEvidenceBytes)
    }
}

/// A pooled challenge's window: `jobs` consecutive jobs of the named receipt's channel and model (its `modelRequests`
/// from `start` on), drawn by the chain among the last `lookback` up to that receipt's, and the jobs given so far.
public struct PooledWindow: Sendable, Equatable, CanonicalCodable {
    /// The named receipt's `modelRequests`: the window ends at or before it.
    public var upTo: UInt64
    public var size: UInt32
    public var lookback: UInt32
    /// The first job's `modelRequests` (0 until drawn).
    public var start: UInt64
    /// The last height at which evidence is taken (0 until drawn).
    public var evidenceDeadline: UInt64
    /// The height at which the last job arrived (0 until then); the committee is drawn in a later block.
    public var readyHeight: UInt64
    /// The jobs given so far, in the order given.
    public var jobs: [PooledJob]

    public var isComplete: Bool { jobs.count == Int(size) }
    /// The `modelRequests` the window covers (empty until drawn).
    public var range: ClosedRange<UInt64>? { start == 0 ? nil : start...start + UInt64(size) - 1 }

    init(upTo: UInt64, size: UInt32, lookback: UInt32) {
        self.upTo = upTo
        self.size = size
        self.lookback = lookback
        start = 0
        evidenceDeadline = 0
        readyHeight = 0
        jobs = []
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(upTo)
        w.write(size)
        w.write(lookback)
        w.write(start)
        w.write(evidenceDeadline)
        w.write(readyHeight)
        w.write(array: jobs) { $1.encode(to: &$0) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        upTo = try r.readUInt64()
        size = try r.readUInt32()
        lookback = try r.readUInt32()
        start = try r.readUInt64()
        evidenceDeadline = try r.readUInt64()
        readyHeight = try r.readUInt64()
        jobs = try r.readArray(limit: Int(VerificationParams.maxPooledJobs)) { (r) throws(DecodeError) in try PooledJob(from: &r) }
    }
}

/// A challenge of one provider-signed receipt, or of a window of a provider's jobs pooled (`window`; then `receipt` is
/// the receipt the challenge named and `request` and `output` are empty).
public struct Challenge: Sendable, Equatable, CanonicalCodable {
    public var id: UInt64
    public var challenger: Address
    public var provider: Address
    /// The receipt the provider signed, as the challenger submitted it.
    public var receipt: SignedReceipt
    /// The job: the request body as sent and the output text; they hash to the receipt's request and output hashes.
    public var request: [UInt8]
    public var output: [UInt8]
    public var bond: Amount
    public var raisedHeight: UInt64
    public var status: ChallengeStatus
    public var commitDeadline: UInt64
    public var revealDeadline: UInt64
    public var committee: [CommitteeSeat]
    /// The height of the verdict (0 until decided).
    public var decidedHeight: UInt64
    /// What the verdict took from the provider's stake and paid the challenger (ucairn).
    public var slashed: Amount
    public var bounty: Amount
    /// A pooled challenge's window (nil: a challenge of one job).
    public var window: PooledWindow?

    public func encode(to w: inout CanonicalWriter) {
        w.write(id)
        w.write(challenger)
        w.write(provider)
        receipt.encode(to: &w)
        w.write(bytes: request)
        w.write(bytes: output)
        w.write(bond)
        w.write(raisedHeight)
        w.write(status.rawValue)
        w.write(commitDeadline)
        w.write(revealDeadline)
        w.write(array: committee) { $1.encode(to: &$0) }
        w.write(decidedHeight)
        w.write(slashed)
        w.write(bounty)
        w.write(window != nil)
        window?.encode(to: &w)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        id = try r.readUInt64()
        challenger = try r.readAddress()
        provider = try r.readAddress()
        receipt = try SignedReceipt(from: &r)
        request = try r.readBytes(limit: MsgChallenge.maxEvidenceBytes)
        output = try r.readBytes(limit: MsgChallenge.maxEvidenceBytes)
        bond = try r.readAmount()
        raisedHeight = try r.readUInt64()
        let s = try r.readUInt8()
        guard let status = ChallengeStatus(rawValue: s) else { throw DecodeError("challenge status \(s)") }
        self.status = status
        commitDeadline = try r.readUInt64()
        revealDeadline = try r.readUInt64()
        committee = try r.readArray(limit: Int(VerificationParams.maxCommitteeSize)) { (r) throws(DecodeError) in try CommitteeSeat(from: &r) }
        decidedHeight = try r.readUInt64()
        slashed = try r.readAmount()
        bounty = try r.readAmount()
        window = try r.readBool() ? try PooledWindow(from: &r) : nil
    }

    init(id: UInt64, challenger: Address, provider: Address, receipt: SignedReceipt, request: [UInt8], output: [UInt8], bond: Amount,
         raisedHeight: UInt64, window: PooledWindow? = nil) {
        self.id = id
        self.challenger = challenger
        self.provider = provider
        self.receipt = receipt
        self.request = request
        self.output = output
        self.bond = bond
        self.raisedHeight = raisedHeight
        status = .drawing
        commitDeadline = 0
        revealDeadline = 0
        committee = []
        decidedHeight = 0
        slashed = .zero
        bounty = .zero
        self.window = window
        if window != nil { status = .gathering }
    }

    /// The seat of `member`, if it sits on the committee.
    func seat(of member: Address) -> Int? { committee.firstIndex { $0.member == member } }

    /// The verdicts revealed so far.
    func count(_ verdict: Verdict) -> Int { committee.filter { $0.verdict == verdict }.count }
}

/// What the checks of a provider found: reported checks and decided challenges. The gateway's provider choice and the
/// explorer read it.
public struct Reputation: Sendable, Equatable, Codable, CanonicalCodable {
    /// Checks registered verifiers reported as passed and failed.
    public var checksPassed: UInt64
    public var checksFailed: UInt64
    /// Challenges decided against the provider (it cheated) and for it.
    public var challengesUpheld: UInt64
    public var challengesRejected: UInt64

    public init(checksPassed: UInt64 = 0, checksFailed: UInt64 = 0, challengesUpheld: UInt64 = 0, challengesRejected: UInt64 = 0) {
        self.checksPassed = checksPassed
        self.checksFailed = checksFailed
        self.challengesUpheld = challengesUpheld
        self.challengesRejected = challengesRejected
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(checksPassed)
        w.write(checksFailed)
        w.write(challengesUpheld)
        w.write(challengesRejected)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        checksPassed = try r.readUInt64()
        checksFailed = try r.readUInt64()
        challengesUpheld = try r.readUInt64()
        challengesRejected = try r.readUInt64()
    }
}
