import CairnPrimitives
import CairnLedger
import CairnStaking
import CairnGovernance
import CairnExchange
import CairnApp
import Foundation
import CairnBank
import CairnModels
import CairnMarket

struct WhaleState {
    var usdSpent = 0.0
    var created = false
    var startPrice = 0.0
}

extension SimWorld {
    /// The staking yield a holder expects now: this year's rate over the bonded share, less tax and commission.
    func stakingYield() -> Double {
        guard let pools = try? LedgerWiring.staking.pools(state: chain.store), pools.bonded.value > 0 else { return 0 }
        let supply = Double((try? chain.bank.supply(Denom.native, state: chain.store).value) ?? 0)
        let burned = Double((try? chain.bank.burned(Denom.native, state: chain.store).value) ?? 0)
        let rate = Double(SimClosedForm.rate(year: chain.height / chain.stakingParams.blocksPerYear, params: chain.stakingParams)) / 1e8
        return rate * (supply - burned) / Double(pools.bonded.value) * (1 - params["communityTaxBps"] / 10_000) * 0.92
    }

    /// The price's change over the last 30 days (0 when the run is younger).
    func priceTrend(days n: Int) -> Double {
        guard rows.count > n else { return 0 }
        return rows[rows.count - 1].priceUSD / max(rows[rows.count - 1 - n].priceUSD, 1e-9) - 1
    }

    func validatorAct(_ i: Int, weekday: Int) {
        var v = validators[i]
        var msgs: [any LedgerMessage] = []
        if weekday == v.weekday {
            // Sells half of last week's rewards (running a validator costs money), then withdraws this week's.
            let sell = min(v.lastWithdrawn / 2, spendable(v.account.address))
            if sell > unit { msgs.append(swapIn(Denom.native, sell)) }
            msgs.append(MsgWithdrawRewards(operator: v.account.address))
        }
        for id in activeProposals() where !v.voted.contains(id) {
            v.voted.insert(id)
            if v.rng.chance(v.turnout) { msgs.append(MsgVote(proposalID: id, option: .noWithVeto)) }
        }
        validators[i] = v
        if !msgs.isEmpty { chain.submit(v.account, msgs, tag: "validator:\(i)") }
    }

    func delegatorAct(_ i: Int) {
        var d = delegators[i]
        let trend = priceTrend(days: 30)
        let required = d.requiredYield + (trend < -0.3 ? 0.05 : 0)
        let yield = stakingYield()
        let liquid = spendable(d.account.address)
        var msgs: [any LedgerMessage] = []
        if yield > required, liquid > 1_000 * unit {
            msgs.append(MsgDelegate(operator: pickValidator(&d.rng), amount: Amount(liquid / 2)))
        } else if yield < required - 0.01,
                  let biggest = (try? LedgerWiring.staking.delegationViews(of: d.account.address, state: chain.store))?.max(by: { $0.tokens < $1.tokens }),
                  biggest.tokens.value > 1_000 * unit {
            msgs.append(MsgUndelegate(operator: biggest.operator, amount: Amount(biggest.tokens.value / 4)))
        }
        if trend < -0.3, liquid > 1_000 * unit, d.rng.chance(0.5) { msgs.append(swapIn(Denom.native, liquid / 5)) }
        // Profit-taking: after a 50% rise over 90 days, sell a fifth of what is liquid and unbond a tenth of the largest stake.
        if priceTrend(days: 90) > 0.5, d.rng.chance(0.5) {
            if liquid > 1_000 * unit { msgs.append(swapIn(Denom.native, liquid / 5)) }
            if let biggest = (try? LedgerWiring.staking.delegationViews(of: d.account.address, state: chain.store))?.max(by: { $0.tokens < $1.tokens }),
               biggest.tokens.value > 1_000 * unit, !msgs.contains(where: { $0 is MsgUndelegate }) {
                msgs.append(MsgUndelegate(operator: biggest.operator, amount: Amount(biggest.tokens.value / 10)))
            }
        }
        for id in activeProposals() where !d.voted.contains(id) {
            d.voted.insert(id)
            if d.rng.chance(0.1) { msgs.append(MsgVote(proposalID: id, option: .no)) }
        }
        delegators[i] = d
        if !msgs.isEmpty { chain.submit(d.account, msgs, tag: "delegator:\(i)") }
    }

