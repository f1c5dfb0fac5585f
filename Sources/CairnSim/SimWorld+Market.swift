import CairnPrimitives
import CairnLedger
import CairnStaking
import CairnMarket
import Foundation
import CairnBank
import CairnGovernance
import CairnModels
import CairnExchange
import CairnApp

extension SimWorld {
    /// Provider `i` bonds its stake (buying it through the pool unless it holds it) and registers.
    func joinProvider(_ i: Int, buy: Bool) {
        var p = providers[i]
        let stake = UInt128(params["minProviderStake"]) * unit * 12 / 10
        var msgs: [any LedgerMessage] = []
        if buy {
            let usd = chain.balance(p.account.address, usdDenom)
            msgs.append(buyCairn(exactly: stake, maxUSD: usd))
        }
        p.priceUcairn = providerPrice(p)
        let spec = ProviderSpec(endpoint: "https://\(p.account.name).sim.cairn", hardware: Hardware(cpuCores: 32, memoryBytes: 256 << 30, gpus: 1, gpuModel: "sim-gpu"),
                                models: modelIDs.map { ModelPrice(modelID: $0, promptPerMillion: Amount(p.priceUcairn), completionPerMillion: Amount(p.priceUcairn),
                                                                  embeddingPerMillion: Amount(p.priceUcairn)) })
        msgs.append(MsgCreateProvider(OperatorSpec(moniker: p.account.name, commissionBps: 500, publicKey: p.account.key.publicKey, selfBond: Amount(stake))))
        msgs.append(MsgRegisterProvider(spec))
        chain.submit(p.account, msgs, tag: "join:\(i)")
        p.status = .active
        p.joinedDay = buy ? day : -1 // genesis providers serve from day 0
        p.registeredPrice = p.priceUcairn
        providers[i] = p
    }

    /// The price a provider asks, ucairn per million tokens: unit cost at its expected utilization, plus its markup.
    func providerPrice(_ p: ProviderAgent) -> UInt128 {
        let years = Double(day) / 365.25
        let f = scenario.costFactors(years: years)
        let u = max(0.5, min(1, p.averageUtilization(days: 7)))
        let dailyCost = p.hardwareUSDPerDay * f.hardware + p.energyUSDPerDay * f.energy * (0.3 + 0.7 * u)
        let perMillionUSD = dailyCost / (p.capacityTokensPerDay * u / 1_000_000) * (1 + p.markup)
        return max(1, ucairn(usd: perMillionUSD))
    }

    /// A prospective provider enters when the market's median margin and its unmet demand say it pays.
    func considerEntry() {
        guard day > 14, let last = rows.last else { return }
        let active = providers.filter { $0.status == .active }
        let margins = active.compactMap { $0.margin(days: 30) }.sorted()
        guard !margins.isEmpty else { return }
        let median = margins[margins.count / 2]
        let util = active.reduce(0.0) { $0 + $1.averageUtilization(days: 7) } / Double(max(active.count, 1))
        guard median > 0.15, last.unservedShare > 0.05 || util > 0.85, market.chance(0.5) else { return }
        if let i = providers.firstIndex(where: { $0.status == .prospective }) { joinProvider(i, buy: true) }
    }

    /// Each client keeps a funded channel to every provider it can afford: opens, tops up, closes those that left,
    /// buying the CAIRN it needs through the pool first, all in one transaction.
    func fundChannels() {
        let price = twapUSD
        for c in clients.indices {
            var client = clients[c]
            var msgs: [any LedgerMessage] = []
            var need: UInt128 = 0
            var opens: [Int] = []
            var deposits: [Int: UInt128] = [:]
            // A provider that joins in this very block is left for tomorrow: its registration might fail.
            let affordable = providers.indices.filter {
                providers[$0].status == .active && providers[$0].joinedDay < day && usdPerMillion(providers[$0]) <= client.wtpUSD
            }
            let demand = today.demand * client.share
            for p in client.channels.keys.sorted() where providers[p].status != .active && !client.channels[p]!.closing {
                msgs.append(MsgCloseChannel(channelID: client.channels[p]!.id))
                client.channels[p]!.closing = true
            }
            let capacity = affordable.reduce(0.0) { $0 + providers[$1].capacityTokensPerDay }
            for p in affordable {
                let expectedTokens = demand * providers[p].capacityTokensPerDay / max(capacity, 1)
                let daily = max(UInt128(expectedTokens * Double(providers[p].priceUcairn) / 1_000_000),
                                client.channels[p]?.spentYesterday ?? 0)
                guard daily > 0 else { continue }
                if let ch = client.channels[p] {
                    guard !ch.closing else { continue }
                    let left = ch.deposit - ch.cumulative
                    if left < 3 * daily {
                        let top = 7 * daily
                        msgs.append(MsgTopUpChannel(channelID: ch.id, amount: Amount(top)))
                        client.channels[p]!.deposit += top
                        need += top
                    }
                } else {
                    let deposit = 7 * daily
                    msgs.append(MsgOpenChannel(provider: providers[p].account.address, deposit: Amount(deposit), voucherKey: client.voucherKey.publicKey))
                    opens.append(p)
                    deposits[p] = deposit
                    need += deposit
                }
            }
            guard !msgs.isEmpty else { continue }
            let have = spendable(client.account.address)
            if need > have {
                let usd = chain.balance(client.account.address, usdDenom)
                msgs.insert(buyCairn(exactly: (need - have) * 101 / 100, maxUSD: usd), at: 0)
            }
            _ = price
            pendingOpens[c] = opens
            openDeposit[c] = deposits
            chain.submit(client.account, msgs, tag: "client:\(c)")
            clients[c] = client
        }
    }

