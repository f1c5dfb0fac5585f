import CairnPrimitives
import CairnLedger
import CairnStaking
import CairnGovernance
import CairnApp
import Foundation
import CairnBank
import CairnModels
import CairnMarket
import CairnExchange

/// One treasury-raid attempt and how it ended.
public struct CaptureAttempt: Sendable, Equatable, Codable {
    public var proposalID: UInt64
    public var day: Int
    /// The coalition's bonded stake over all bonded stake, and over the supply, when the vote ended.
    public var bondedShare: Double
    public var supplyShare: Double
    public var status: String
    public var yesShare: Double
    public var vetoShare: Double
}

struct CoalitionState {
    enum Phase: Equatable { case waiting, buying, delegating, proposing, voting, captured, brokeOff }
    var phase: Phase = .waiting
    var nextDay = 30
    var proposal: UInt64?
    var attempts: [CaptureAttempt] = []
    var usdStart = 0.0
    var capturedDay: Int?
    var gainCairn: UInt128 = 0
    var gainUSD = 0.0
    var costUSD = 0.0
    var holdingsValueUSD = 0.0
    var usdSpent = 0.0
    /// The pool's 7-day TWAP before the coalition's first move: the price its stake and the treasury are valued at.
    var priceBefore = 0.0
    /// What its swaps paid (uusd) and got (ucairn).
    var swapUSDIn: UInt128 = 0
    var swapCairnOut: UInt128 = 0
    /// What it held at genesis (ucairn).
    var genesisCairn: UInt128 = 0
}

extension SimWorld {
    /// Proposals in their voting period (read once at the start of each day).
    func activeProposals() -> [UInt64] { openProposals }

    func governanceDayStart() {
        openProposals = ((try? LedgerWiring.gov.proposals(state: chain.store, limit: 20)) ?? []).filter { $0.status == .votingPeriod }.map(\.id)
        guard !coalition.isEmpty, coalitionState.usdStart == 0 else { return }
        coalitionState.usdStart = coalition.reduce(0.0) { $0 + Double(chain.balance($1.address, usdDenom)) / Double(unit) }
    }

    /// What the coalition holds in CAIRN: liquid and bonded.
    func coalitionHoldings() -> (liquid: UInt128, bonded: UInt128) {
        var liquid: UInt128 = 0
        var bonded: UInt128 = 0
        for m in coalition {
            liquid += chain.cairn(m.address)
            bonded += ((try? LedgerWiring.staking.delegationViews(of: m.address, state: chain.store)) ?? []).reduce(UInt128(0)) { $0 + $1.tokens.value }
        }
        return (liquid, bonded)
    }

