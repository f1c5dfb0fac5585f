public import CairnPrimitives
public import CairnLedger

/// Events the staking module emits (amounts in ucairn).
public enum StakingEvents {
    static func kindName(_ kind: OperatorKind) -> String { kind == .validator ? "validator" : "provider" }

    /// `staking.create_operator`: operator, kind, moniker, commission_bps, self_bond.
    public static func createOperator(_ op: Address, kind: OperatorKind, moniker: String, commissionBps: UInt32, selfBond: Amount) -> Event {
        Event(type: "staking.create_operator", [("operator", op.bech32), ("kind", kindName(kind)), ("moniker", moniker),
                                                ("commission_bps", "\(commissionBps)"), ("self_bond", selfBond.description)])
    }

    /// `staking.delegate`: delegator, operator, amount.
    public static func delegate(_ delegator: Address, _ op: Address, _ amount: Amount) -> Event {
        Event(type: "staking.delegate", [("delegator", delegator.bech32), ("operator", op.bech32), ("amount", amount.description)])
    }

    /// `staking.undelegate`: delegator, operator, amount, completion_height.
    public static func undelegate(_ delegator: Address, _ op: Address, _ amount: Amount, completion: UInt64) -> Event {
        Event(type: "staking.undelegate", [("delegator", delegator.bech32), ("operator", op.bech32), ("amount", amount.description),
                                           ("completion_height", "\(completion)")])
    }

    /// `staking.redelegate`: delegator, source, destination, amount, completion_height.
    public static func redelegate(_ delegator: Address, _ source: Address, _ destination: Address, _ amount: Amount,
                                  completion: UInt64) -> Event {
        Event(type: "staking.redelegate", [("delegator", delegator.bech32), ("source", source.bech32), ("destination", destination.bech32),
                                           ("amount", amount.description), ("completion_height", "\(completion)")])
    }

    /// `staking.unbonding_complete`: delegator, operator, amount paid out.
    public static func unbondingComplete(_ delegator: Address, _ op: Address, _ amount: Amount) -> Event {
        Event(type: "staking.unbonding_complete", [("delegator", delegator.bech32), ("operator", op.bech32), ("amount", amount.description)])
    }

    /// `staking.withdraw_rewards`: delegator, operator, amount (commission included), commission.
    public static func withdraw(_ delegator: Address, _ op: Address, _ amount: Amount, commission: Amount) -> Event {
        Event(type: "staking.withdraw_rewards", [("delegator", delegator.bech32), ("operator", op.bech32), ("amount", amount.description),
                                                 ("commission", commission.description)])
    }

    /// `staking.rewards`: emission minted, its part for operators and for the treasury, tips shared.
    public static func rewards(emission: Amount, toOperators: Amount, toTreasury: Amount, tips: Amount) -> Event {
        Event(type: "staking.rewards", [("emission", emission.description), ("operators", toOperators.description),
                                        ("treasury", toTreasury.description), ("tips", tips.description)])
    }

    /// `staking.slash`: operator, fraction_bps, burned, reason, and bounty_to and bounty when part of the slash was paid out.
    public static func slash(_ op: Address, fractionBps: UInt32, burned: Amount, reason: String,
                             bounty: (to: Address, amount: Amount)? = nil) -> Event {
        var attributes = [("operator", op.bech32), ("fraction_bps", "\(fractionBps)"), ("burned", burned.description), ("reason", reason)]
        if let bounty { attributes += [("bounty_to", bounty.to.bech32), ("bounty", bounty.amount.description)] }
        return Event(type: "staking.slash", attributes)
    }

    /// `staking.jail`: operator, until (height), reason.
    public static func jail(_ op: Address, until: UInt64, reason: String) -> Event {
        Event(type: "staking.jail", [("operator", op.bech32), ("until", "\(until)"), ("reason", reason)])
    }

    /// `staking.unjail`: operator.
    public static func unjail(_ op: Address) -> Event { Event(type: "staking.unjail", [("operator", op.bech32)]) }

    /// `staking.evidence`: operator, height, reporter.
    public static func evidence(_ op: Address, height: UInt64, reporter: Address) -> Event {
        Event(type: "staking.evidence", [("operator", op.bech32), ("height", "\(height)"), ("reporter", reporter.bech32)])
    }
}