    /// Weekly: add a third of its holdings when the pool's fee yield beats what it asks, remove a third of its shares
    /// when the yield is under half of it.
    func liquidityAct(_ i: Int) {
        let lp = lps[i]
        let r = reserves()
        guard r.usd > 0 else { return }
        let weekVolume = rows.suffix(7).reduce(0.0) { $0 + $1.swapVolumeUSD }
        let feeYield = weekVolume * params["swapFeeBps"] / 10_000 * 52 / (2 * Double(r.usd) / Double(unit))
        let shareDenom = Pool.shareDenom(poolID)
        if feeYield > lp.requiredYield {
            let cairn = spendable(lp.account.address) / 3
            let usd = chain.balance(lp.account.address, usdDenom) / 3
            guard cairn > unit, usd > unit else { return }
            chain.submit(lp.account, [MsgAddLiquidity(poolID: poolID, amount0: Amount(cairn), amount1: Amount(usd), minShares: Amount(1), deadline: 0)],
                         tag: "lp:\(i)")
        } else if feeYield < lp.requiredYield / 2, i > 0 {
            // lp-0 is the protocol's own liquidity: it never withdraws.
            let shares = chain.balance(lp.account.address, shareDenom) / 3
            guard shares > 0 else { return }
            chain.submit(lp.account, [MsgRemoveLiquidity(poolID: poolID, shares: Amount(shares), minAmount0: .zero, minAmount1: .zero, deadline: 0)],
                         tag: "lp:\(i)")
        }
    }

    /// Daily, with probability 0.4: a trade of a few thousand USD with the week's trend (against it when contrarian).
    func speculatorAct(_ i: Int) {
        var s = speculators[i]
        defer { speculators[i] = s }
        guard s.rng.chance(0.4) else { return }
        let trend = priceTrend(days: 7)
        let buy = (trend >= 0) != s.contrarian
        let usd = 5_000 * s.rng.lognormal(0.8)
        if buy {
            let amount = min(UInt128(usd * Double(unit)), chain.balance(s.account.address, usdDenom))
            if amount > unit { chain.submit(s.account, [swapIn(usdDenom, amount)], tag: "speculator:\(i)") }
        } else {
            let amount = min(ucairn(usd: usd), spendable(s.account.address))
            if amount > unit { chain.submit(s.account, [swapIn(Denom.native, amount)], tag: "speculator:\(i)") }
        }
    }

    /// The arbitrageur closes 60% of the gap (in log price) between the pool and the outside market.
    func arbitrage() {
        let r = reserves()
        guard r.cairn > 0, r.usd > 0 else { return }
        let spot = Double(r.usd) / Double(r.cairn)
        let target = spot * pow(today.outsidePrice / spot, 0.6)
        let fee = 1 - params["swapFeeBps"] / 10_000
        let k = Double(r.cairn) * Double(r.usd)
        if target > spot * 1.005 {
            let usdIn = ((k * target).squareRoot() - Double(r.usd)) / fee
            let amount = min(UInt128(max(usdIn, 0)), chain.balance(arb.address, usdDenom))
            if amount > unit { chain.submit(arb, [swapIn(usdDenom, amount)], tag: "arb") }
        } else if target < spot * 0.995 {
            let cairnIn = ((k / target).squareRoot() - Double(r.cairn)) / fee
            let amount = min(UInt128(max(cairnIn, 0)), spendable(arb.address))
            if amount > unit { chain.submit(arb, [swapIn(Denom.native, amount)], tag: "arb") }
        }
    }

    /// The whale buys $25,000 of CAIRN a day from day 90 to day 455 and bonds it behind a validator of its own.
    func whaleAct() {
        guard scenario == .whale, (90...455).contains(day) else { return }
        if whaleState.startPrice == 0 { whaleState.startPrice = spotUSD() }
        var msgs: [any LedgerMessage] = []
        let liquid = spendable(whale.address)
        if !whaleState.created, liquid > 10 * unit {
            msgs.append(MsgCreateValidator(OperatorSpec(moniker: "whale", commissionBps: 500, publicKey: whale.key.publicKey, selfBond: Amount(liquid))))
            whaleState.created = true
        } else if whaleState.created, liquid > unit {
            msgs.append(MsgDelegate(operator: whale.address, amount: Amount(liquid)))
        }
        let usd = min(25_000 * unit, chain.balance(whale.address, usdDenom))
        if usd > 0 {
            msgs.append(swapIn(usdDenom, usd))
            whaleState.usdSpent += Double(usd) / Double(unit)
        }
        if !msgs.isEmpty { chain.submit(whale, msgs, tag: "whale") }
    }
}
