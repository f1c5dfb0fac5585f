public import CairnPrimitives
public import CairnLedger

/// Where a proposal is in its life. Raw values are stored; never renumber.
public enum ProposalStatus: UInt8, Sendable, Equatable, Codable, CaseIterable {
    case depositPeriod = 1
    case votingPeriod = 2
    case passed = 3
    case rejected = 4
    case vetoed = 5
    case noQuorum = 6
    case expired = 7
    /// Passed, but executing it failed; nothing it would have changed was changed.
    case failed = 8

    /// The name used in events and JSON.
    public var name: String {
        switch self {
        case .depositPeriod: "deposit_period"
        case .votingPeriod: "voting_period"
        case .passed: "passed"
        case .rejected: "rejected"
        case .vetoed: "vetoed"
        case .noQuorum: "no_quorum"
        case .expired: "expired"
        case .failed: "failed"
        }
    }

    /// For error messages: "in its deposit period", "rejected", ...
    var phrase: String {
        switch self {
        case .depositPeriod: "in its deposit period"
        case .votingPeriod: "in its voting period"
        case .noQuorum: "ended without quorum"
        case .failed: "passed but failed to execute"
        default: name
        }
    }

    /// Whether the proposal still holds its deposit in escrow.
    public var isActive: Bool { self == .depositPeriod || self == .votingPeriod }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let s = ProposalStatus.allCases.first(where: { $0.name == text }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown status '\(text)'"))
        }
        self = s
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A vote's option. Raw values are encoded in messages and state; never renumber.
public enum VoteOption: UInt8, Sendable, Equatable, Codable, CaseIterable {
    case yes = 1
    case no = 2
    case abstain = 3
    case noWithVeto = 4

    /// `yes`, `no`, `abstain` or `no_with_veto`.
    public var name: String {
        switch self {
        case .yes: "yes"
        case .no: "no"
        case .abstain: "abstain"
        case .noWithVeto: "no_with_veto"
        }
    }

    init(from r: inout CanonicalReader) throws(DecodeError) {
        let raw = try r.readUInt8()
        guard let o = VoteOption(rawValue: raw) else { throw DecodeError("unknown vote option \(raw)") }
        self = o
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let o = VoteOption.allCases.first(where: { $0.name == text }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown vote option '\(text)'"))
        }
        self = o
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A tally: the weighted power behind each option, the raw power that voted, and the bonded total.
public struct TallyResult: Sendable, Equatable, Codable {
    public var yes: Amount
    public var no: Amount
    public var abstain: Amount
    public var noWithVeto: Amount
    /// Stake that voted, unweighted (what quorum counts).
    public var votedPower: Amount
    /// Stake of every unjailed operator.
    public var totalBonded: Amount

    public init(yes: Amount, no: Amount, abstain: Amount, noWithVeto: Amount, votedPower: Amount, totalBonded: Amount) {
        self.yes = yes
        self.no = no
        self.abstain = abstain
        self.noWithVeto = noWithVeto
        self.votedPower = votedPower
        self.totalBonded = totalBonded
    }

    func encode(to w: inout CanonicalWriter) {
        for a in [yes, no, abstain, noWithVeto, votedPower, totalBonded] { w.write(a) }
    }

    init(from r: inout CanonicalReader) throws(DecodeError) {
        self.init(yes: try r.readAmount(), no: try r.readAmount(), abstain: try r.readAmount(), noWithVeto: try r.readAmount(),
                  votedPower: try r.readAmount(), totalBonded: try r.readAmount())
    }
}

/// A proposal as stored at `gov/proposal/<id>`.
public struct Proposal: Sendable, Equatable, Codable, CanonicalCodable {
    public var id: UInt64
    public var proposer: Address
    public var title: String
    public var description: String
    public var content: ProposalContent
    public var status: ProposalStatus
    public var submitHeight: UInt64
    /// The last height at which deposits are taken; the proposal expires at its end without the minimum.
    public var depositEndHeight: UInt64
    /// The height the minimum deposit was reached (nil until then).
    public var votingStartHeight: UInt64?
    /// The last height at which votes are taken; the tally runs at its end.
    public var votingEndHeight: UInt64?
    public var totalDeposit: Amount
    /// The tally at the end of the voting period (nil before, and for expired proposals).
    public var finalTally: TallyResult?
    /// Why execution failed (status `failed`).
    public var executionError: String?

    public init(id: UInt64, proposer: Address, title: String, description: String, content: ProposalContent,
                status: ProposalStatus, submitHeight: UInt64, depositEndHeight: UInt64, votingStartHeight: UInt64? = nil,
                votingEndHeight: UInt64? = nil, totalDeposit: Amount, finalTally: TallyResult? = nil, executionError: String? = nil) {
        self.id = id
        self.proposer = proposer
        self.title = title
        self.description = description
        self.content = content
        self.status = status
        self.submitHeight = submitHeight
        self.depositEndHeight = depositEndHeight
        self.votingStartHeight = votingStartHeight
        self.votingEndHeight = votingEndHeight
        self.totalDeposit = totalDeposit
        self.finalTally = finalTally
        self.executionError = executionError
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(id)
        w.write(proposer)
        w.write(title)
        w.write(description)
        content.encode(to: &w)
        w.write(status.rawValue)
        w.write(submitHeight)
        w.write(depositEndHeight)
        Proposal.writeOptional(votingStartHeight, &w)
        Proposal.writeOptional(votingEndHeight, &w)
        w.write(totalDeposit)
        w.write(finalTally != nil)
        finalTally?.encode(to: &w)
        w.write(executionError != nil)
        if let executionError { w.write(executionError) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        id = try r.readUInt64()
        proposer = try r.readAddress()
        title = try r.readString(limit: GovLimits.maxTitleBytes)
        description = try r.readString(limit: GovLimits.maxDescriptionBytes)
        content = try ProposalContent(from: &r)
        let raw = try r.readUInt8()
        guard let s = ProposalStatus(rawValue: raw) else { throw DecodeError("unknown proposal status \(raw)") }
        status = s
        submitHeight = try r.readUInt64()
        depositEndHeight = try r.readUInt64()
        votingStartHeight = try r.readBool() ? try r.readUInt64() : nil
        votingEndHeight = try r.readBool() ? try r.readUInt64() : nil
        totalDeposit = try r.readAmount()
        finalTally = try r.readBool() ? try TallyResult(from: &r) : nil
        executionError = try r.readBool() ? try r.readString() : nil
    }

    static func writeOptional(_ v: UInt64?, _ w: inout CanonicalWriter) {
        w.write(v != nil)
        if let v { w.write(v) }
    }
}
