public import CairnPrimitives
public import CairnLedger

/// Events the models module emits (amounts in ucairn), and their typed views for readers.
public enum ModelsEvents {
    /// The models module's event types; every one names its model in `id`.
    public enum Kind: String, Sendable, CaseIterable {
        case registered = "models.registered"
        case transferred = "models.transferred"
        case sharesIssued = "models.shares_issued"
        case royalty = "models.royalty"
        case royaltiesClaimed = "models.royalties_claimed"
    }

    /// `models.registered`: id, name, owner, weights_hash, royalty_bps.
    public static func registered(_ id: UInt64, _ spec: ModelSpec, owner: Address) -> Event {
        Event(type: Kind.registered.rawValue, [("id", "\(id)"), ("name", spec.name), ("owner", owner.bech32),
                                          ("weights_hash", spec.weightsHash.hex), ("royalty_bps", "\(spec.royaltyBps)")])
    }

    /// `models.transferred`: id, from, to.
    public static func transferred(_ id: UInt64, from: Address, to: Address) -> Event {
        Event(type: Kind.transferred.rawValue, [("id", "\(id)"), ("from", from.bech32), ("to", to.bech32)])
    }

    /// `models.shares_issued`: id, owner, shares, denom.
    public static func sharesIssued(_ id: UInt64, owner: Address, shares: Amount) -> Event {
        Event(type: Kind.sharesIssued.rawValue, [("id", "\(id)"), ("owner", owner.bech32), ("shares", shares.description),
                                             ("denom", ModelShares.denom(id))])
    }

    /// `models.royalty`: id, amount, payer, recipient (the owner, or the royalty pool once shares exist).
    public static func royalty(_ id: UInt64, amount: Amount, payer: Address, recipient: Address) -> Event {
        Event(type: Kind.royalty.rawValue, [("id", "\(id)"), ("amount", amount.description), ("payer", payer.bech32),
                                       ("recipient", recipient.bech32)])
    }

    /// `models.royalties_claimed`: id, holder, amount.
    public static func royaltiesClaimed(_ id: UInt64, holder: Address, amount: Amount) -> Event {
        Event(type: Kind.royaltiesClaimed.rawValue, [("id", "\(id)"), ("holder", holder.bech32), ("amount", amount.description)])
    }

    /// The model a models event is about, or nil for an event of another module.
    public static func modelID(of event: Event) -> UInt64? {
        guard Kind(rawValue: event.type) != nil else { return nil }
        return event.number("id")
    }

    /// A model registered: its id, name and owner.
    public struct Registered: TypedEvent {
        public static let type = Kind.registered.rawValue
        public var id: UInt64
        public var name: String
        public var owner: Address

        public init?(_ event: Event) {
            guard event.type == Self.type, let id = event.number("id"), let name = event["name"], let owner = event.address("owner") else {
                return nil
            }
            (self.id, self.name, self.owner) = (id, name, owner)
        }
    }

    /// A royalty paid on a model's use.
    public struct Royalty: TypedEvent {
        public static let type = Kind.royalty.rawValue
        public var id: UInt64
        public var amount: Amount

        public init?(_ event: Event) {
            guard event.type == Self.type, let id = event.number("id") else { return nil }
            (self.id, self.amount) = (id, event.amount("amount") ?? .zero)
        }
    }
}
