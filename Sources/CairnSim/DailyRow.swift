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

/// One simulated day's figures: a row of `daily.csv`.
struct DailyRow {
    var run = ""
    var day = 0
    var supply = 0.0, minted = 0.0, burned = 0.0
    var burnedBaseFee = 0.0, burnedProtocolFee = 0.0, burnedBuybackProtocol = 0.0, burnedBuybackTreasury = 0.0, burnedGov = 0.0, burnedSlash = 0.0
    var inflation = 0.0, stakingRatio = 0.0, baseFee = 0.0, treasury = 0.0
    var providersActive = 0
    var providerRevenueCairn = 0.0, providerRevenueUSD = 0.0
    var costP10 = 0.0, costP50 = 0.0, costP90 = 0.0
    var marginP10 = 0.0, marginP50 = 0.0, marginP90 = 0.0
    var demand = 0.0, served = 0.0, unservedShare = 0.0, priceUSDPerMillion = 0.0
    var priceUSD = 0.0, twapUSD = 0.0, outsidePriceUSD = 0.0, poolCairn = 0.0, poolUSD = 0.0, swapVolumeUSD = 0.0
    var nakamoto = 0, gini = 0.0, top10 = 0.0
    var votes = 0, royalties = 0.0, adversaryBondedShare = 0.0

    static let header = [
        "run", "day", "supply_cairn", "minted_cairn", "burned_cairn", "burned_base_fee", "burned_protocol_fee", "burned_buyback_protocol_fee",
        "burned_buyback_treasury", "burned_gov_deposits", "burned_slashing", "inflation_annualized", "staking_ratio", "base_fee_ucairn_per_gas",
        "treasury_cairn", "providers_active", "provider_revenue_cairn", "provider_revenue_usd", "cost_usd_p10", "cost_usd_p50", "cost_usd_p90",
        "margin_p10", "margin_p50", "margin_p90", "demand_tokens", "served_tokens", "unserved_share", "price_usd_per_million_tokens_p50",
        "price_usd", "twap_usd", "outside_price_usd", "pool_cairn", "pool_usd", "swap_volume_usd", "nakamoto_coefficient", "gini_stake",
        "top10_stake_share", "votes", "royalties_cairn", "adversary_bonded_share",
    ]

    var fields: [String] {
        func f(_ v: Double, _ p: Int = 6) -> String { SimFormat.fixed(v, p) }
        return [run, "\(day)", f(supply, 2), f(minted, 2), f(burned, 2), f(burnedBaseFee, 2), f(burnedProtocolFee, 2), f(burnedBuybackProtocol, 2),
                f(burnedBuybackTreasury, 2), f(burnedGov, 2), f(burnedSlash, 2), f(inflation), f(stakingRatio), f(baseFee, 0), f(treasury, 2),
                "\(providersActive)", f(providerRevenueCairn, 2), f(providerRevenueUSD, 2), f(costP10, 2), f(costP50, 2), f(costP90, 2),
                f(marginP10, 4), f(marginP50, 4), f(marginP90, 4), f(demand, 0), f(served, 0), f(unservedShare, 4), f(priceUSDPerMillion, 4),
                f(priceUSD), f(twapUSD), f(outsidePriceUSD), f(poolCairn, 2), f(poolUSD, 2), f(swapVolumeUSD, 2), "\(nakamoto)", f(gini, 4),
                f(top10, 4), "\(votes)", f(royalties, 2), f(adversaryBondedShare, 4)]
    }
}

func percentile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q + 0.5))]
}

extension SimWorld {
    /// Closes the day: providers' books, the TWAP, the outside market's memory, the daily audit and the row.
    func endDay() throws {
        markPrice()
        closeProviderDay()
        let spot = spotUSD()
        // The outside market keeps a fifth of the pool's departure from it (in log price), and forgets 3% of what it kept
        // each day: lasting buying or selling moves both, and the scenario's path pulls them back.
        outsideMemory = pow(outsideMemory, 0.97) * pow(spot / max(today.outsidePrice, 1e-9), 0.2)
        try chain.fullAudit()
        let c = 1.0 / Double(unit)
        var row = DailyRow()
        row.run = variant.map { "\(scenario.rawValue)/\($0.rawValue)" } ?? scenario.rawValue
        row.day = day
        let supply = try chain.bank.supply(Denom.native, state: chain.store).value
        let burned = try chain.bank.burned(Denom.native, state: chain.store).value
        row.supply = Double(supply - burned) * c
        row.minted = Double(today.minted) * c
        row.burnedBaseFee = Double(today.feeBurn) * c
        row.burnedProtocolFee = Double(today.marketBurn) * c
        row.burnedBuybackProtocol = Double(today.buybackProtocol) * c
        row.burnedBuybackTreasury = Double(today.buybackTreasury) * c
        row.burnedGov = Double(today.govBurn) * c
        row.burnedSlash = Double(today.slashBurn) * c
        row.burned = row.burnedBaseFee + row.burnedProtocolFee + row.burnedBuybackProtocol + row.burnedBuybackTreasury + row.burnedGov + row.burnedSlash
        row.inflation = (row.minted - row.burned) / max(row.supply, 1) * 365.25
        let pools = try LedgerWiring.staking.pools(state: chain.store)
        row.stakingRatio = Double(pools.bonded.value) * c / max(row.supply, 1)
        row.baseFee = Double(try chain.ledger.baseFee(state: chain.store).value)
        row.treasury = Double(chain.cairn(ModuleAccount.treasury)) * c
        let active = providers.filter { $0.status == .active }
        row.providersActive = active.count
        row.providerRevenueUSD = active.reduce(0.0) { $0 + ($1.revenueUSD.last ?? 0) }
        row.providerRevenueCairn = row.providerRevenueUSD / max(twapUSD, 1e-9)
        let costs = active.compactMap(\.costUSD.last).sorted()
        (row.costP10, row.costP50, row.costP90) = (percentile(costs, 0.1), percentile(costs, 0.5), percentile(costs, 0.9))
        let margins = active.compactMap { $0.margin(days: 7) }.sorted()
        (row.marginP10, row.marginP50, row.marginP90) = (percentile(margins, 0.1), percentile(margins, 0.5), percentile(margins, 0.9))
        row.demand = today.demand
        row.served = today.served
        row.unservedShare = today.demand > 0 ? max(0, 1 - today.served / today.demand) : 0
        row.priceUSDPerMillion = percentile(active.map { usdPerMillion($0) }.sorted(), 0.5)
        row.priceUSD = spot
        row.twapUSD = twapUSD
        row.outsidePriceUSD = today.outsidePrice
        let r = reserves()
        row.poolCairn = Double(r.cairn) * c
        row.poolUSD = Double(r.usd) * c
        row.swapVolumeUSD = today.swapVolumeUSD
        let ops = try LedgerWiring.staking.operatorRecords(state: chain.store).filter { $0.record.kind == .validator && !$0.record.jailed }
        let stake = Decentralization(stakes: ops.map(\.record.tokens))
        row.nakamoto = stake.nakamotoOneThird
        row.gini = stake.gini
        row.top10 = stake.top10Share
        row.votes = today.votes
        row.royalties = Double(today.royalties) * c
        if scenario == .whale {
            row.adversaryBondedShare = Double(ops.first { $0.address == whale.address }?.record.tokens.value ?? 0) / Double(max(pools.bonded.value, 1))
        } else if !coalition.isEmpty {
            row.adversaryBondedShare = Double(coalitionHoldings().bonded) / Double(max(pools.bonded.value, 1))
        }
        rows.append(row)
    }
}
