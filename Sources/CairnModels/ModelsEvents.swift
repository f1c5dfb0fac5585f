public import CairnPrimitives
public import CairnLedger

/// Events the models module emits (amounts in ucairn).
public enum ModelsEvents {
    /// `models.registered`: id, name, owner, weights_hash, royalty_bps.
    public static func registered(_ id: UInt64, _ spec: ModelSpec, owner: Address) -> Event {
        Event(type: "models.registered", [("id", "\(id)"), ("name", spec.name), ("owner", owner.bech32),
                                          ("weights_hash", spec.weightsHash.hex), ("royalty_bps", "\(spec.royaltyBps)")])
    }

    /// `models.transferred`: id, from, to.
    public static func transferred(_ id: UInt64, from: Address, to: Address) -> Event {
        Event(type: "models.transferred", [("id", "\(id)"), ("from", from.bech32), ("to", to.bech32)])
    }

    /// `models.shares_issued`: id, owner, shares, denom.
    public static func sharesIssued(_ id: UInt64, owner: Address, shares: Amount) -> Event {
        Event(type: "models.shares_issued", [("id", "\(id)"), ("owner", owner.bech32), ("shares", shares.description),
                                             ("denom", ModelShares.denom(id))])
    }

    /// `models.royalty`: id, amount, payer, recipient (the owner, or the royalty pool once shares exist).
    public static func royalty(_ id: UInt64, amount: Amount, payer: Address, recipient: Address) -> Event {
        Event(type: "models.royalty", [("id", "\(id)"), ("amount", amount.description), ("payer", payer.bech32),
                                       ("recipient", recipient.bech32)])
    }

    /// `models.royalties_claimed`: id, holder, amount.
    public static func royaltiesClaimed(_ id: UInt64, holder: Address, amount: Amount) -> Event {
        Event(type: "models.royalties_claimed", [("id", "\(id)"), ("holder", holder.bech32), ("amount", amount.description)])
    }
}