    /// USD per million tokens a provider asks at the TWAP.
    func usdPerMillion(_ p: ProviderAgent) -> Double { Double(p.priceUcairn) / Double(unit) * twapUSD }

    /// The day's service, after the funding block: each client's demand goes to the cheapest providers under its
    /// willingness to pay, up to their capacity and its channels' escrow; the vouchers are signed for the day.
    func serveDemand() throws {
        // A client whose funding failed keeps only the escrow it had: take the chain's word for the deposits.
        for c in clients.indices {
            for (p, ch) in clients[c].channels {
                if let view = try LedgerWiring.market.channelView(ch.id, state: chain.store) { clients[c].channels[p]!.deposit = view.deposit.value }
            }
        }
        var order = providers.indices.filter { providers[$0].status == .active }
        let noise = Dictionary(uniqueKeysWithValues: order.map { ($0, market.uniform(0.97, 1.03)) })
        order.sort { Double(providers[$0].priceUcairn) * noise[$0]! < Double(providers[$1].priceUcairn) * noise[$1]! }
        var capacity = Dictionary(uniqueKeysWithValues: order.map { ($0, providers[$0].capacityTokensPerDay * market.uniform(0.9, 1.0)) })
        let shares = modelShares()
        var served = 0.0
        for c in clients.indices.sorted(by: { clients[$0].wtpUSD > clients[$1].wtpUSD }) {
            var remaining = today.demand * clients[c].share
            clients[c].demandToday = remaining
            let usable = order.filter { usdPerMillion(providers[$0]) <= clients[c].wtpUSD && clients[c].channels[$0].map { !$0.closing } == true }
            guard let cheapest = usable.first else { continue }
            // Demand spreads over the affordable providers, weighted towards the cheaper (latency, reliability and habit
            // keep it from all going to the cheapest), then what is left goes to the cheapest with room.
            let weights = usable.map { pow(Double(providers[cheapest].priceUcairn) / Double(providers[$0].priceUcairn), 6) }
            let total = weights.reduce(0, +)
            let wanted = remaining
            for pass in 0..<2 {
                for (k, p) in usable.enumerated() where remaining > 0 {
                    let target = pass == 0 ? wanted * weights[k] / total : remaining
                    let tokens = serve(client: c, provider: p, tokens: min(target, capacity[p]!), shares: shares)
                    capacity[p]! -= tokens
                    remaining -= tokens
                    served += tokens
                }
            }
        }
        today.served = served
    }

    /// Serves `tokens` (at most what the channel's escrow covers) from `provider` to `client`: the cost goes into the
    /// channel's cumulative total, split over the models by demand share. Returns the tokens served.
    func serve(client c: Int, provider p: Int, tokens wanted: Double, shares: [Double]) -> Double {
        guard var ch = clients[c].channels[p] else { return 0 }
        let price = providers[p].priceUcairn
        let escrowTokens = Double(ch.deposit - ch.cumulative) / Double(price) * 1_000_000
        let tokens = min(wanted, escrowTokens).rounded(.down)
        guard tokens >= 1_000 else { return 0 }
        let cost = UInt128(tokens) * price / 1_000_000
        guard cost > 0 else { return 0 }
        // The first model takes the rounding.
        var parts = shares.map { UInt128(Double(cost) * $0) }
        parts[0] += cost - parts.reduce(0, +)
        for (m, part) in parts.enumerated() where part > 0 {
            let id = modelIDs[m]
            ch.perModel[id, default: 0] += part
            let t = UInt64(tokens * shares[m])
            let u = ch.usage[id] ?? (0, 0)
            ch.usage[id] = (u.tokens + max(t, 1), u.requests + max(t / 500, 1))
        }
        ch.cumulative += cost
        ch.spentToday += cost
        clients[c].channels[p] = ch
        providers[p].servedToday += tokens
        return tokens
    }

