public import CairnPrimitives

/// Something that happened during execution, for clients and indexers (`bank.transfer`, `fee.burn`, ...).
public struct Event: Sendable, Equatable, Codable, CanonicalCodable {
    /// `module.kind`.
    public var type: String
    /// Ordered key/value attributes.
    public var attributes: [Attribute]

    /// One attribute of an event.
    public struct Attribute: Sendable, Equatable, Codable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(type: String, _ attributes: [(String, String)]) {
        self.type = type
        self.attributes = attributes.map { Attribute($0.0, $0.1) }
    }

    /// The value of the first attribute named `key`.
    public subscript(key: String) -> String? { attributes.first { $0.key == key }?.value }

    public func encode(to w: inout CanonicalWriter) {
        w.write(type)
        w.write(array: attributes) { w, a in
            w.write(a.key)
            w.write(a.value)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        type = try r.readString()
        attributes = try r.readArray { (r: inout CanonicalReader) throws(DecodeError) in
            Attribute(try r.readString(), try r.readString())
        }
    }
}

/// A typed view of one kind of event: decoded from the generic `Event` by the module that emits it, so no other target
/// spells its type string or its attribute names.
public protocol TypedEvent: Sendable {
    /// The event's type, `module.kind`.
    static var type: String { get }
    /// The typed event, or nil when `event` is of another type or lacks an attribute.
    init?(_ event: Event)
}

extension Event {
    /// An attribute read as a whole number.
    public func number(_ key: String) -> UInt64? { self[key].flatMap(UInt64.init) }

    /// An attribute read as an amount of base units.
    public func amount(_ key: String) -> Amount? { self[key].flatMap(Amount.init(decimal:)) }

    /// An attribute read as an address.
    public func address(_ key: String) -> Address? { self[key].flatMap { try? Address(bech32: $0) } }
}

/// Events of the ledger core.
public enum CoreEvents {
    /// `fee.paid`: payer, fee, burned, tip, proposer.
    public static func feePaid(payer: Address, fee: Amount, burned: Amount, tip: Amount, proposer: String) -> Event {
        Event(type: FeePaid.type, [("payer", payer.bech32), ("fee", fee.description), ("burned", burned.description),
                                   ("tip", tip.description), ("proposer", proposer)])
    }

    /// A transaction's fee: what it paid, the part burned and the proposer's tip.
    public struct FeePaid: TypedEvent {
        public static let type = "fee.paid"
        public var payer: Address
        public var fee: Amount
        public var burned: Amount
        public var tip: Amount

        public init?(_ event: Event) {
            guard event.type == Self.type, let payer = event.address("payer"), let fee = event.amount("fee"),
                  let burned = event.amount("burned"), let tip = event.amount("tip") else { return nil }
            (self.payer, self.fee, self.burned, self.tip) = (payer, fee, burned, tip)
        }
    }
}
