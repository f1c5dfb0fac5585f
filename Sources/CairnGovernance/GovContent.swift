public import CairnPrimitives
public import CairnLedger

/// One parameter to change: `module.key` set to `value`.
///
/// The value travels and is stored as its canonical JSON text (`JSONValue.canonicalText`), so a message has one
/// encoding whatever JSON library wrote it; a text in any other form is refused.
public struct ParameterChange: Sendable, Equatable, Codable {
    /// A module name, or `ledger` for the core's chain parameters.
    public var module: String
    public var key: String
    public var value: JSONValue

    public init(module: String, key: String, value: JSONValue) {
        self.module = module
        self.key = key
        self.value = value
    }

    /// The canonical JSON text of `value`.
    public var valueText: String { value.canonicalText }

    func encode(to w: inout CanonicalWriter) {
        w.write(module)
        w.write(key)
        w.write(valueText)
    }

    init(from r: inout CanonicalReader) throws(DecodeError) {
        module = try r.readString(limit: 64)
        key = try r.readString(limit: 64)
        let text = try r.readString(limit: GovLimits.maxValueBytes)
        do { value = try JSONValue(parsing: text) } catch {
            throw DecodeError("parameter value is not JSON: \(text.prefix(40))")
        }
        guard Array(valueText.utf8) == Array(text.utf8) else {
            throw DecodeError("parameter value \(text.prefix(40)) is not in canonical JSON form (\(valueText.prefix(40)))")
        }
    }
}

/// What a proposal does when it passes.
public enum ProposalContent: Sendable, Equatable {
    /// Nothing on chain: a signal.
    case text
    /// Sets each parameter in order, all or none.
    case parameterChange([ParameterChange])
    /// Pays `amount` ucairn from the treasury to `recipient`.
    case treasurySpend(recipient: Address, amount: Amount)

    /// `text`, `parameter_change` or `treasury_spend`, for events.
    public var kind: String {
        switch self {
        case .text: "text"
        case .parameterChange: "parameter_change"
        case .treasurySpend: "treasury_spend"
        }
    }

    /// Checks that need no state.
    func validate() throws(LedgerError) {
        switch self {
        case .text: return
        case let .parameterChange(changes):
            guard (1...GovLimits.maxChanges).contains(changes.count) else {
                throw GovError.invalidProposal("a parameter change carries 1 to \(GovLimits.maxChanges) changes")
            }
            var seen = Set<String>()
            for c in changes {
                guard !c.module.isEmpty, !c.key.isEmpty else { throw GovError.invalidProposal("a change names no module or key") }
                guard seen.insert("\(c.module).\(c.key)").inserted else {
                    throw GovError.invalidProposal("\(c.module).\(c.key) is changed twice")
                }
                guard c.valueText.utf8.count <= GovLimits.maxValueBytes else {
                    throw GovError.invalidProposal("the value of \(c.module).\(c.key) is over \(GovLimits.maxValueBytes) bytes")
                }
            }
        case let .treasurySpend(_, amount):
            guard amount > .zero else { throw GovError.zeroAmount("a treasury spend") }
        }
    }
}

extension ProposalContent: CanonicalCodable {
    public func encode(to w: inout CanonicalWriter) {
        switch self {
        case .text:
            w.write(UInt8(0))
        case let .parameterChange(changes):
            w.write(UInt8(1))
            w.write(array: changes) { w, c in c.encode(to: &w) }
        case let .treasurySpend(recipient, amount):
            w.write(UInt8(2))
            w.write(recipient)
            w.write(amount)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        switch try r.readUInt8() {
        case 0: self = .text
        case 1: self = .parameterChange(try r.readArray(limit: GovLimits.maxChanges) { (r: inout CanonicalReader) throws(DecodeError) in
                try ParameterChange(from: &r)
            })
        case 2: self = .treasurySpend(recipient: try r.readAddress(), amount: try r.readAmount())
        case let tag: throw DecodeError("unknown proposal content tag \(tag)")
        }
    }
}

extension ProposalContent: Codable {
    enum CodingKeys: String, CodingKey { case type, changes, recipient, amount }

    /// `{"type": "text"}`, `{"type": "parameter_change", "changes": [...]}` or
    /// `{"type": "treasury_spend", "recipient": "cairn1...", "amount": "100"}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "text": self = .text
        case "parameter_change": self = .parameterChange(try c.decode([ParameterChange].self, forKey: .changes))
        case "treasury_spend":
            self = .treasurySpend(recipient: try c.decode(Address.self, forKey: .recipient), amount: try c.decode(Amount.self, forKey: .amount))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown proposal type '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .type)
        switch self {
        case .text: break
        case let .parameterChange(changes): try c.encode(changes, forKey: .changes)
        case let .treasurySpend(recipient, amount):
            try c.encode(recipient, forKey: .recipient)
            try c.encode(amount, forKey: .amount)
        }
    }
}