    /// The coalition's turn: bond what it holds (buying 2% of the supply through the pool when it holds nothing),
    /// propose to pay itself 90% of the treasury, vote yes with every address; after a defeat, buy 2% more and try
    /// again until it passes or the money runs out.
    func coalitionAct() {
        guard !coalition.isEmpty, day >= coalitionState.nextDay else { return }
        let leader = coalition[0]
        if coalitionState.priceBefore == 0 {
            coalitionState.priceBefore = twap(days: 7)
            coalitionState.genesisCairn = coalition.reduce(UInt128(0)) { $0 + chain.cairn($1.address) }
        }
        switch coalitionState.phase {
        case .waiting where spendable(leader.address) > 10_000 * unit:
            // It already holds stake (coalitionGenesisShare): bond it first and try with that.
            coalitionState.phase = .delegating
            coalitionAct()
        case .waiting, .buying:
            let supply = (try? chain.bank.supply(Denom.native, state: chain.store).value) ?? 0
            let step = supply / 50 / UInt128(coalition.count)
            var bought = false
            // The USD the step costs at the current reserves (each member's share), or a quarter of what is left when the
            // pool cannot supply it.
            let r = reserves()
            let fee = 1 - params["swapFeeBps"] / 10_000
            let total = step * UInt128(coalition.count)
            let quote = total < r.cairn * 9 / 10 ? Double(r.usd) * Double(total) / Double(r.cairn - total) / fee / Double(coalition.count) : .infinity
            for (i, m) in coalition.enumerated() {
                let usd = chain.balance(m.address, usdDenom)
                guard usd > unit else { continue }
                let spend = min(Double(usd), quote.isFinite ? quote : Double(usd) / 4)
                chain.submit(m, [swapIn(usdDenom, UInt128(spend))], tag: "coalition:\(i)")
                bought = true
            }
            coalitionState.phase = bought ? .delegating : .brokeOff
            coalitionState.nextDay = day + 1
        case .delegating:
            for (i, m) in coalition.enumerated() {
                let liquid = spendable(m.address)
                let keep = i == 0 ? 2 * 1_000 * unit : 0 // the leader keeps its deposit
                if liquid > keep + unit {
                    var r = SimRandom(seed: seed, name: "coalition-\(i)-\(day)")
                    chain.submit(m, [MsgDelegate(operator: pickValidator(&r), amount: Amount(liquid - keep))], tag: "coalition:\(i)")
                }
            }
            coalitionState.phase = .proposing
            coalitionState.nextDay = day + 1
        case .proposing:
            let treasury = chain.cairn(ModuleAccount.treasury)
            guard treasury > unit else { coalitionState.nextDay = day + 7; return }
            chain.submit(leader, [MsgSubmitProposal(title: "Community development grant", description: "",
                                                    content: .treasurySpend(recipient: leader.address, amount: Amount(treasury * 9 / 10)),
                                                    initialDeposit: Amount(1_000 * unit))], tag: "coalition:0")
            coalitionState.proposal = nil
            coalitionState.phase = .voting
            coalitionState.nextDay = day + 1
        case .voting:
            guard let id = coalitionState.proposal, let p = try? LedgerWiring.gov.proposal(id, state: chain.store) else {
                coalitionState.phase = .proposing
                return
            }
            if p.status == .votingPeriod {
                if !openProposals.contains(id) { return }
                if !coalitionVoted.contains(id) {
                    coalitionVoted.insert(id)
                    for (i, m) in coalition.enumerated() { chain.submit(m, [MsgVote(proposalID: id, option: .yes)], tag: "coalition:\(i)") }
                }
                return
            }
            let (liquid, bonded) = coalitionHoldings()
            let total = Double((try? LedgerWiring.staking.pools(state: chain.store).bonded.value) ?? 1)
            let supply = Double((try? chain.bank.supply(Denom.native, state: chain.store).value) ?? 1)
            let t = p.finalTally
            let votes = t.map { Double($0.yes.value + $0.no.value + $0.abstain.value + $0.noWithVeto.value) } ?? 0
            coalitionState.attempts.append(CaptureAttempt(
                proposalID: id, day: day, bondedShare: Double(bonded) / total, supplyShare: Double(bonded + liquid) / supply,
                status: p.status.name, yesShare: votes > 0 ? Double(t!.yes.value) / votes : 0, vetoShare: votes > 0 ? Double(t!.noWithVeto.value) / votes : 0))
            if p.status == .passed, case let .treasurySpend(_, amount) = p.content {
                coalitionState.phase = .captured
                coalitionState.capturedDay = day
                coalitionState.gainCairn = amount.value
                // Valued at the price before the attack: the buying itself drives the pool's price up.
                let p0 = coalitionState.priceBefore
                coalitionState.gainUSD = Double(amount.value) / Double(unit) * p0
                coalitionState.usdSpent = Double(coalitionState.swapUSDIn) / Double(unit)
                let burnedDeposits = Double(coalitionState.attempts.filter { $0.status == "vetoed" || $0.status == "no_quorum" }.count) * 1_000
                // The cost: the premium its purchases paid over the price before the attack, and the deposits burned.
                coalitionState.costUSD = coalitionState.usdSpent - Double(coalitionState.swapCairnOut) / Double(unit) * p0 + burnedDeposits * p0
                // The capital at stake: what it held and bought, at the price before.
                coalitionState.holdingsValueUSD = Double(coalitionState.genesisCairn + coalitionState.swapCairnOut) / Double(unit) * p0
                _ = liquid
            } else {
                coalitionState.phase = .buying
            }
        case .captured, .brokeOff:
            return
        }
    }
}
