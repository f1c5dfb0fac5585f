import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp

extension SimWorld {
    /// The scenario's verdicts, read from the daily rows and the adversaries' books.
    func verdicts() -> [Verdict] {
        var out: [Verdict] = []
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        /// The lowest 30-day average of the median margin over `range` (in years).
        func lowestMedianMargin(_ range: Range<Double>) -> Double? {
            let window = rows.filter { range.contains(Double($0.day) / 365.25) && $0.providersActive > 0 }.map(\.marginP50)
            guard window.count >= 30 else { return window.isEmpty ? nil : mean(window) }
            return (0...(window.count - 30)).map { mean(Array(window[$0..<($0 + 30)])) }.min()
        }
        let lastYear = Array(rows.suffix(365))
        let m = mean(lastYear.map(\.marginP50))
        out.append(Verdict(name: "provider_median_margin_last_year", value: m, ok: m > 0,
                           detail: "mean of the daily median 7-day provider margin ((revenue - cost) / cost) over the last 365 days"))
        out.append(Verdict(name: "unserved_demand_share", value: mean(rows.map(\.unservedShare)), ok: nil, detail: "mean daily share of demand not served"))
        out.append(Verdict(name: "providers_active_end", value: Double(rows.last?.providersActive ?? 0), ok: nil, detail: "providers active on the last day"))
        out.append(Verdict(name: "staking_ratio_end", value: rows.last?.stakingRatio ?? 0, ok: nil, detail: "bonded / circulating on the last day"))
        out.append(Verdict(name: "nakamoto_end", value: Double(rows.last?.nakamoto ?? 0), ok: (rows.last?.nakamoto ?? 0) >= 3,
                           detail: "fewest validators holding over 1/3 of bonded stake on the last day (ok: at least 3)"))
        out.append(Verdict(name: "treasury_end_cairn", value: rows.last?.treasury ?? 0, ok: nil, detail: "treasury balance on the last day"))
        out.append(Verdict(name: "price_end_usd", value: rows.last?.priceUSD ?? 0, ok: nil, detail: "pool price on the last day"))
        switch scenario {
        case .bear:
            if let low = lowestMedianMargin(1.5..<3) {
                out.append(Verdict(name: "bear_lowest_30d_median_margin", value: low, ok: low > 0,
                                   detail: "lowest 30-day mean of the providers' median margin at the bottom of the bear market (years 1.5 to 3)"))
            }
            let before = rows.filter { (0.75..<1).contains(Double($0.day) / 365.25) }.map { Double($0.providersActive) }
            let bottom = rows.filter { (2.5..<3).contains(Double($0.day) / 365.25) }.map { Double($0.providersActive) }
            if !before.isEmpty, !bottom.isEmpty {
                out.append(Verdict(name: "bear_providers_kept", value: mean(bottom) / max(mean(before), 1), ok: nil,
                                   detail: "providers active late in the bear over those active before it"))
            }
        case .costSpike:
            if let low = lowestMedianMargin(1..<2.5) {
                out.append(Verdict(name: "spike_lowest_30d_median_margin", value: low, ok: low > 0,
                                   detail: "lowest 30-day mean of the providers' median margin while costs are high (years 1 to 2.5)"))
            }
        case .whale:
            let share = rows.map(\.adversaryBondedShare).max() ?? 0
            out.append(Verdict(name: "whale_max_bonded_share", value: share, ok: share < 1.0 / 3,
                               detail: "largest share of bonded stake behind the whale's validator (ok: under 1/3, it cannot halt the chain alone)"))
            out.append(Verdict(name: "whale_usd_spent", value: whaleState.usdSpent, ok: nil, detail: "USD the whale spent through the pool"))
            if rows.count > 455, whaleState.startPrice > 0 {
                out.append(Verdict(name: "whale_price_change", value: rows[455].priceUSD / whaleState.startPrice - 1, ok: nil,
                                   detail: "pool price change over the accumulation (day 90 to 455)"))
                out.append(Verdict(name: "whale_nakamoto_before", value: Double(rows[89].nakamoto), ok: nil,
                                   detail: "Nakamoto coefficient of validators on day 89, before the accumulation"))
                out.append(Verdict(name: "whale_nakamoto_after", value: Double(rows[455].nakamoto), ok: nil,
                                   detail: "Nakamoto coefficient on day 455, when it ends"))
            }
        case .governanceCapture:
            let c = coalitionState
            let captured = c.capturedDay != nil
            out.append(Verdict(name: "treasury_captured", value: captured ? 1 : 0, ok: !captured,
                               detail: captured ? "captured on day \(c.capturedDay!) after \(c.attempts.count) proposals" :
                                   "not captured in \(c.attempts.count) proposals (\(c.phase == .brokeOff ? "budget spent" : "run ended"))"))
            if let last = c.attempts.last {
                out.append(Verdict(name: "capture_supply_share", value: last.supplyShare, ok: nil,
                                   detail: "share of the supply the coalition held at its last vote (\(last.status))"))
                out.append(Verdict(name: "capture_bonded_share", value: last.bondedShare, ok: nil, detail: "its share of bonded stake then"))
            }
            out.append(Verdict(name: "attack_usd_spent", value: Double(c.swapUSDIn) / 1e6, ok: nil, detail: "USD it paid the pool, in all"))
            if captured {
                out.append(Verdict(name: "attack_cost_usd", value: c.costUSD, ok: nil,
                                   detail: "the premium its purchases paid over the pool's price before the attack, plus the deposits burned by vetoes, in USD"))
                out.append(Verdict(name: "attack_capital_usd", value: c.holdingsValueUSD, ok: nil,
                                   detail: "the stake it held and bought, at the price before the attack: the capital exposed to a crash after the theft"))
                out.append(Verdict(name: "attack_gain_usd", value: c.gainUSD, ok: nil, detail: "the treasury paid out, at the price before the attack"))
                out.append(Verdict(name: "attack_profitable", value: c.gainUSD - c.costUSD, ok: c.gainUSD <= c.costUSD, detail: "gain minus cost (ok: not profitable)"))
            }
        case .royaltyZipf:
            let totals = modelIDs.map { Double(royaltiesByModel[$0] ?? 0) }
            let sum = totals.reduce(0, +)
            let sorted = totals.sorted(by: >)
            if sum > 0 {
                out.append(Verdict(name: "royalty_top1_share", value: sorted[0] / sum, ok: nil, detail: "share of all royalties earned by the top model's owner"))
                out.append(Verdict(name: "royalty_top3_share", value: sorted.prefix(3).reduce(0, +) / sum, ok: nil, detail: "share of the top three"))
                let asc = sorted.reversed()
                let n = Double(asc.count)
                let weighted = asc.enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * $1.element }
                out.append(Verdict(name: "royalty_gini", value: 2 * weighted / (n * sum) - (n + 1) / n, ok: nil, detail: "Gini of royalties over model owners"))
                out.append(Verdict(name: "demand_top1_share", value: modelShares()[0], ok: nil, detail: "the top model's share of demand (Zipf s = 1.1)"))
            }
        case .baseline:
            break
        }
        return out
    }
}
