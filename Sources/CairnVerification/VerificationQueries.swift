import Foundation
public import CairnPrimitives
public import CairnLedger
public import CairnMarket

/// A challenge as the API and the CLI show it.
public struct ChallengeView: Sendable, Equatable, Codable {
    public struct Seat: Sendable, Equatable, Codable {
        public var member: String
        public var committed: Bool
        /// `honest` or `cheated` once revealed.
        public var verdict: String?
    }

    public var id: UInt64
    public var challenger: String
    public var provider: String
    public var receiptHash: String
    public var receipt: ServiceReceipt
    /// The receipt as signed (base64, the `X-Cairn-Receipt` form).
    public var signedReceipt: String
    /// The request body as sent and the output text (UTF-8; undecodable bytes replaced).
    public var request: String
    public var output: String
    /// The output's bytes exactly (base64): an embeddings job's output is its vectors as little-endian F32.
    public var outputBase64: String
    public var bond: Amount
    public var raisedHeight: UInt64
    /// drawing, committing, revealing, upheld, rejected or void.
    public var status: String
    public var commitDeadline: UInt64
    public var revealDeadline: UInt64
    public var committee: [Seat]
    public var decidedHeight: UInt64
    public var slashed: Amount
    public var bounty: Amount
    /// A pooled challenge's window and the jobs given so far (nil for a challenge of one job).
    public var pooled: Pooled?

    public struct Pooled: Sendable, Equatable, Codable {
        /// The named receipt's job count, the window's size and the lookback it is drawn from.
        public var upTo: UInt64
        public var size: UInt32
        public var lookback: UInt32
        /// The window's first and last jobs (`modelRequests`; 0 until drawn) and the last height taking evidence.
        public var first: UInt64
        public var last: UInt64
        public var evidenceDeadline: UInt64
        public var jobs: [Job]

        public init(upTo: UInt64, size: UInt32, lookback: UInt32, first: UInt64, last: UInt64, evidenceDeadline: UInt64, jobs: [Job]) {
            self.upTo = upTo
            self.size = size
            self.lookback = lookback
            self.first = first
            self.last = last
            self.evidenceDeadline = evidenceDeadline
            self.jobs = jobs
        }
    }

    /// A job of a pooled challenge, shown as a single challenge's job is.
    public struct Job: Sendable, Equatable, Codable {
        public var receiptHash: String
        public var receipt: ServiceReceipt
        public var signedReceipt: String
        public var request: String
        public var output: String
        public var outputBase64: String

        /// The view of `job`.
        public init(_ job: PooledJob) {
            receiptHash = VerificationModule.receiptHash(job.receipt).hex
            receipt = job.receipt.receipt
            signedReceipt = job.receipt.headerValue
            request = String(decoding: job.request, as: UTF8.self)
            output = String(decoding: job.output, as: UTF8.self)
            outputBase64 = Data(job.output).base64EncodedString()
        }
    }

    init(_ c: Challenge) {
        id = c.id
        challenger = c.challenger.bech32
        provider = c.provider.bech32
        // The challenged job shown as a pooled job is.
        let job = Job(PooledJob(receipt: c.receipt, request: c.request, output: c.output))
        receiptHash = job.receiptHash
        receipt = job.receipt
        signedReceipt = job.signedReceipt
        request = job.request
        output = job.output
        outputBase64 = job.outputBase64
        bond = c.bond
        raisedHeight = c.raisedHeight
        status = c.status.name
        commitDeadline = c.commitDeadline
        revealDeadline = c.revealDeadline
        committee = c.committee.map { Seat(member: $0.member.bech32, committed: $0.commitment != nil, verdict: $0.verdict?.name) }
        decidedHeight = c.decidedHeight
        slashed = c.slashed
        bounty = c.bounty
        pooled = c.window.map { w in
            Pooled(upTo: w.upTo, size: w.size, lookback: w.lookback, first: w.start, last: w.range?.upperBound ?? 0,
                   evidenceDeadline: w.evidenceDeadline, jobs: w.jobs.map(Job.init))
        }
    }
}

/// A verifier as the API shows it.
public struct VerifierView: Sendable, Equatable, Codable {
    public var address: String
    public var bond: Amount
    public var joinedHeight: UInt64
    public var openCommittees: UInt32
}

/// A provider's reputation as the API shows it, with the challenges against it still undecided.
public struct ReputationView: Sendable, Equatable, Codable {
    public var provider: String
    public var checksPassed: UInt64
    public var checksFailed: UInt64
    public var challengesUpheld: UInt64
    public var challengesRejected: UInt64
    public var pendingChallenges: [UInt64]
}

extension VerificationModule {
    /// Every challenge, in id order (only those with `status`, when given).
    public func challenges(state: any StateReader, status: String? = nil) throws(LedgerError) -> [ChallengeView] {
        try VerificationReader(state: state).challenges().filter { status == nil || $0.status.name == status }.map(ChallengeView.init)
    }

    public func challenge(_ id: UInt64, state: any StateReader) throws(LedgerError) -> ChallengeView? {
        try VerificationReader(state: state).challenge(id).map(ChallengeView.init)
    }

    /// The challenge record itself (for tests and agents).
    public func challengeRecord(_ id: UInt64, state: any StateReader) throws(LedgerError) -> Challenge? {
        try VerificationReader(state: state).challenge(id)
    }

    public func verifiers(state: any StateReader) throws(LedgerError) -> [VerifierView] {
        try VerificationReader(state: state).verifiers().map {
            VerifierView(address: $0.address.bech32, bond: $0.record.bond, joinedHeight: $0.record.joinedHeight, openCommittees: $0.record.openCommittees)
        }
    }

    public func verifier(_ a: Address, state: any StateReader) throws(LedgerError) -> VerifierRecord? {
        try VerificationReader(state: state).verifier(a)
    }

    public func reputation(of provider: Address, state: any StateReader) throws(LedgerError) -> ReputationView {
        let reader = VerificationReader(state: state)
        let r = try reader.reputation(provider)
        return ReputationView(provider: provider.bech32, checksPassed: r.checksPassed, checksFailed: r.checksFailed,
                              challengesUpheld: r.challengesUpheld, challengesRejected: r.challengesRejected,
                              pendingChallenges: try reader.pending(provider))
    }

    /// Every provider with a reputation record, in address order.
    public func reputations(state: any StateReader) throws(LedgerError) -> [(provider: Address, reputation: Reputation)] {
        try VerificationReader(state: state).reputations()
    }

    /// The first undecided challenge against `provider`, if any: its claims wait for the verdict.
    public func pendingChallenge(against provider: Address, state: any StateReader) throws -> UInt64? {
        try VerificationReader(state: state).pending(provider).first
    }
}
