public import CairnPrimitives
public import CairnLedger

/// `gov/submit-proposal`: opens a proposal with an optional first deposit from the signer.
public struct MsgSubmitProposal: LedgerMessage, Equatable {
    public static let typeName = "gov/submit-proposal"

    /// 1 to 140 bytes.
    public var title: String
    /// At most `maxDescriptionBytes` (a parameter, never above 10,000).
    public var description: String
    public var content: ProposalContent
    /// ucairn moved from the signer into escrow; may be zero.
    public var initialDeposit: Amount

    public init(title: String, description: String, content: ProposalContent, initialDeposit: Amount) {
        self.title = title
        self.description = description
        self.content = content
        self.initialDeposit = initialDeposit
    }

    /// 20,000 gas plus 10 per byte of description and 1,000 per parameter change.
    public var gas: UInt64 {
        var changes: UInt64 = 0
        if case let .parameterChange(c) = content { changes = UInt64(c.count) }
        return GovGas.submit + GovGas.perDescriptionByte * UInt64(description.utf8.count) + GovGas.perChange * changes
    }

    public func validate() throws(LedgerError) {
        guard (1...GovLimits.maxTitleBytes).contains(title.utf8.count) else {
            throw GovError.invalidProposal("the title is \(title.utf8.count) bytes; it must be 1 to \(GovLimits.maxTitleBytes)")
        }
        guard description.utf8.count <= GovLimits.maxDescriptionBytes else {
            throw GovError.invalidProposal("the description is \(description.utf8.count) bytes; the limit is \(GovLimits.maxDescriptionBytes)")
        }
        try content.validate()
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(title)
        w.write(description)
        content.encode(to: &w)
        w.write(initialDeposit)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        title = try r.readString(limit: GovLimits.maxTitleBytes)
        description = try r.readString(limit: GovLimits.maxDescriptionBytes)
        content = try ProposalContent(from: &r)
        initialDeposit = try r.readAmount()
    }
}

/// `gov/deposit`: adds ucairn from the signer to a proposal in its deposit period.
public struct MsgDeposit: LedgerMessage, Equatable {
    public static let typeName = "gov/deposit"

    public var proposalID: UInt64
    /// ucairn, greater than zero.
    public var amount: Amount

    public init(proposalID: UInt64, amount: Amount) {
        self.proposalID = proposalID
        self.amount = amount
    }

    /// 5,000 gas.
    public var gas: UInt64 { GovGas.deposit }

    public func validate() throws(LedgerError) {
        guard amount > .zero else { throw GovError.zeroAmount("a deposit") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(proposalID)
        w.write(amount)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        proposalID = try r.readUInt64()
        amount = try r.readAmount()
    }
}

/// `gov/vote`: the signer's vote on a proposal in its voting period; a later vote replaces an earlier one.
public struct MsgVote: LedgerMessage, Equatable {
    public static let typeName = "gov/vote"

    public var proposalID: UInt64
    public var option: VoteOption

    public init(proposalID: UInt64, option: VoteOption) {
        self.proposalID = proposalID
        self.option = option
    }

    /// 3,000 gas.
    public var gas: UInt64 { GovGas.vote }

    public func validate() throws(LedgerError) {}

    public func encode(to w: inout CanonicalWriter) {
        w.write(proposalID)
        w.write(option.rawValue)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        proposalID = try r.readUInt64()
        option = try VoteOption(from: &r)
    }
}

/// Governance gas costs (see README).
public enum GovGas {
    public static let submit: UInt64 = 20_000
    public static let perDescriptionByte: UInt64 = 10
    public static let perChange: UInt64 = 1_000
    public static let deposit: UInt64 = 5_000
    public static let vote: UInt64 = 3_000
}
