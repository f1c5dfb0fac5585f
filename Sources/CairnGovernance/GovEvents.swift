public import CairnPrimitives
public import CairnLedger

/// Events the governance module emits (the bank adds its own `bank.transfer` and `bank.burn`).
public enum GovEvents {
    /// `gov.submit`: proposal_id, proposer, type, title, deposit.
    public static func submit(_ p: Proposal, deposit: Amount) -> Event {
        Event(type: "gov.submit", [("proposal_id", String(p.id)), ("proposer", p.proposer.bech32), ("type", p.content.kind),
                                   ("title", p.title), ("deposit", deposit.description)])
    }

    /// `gov.deposit`: proposal_id, depositor, amount, total.
    public static func deposit(_ id: UInt64, depositor: Address, amount: Amount, total: Amount) -> Event {
        Event(type: "gov.deposit", [("proposal_id", String(id)), ("depositor", depositor.bech32),
                                    ("amount", amount.description), ("total", total.description)])
    }

    /// `gov.vote`: proposal_id, voter, option.
    public static func vote(_ id: UInt64, voter: Address, option: VoteOption) -> Event {
        Event(type: "gov.vote", [("proposal_id", String(id)), ("voter", voter.bech32), ("option", option.name)])
    }

    /// `gov.voting_started`: proposal_id, voting_end_height.
    public static func votingStarted(_ id: UInt64, end: UInt64) -> Event {
        Event(type: "gov.voting_started", [("proposal_id", String(id)), ("voting_end_height", String(end))])
    }

    /// `gov.end`: proposal_id, status, and for tallied proposals yes, no, abstain, no_with_veto, voted_power, total_bonded.
    public static func end(_ p: Proposal) -> Event {
        var attributes = [("proposal_id", String(p.id)), ("status", p.status.name)]
        if let t = p.finalTally {
            attributes += [("yes", t.yes.description), ("no", t.no.description), ("abstain", t.abstain.description),
                           ("no_with_veto", t.noWithVeto.description), ("voted_power", t.votedPower.description),
                           ("total_bonded", t.totalBonded.description)]
        }
        return Event(type: "gov.end", attributes)
    }

    /// `gov.executed`: proposal_id, type.
    public static func executed(_ p: Proposal) -> Event {
        Event(type: "gov.executed", [("proposal_id", String(p.id)), ("type", p.content.kind)])
    }

    /// `gov.execution_failed`: proposal_id, type, error.
    public static func executionFailed(_ p: Proposal, error: String) -> Event {
        Event(type: "gov.execution_failed", [("proposal_id", String(p.id)), ("type", p.content.kind), ("error", error)])
    }

    /// `gov.deposit_refunded`: proposal_id, depositor, amount.
    public static func refunded(_ id: UInt64, depositor: Address, amount: Amount) -> Event {
        Event(type: "gov.deposit_refunded", [("proposal_id", String(id)), ("depositor", depositor.bech32), ("amount", amount.description)])
    }

    /// `gov.deposit_burned`: proposal_id, amount (all deposits together).
    public static func burned(_ id: UInt64, amount: Amount) -> Event {
        Event(type: "gov.deposit_burned", [("proposal_id", String(id)), ("amount", amount.description)])
    }

    /// The proposal a governance event is about (every one names it in `proposal_id`), or nil for another module's.
    public static func proposalID(of event: Event) -> UInt64? {
        guard event.type.hasPrefix(GovKeys.module + ".") else { return nil }
        return event.number("proposal_id")
    }
}