    /// The client's voucher for everything served on its channel to `provider` so far, signed now (a client signs
    /// one per request; only the latest counts, so the simulator signs the one the provider is about to claim).
    func signedVoucher(client c: Int, provider p: Int) -> SignedVoucher? {
        guard let ch = clients[c].channels[p], ch.cumulative > 0 else { return nil }
        let voucher = Voucher(channelID: ch.id, cumulative: Amount(ch.cumulative),
                              perModel: ch.perModel.keys.sorted().compactMap { k in ch.perModel[k]! > 0 ? ModelAmount(modelID: k, amount: Amount(ch.perModel[k]!)) : nil },
                              usage: ch.usage.keys.sorted().map { k in ModelUsage(modelID: k, tokens: ch.usage[k]!.tokens, requests: ch.usage[k]!.requests) })
        return voucher.signed(by: clients[c].voucherKey, chainID: chain.chainID)
    }

    /// A provider's turn: claim one client's channel a day in turn (every channel when leaving), sell CAIRN to pay the
    /// day's costs, and once a week withdraw its staking rewards, reprice, and leave if its margin has stayed below what
    /// it bears.
    func providerAct(_ i: Int, weekday: Int) {
        var p = providers[i]
        var msgs: [any LedgerMessage] = []
        let leaving = weekday == p.weekday && day - p.joinedDay >= 90 && (p.margin(days: 60).map { $0 < p.patience } ?? false)
        for c in clients.indices where leaving || (day + i + c) % clients.count == 0 {
            guard let ch = clients[c].channels[i], ch.cumulative > p.lastClaimed[ch.id, default: 0],
                  let v = signedVoucher(client: c, provider: i) else { continue }
            msgs.append(MsgClaim(voucher: v))
            p.lastClaimed[ch.id] = ch.cumulative
        }
        let years = Double(day) / 365.25
        let f = scenario.costFactors(years: years)
        let costUSD = p.hardwareUSDPerDay * f.hardware + p.energyUSDPerDay * f.energy * (0.3 + 0.7 * min(1, p.servedToday / p.capacityTokensPerDay))
        let sell = min(ucairn(usd: costUSD), spendable(p.account.address))
        if sell > unit { msgs.append(swapIn(Denom.native, sell)) }
        if weekday == p.weekday {
            msgs.append(MsgWithdrawRewards(operator: p.account.address))
            p.priceUcairn = providerPrice(p)
            let u = p.averageUtilization(days: 7)
            if u > 0.9 { p.markup = min(1, p.markup + 0.03) } else if u < 0.5 { p.markup = max(-0.3, p.markup - 0.05) }
            let moved = Double(p.priceUcairn) / Double(max(p.registeredPrice, 1))
            if moved > 1.03 || moved < 0.97 {
                let spec = ProviderSpec(endpoint: "https://\(p.account.name).sim.cairn", hardware: Hardware(cpuCores: 32, memoryBytes: 256 << 30, gpus: 1, gpuModel: "sim-gpu"),
                                        models: modelIDs.map { ModelPrice(modelID: $0, promptPerMillion: Amount(p.priceUcairn), completionPerMillion: Amount(p.priceUcairn),
                                                                          embeddingPerMillion: Amount(p.priceUcairn)) })
                msgs.append(MsgUpdateProvider(spec))
                p.registeredPrice = p.priceUcairn
            }
            if leaving {
                msgs.append(MsgDeregisterProvider())
                if let view = try? LedgerWiring.staking.delegationViews(of: p.account.address, state: chain.store).first(where: { $0.operator == p.account.address }) {
                    msgs.append(MsgUndelegate(operator: p.account.address, amount: view.tokens))
                }
                p.status = .exited
            }
        }
        providers[i] = p
        if !msgs.isEmpty { chain.submit(p.account, msgs, tag: "provider:\(i)") }
    }

    /// The providers' day in USD: revenue (claims and rewards) at the TWAP, costs by utilization.
    func closeProviderDay() {
        let years = Double(day) / 365.25
        let f = scenario.costFactors(years: years)
        for i in providers.indices where providers[i].status == .active {
            var p = providers[i]
            let u = min(1, p.servedToday / p.capacityTokensPerDay)
            p.utilization.append(u)
            p.costUSD.append(p.hardwareUSDPerDay * f.hardware + p.energyUSDPerDay * f.energy * (0.3 + 0.7 * u))
            p.revenueUSD.append(Double(p.revenueTodayUcairn) / Double(unit) * twapUSD)
            for k in [\ProviderAgent.utilization, \.costUSD, \.revenueUSD] where p[keyPath: k].count > 60 { p[keyPath: k].removeFirst() }
            p.servedToday = 0
            p.revenueTodayUcairn = 0
            providers[i] = p
        }
        for c in clients.indices {
            for p in clients[c].channels.keys {
                clients[c].channels[p]!.spentYesterday = clients[c].channels[p]!.spentToday
                clients[c].channels[p]!.spentToday = 0
            }
        }
    }
}
