import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp
import Foundation

/// ucairn per CAIRN and uusd per USD.
let unit: UInt128 = 1_000_000
let usdDenom = "uusd"

/// One simulation: the ledger, the agents and the day's figures, run day by day, block by block.
final class SimWorld {
    let scenario: Scenario
    let variant: GovVariant?
    let params: SimParameters
    let seed: UInt64
    let chain: SimChain
    let blocksPerDay: Int
    let days: Int
    let startPrice = 0.10
    var market: SimRandom
    var validators: [ValidatorAgent] = []
    var delegators: [DelegatorAgent] = []
    var providers: [ProviderAgent] = []
    var clients: [ClientAgent] = []
    var lps: [LiquidityAgent] = []
    var speculators: [SpeculatorAgent] = []
    var creators: [SimAccount] = []
    var modelIDs: [UInt64] = []
    var modelWeights: [Double] = []
    let arb = SimAccount("arbitrageur")
    let whale = SimAccount("whale")
    var coalition: [SimAccount] = []
    var coalitionState = CoalitionState()
    var whaleState = WhaleState()
    let poolID: UInt64 = 1
    /// The outside market's memory of the pool's moves (1: none); it fades by 3% a day.
    var outsideMemory = 1.0
    var today = DayTotals()
    var rows: [DailyRow] = []
    var day = 0
    var failedTx: [String: Int] = [:]
    /// Failed or dropped transactions by agent kind and ledger error (`provider market/14`).
    var failureReasons: [String: Int] = [:]
    var royaltiesByModel: [UInt64: UInt128] = [:]
    var pendingOpens: [Int: [Int]] = [:]
    /// The pool's accumulator at the end of each of the last days (time, price0 cumulative), for TWAPs.
    var priceMarks: [(time: UInt64, cumulative: UInt256)] = []
    var twapUSD: Double
    var mintedTotal: UInt128 = 0

    init(scenario: Scenario, variant: GovVariant?, params: SimParameters, seed: UInt64, years: Double, blockInterval: UInt64) throws {
        self.scenario = scenario
        self.variant = variant
        self.params = params
        self.seed = seed
        blocksPerDay = Int(86_400 / blockInterval)
        days = max(1, Int((years * 365.25).rounded()))
        market = SimRandom(seed: seed, name: "market")
        twapUSD = startPrice
        let cast = Self.makeCast(scenario: scenario, params: params, seed: seed, blocksPerDay: blocksPerDay)
        validators = cast.validators
        delegators = cast.delegators
        providers = cast.providers
        clients = cast.clients
        lps = cast.lps
        speculators = cast.speculators
        creators = cast.creators
        coalition = cast.coalition
        let (genesis, staking) = try Self.genesis(cast: cast, scenario: scenario, variant: variant, params: params, blockInterval: blockInterval,
                                                  arb: arb, whale: whale)
        chain = try SimChain(genesis: genesis, intervalSeconds: blockInterval, stakingParams: staking)
    }

    // MARK: Run

    /// Runs every day; returns the daily rows.
    func run() throws {
        try setUp()
        for d in 0..<days {
            day = d
            today = DayTotals()
            try startDay()
            for slot in 0..<blocksPerDay {
                if slot > 0 { actAt(slot: slot) }
                let proposer = validators[Int(chain.height % UInt64(validators.count))].account.address
                let (outcomes, blockEvents) = try chain.produceBlock(proposer: proposer)
                today.feeBurn += chain.lastBlockFeeBurn
                today.minted += chain.lastBlockEmission
                process(outcomes)
                processBlockEvents(blockEvents)
                if slot == 0 { try serveDemand() }
            }
            try endDay()
        }
    }

    /// Block 1: the pool, the models, the first providers and the first delegations.
    func setUp() throws {
        let lp0 = lps[0].account
        chain.submit(lp0, [MsgCreatePool(denomA: Denom.native, amountA: Amount(5_000_000 * unit), denomB: usdDenom, amountB: Amount(500_000 * unit))],
                     tag: "setup")
        let royalties = modelRoyalties()
        for (i, creator) in creators.enumerated() {
            let spec = ModelSpec(name: "sim-model-\(i)", weightsHash: Hash.sha256(Array("sim-model-\(i)".utf8)), format: .gguf,
                                 architecture: "llama", licence: "apache-2.0", royaltyBps: royalties[i])
            chain.submit(creator, [MsgRegisterModel(spec)], tag: "setup")
        }
        let (_, events) = try chain.produceBlock(proposer: validators[0].account.address)
        _ = events
        modelIDs = (1...UInt64(creators.count)).map { $0 }
        for i in 0..<Int(params["providers"]) { joinProvider(i, buy: false) }
        for i in delegators.indices {
            let liquid = chain.cairn(delegators[i].account.address)
            let amount = liquid * UInt128(delegators[i].rng.uniform(0.3, 0.7) * 1000) / 1000
            delegate(delegators[i].account, amount: amount, rng: &delegators[i].rng)
        }
        let (outcomes, _) = try chain.produceBlock(proposer: validators[0].account.address)
        process(outcomes)
        for i in providers.indices where providers[i].status == .active { providers[i].registeredPrice = providers[i].priceUcairn }
        markPrice()
    }

    /// The day's first block: clients fund channels; providers enter; the outside market moves.
    func startDay() throws {
        let d = Double(day)
        let years = d / 365.25
        today.outsidePrice = scenario.outsidePrice(years: years, start: startPrice) * outsideMemory
        today.demand = baseDemand() * scenario.demandFactor(years: years, growth: params["demandGrowth"]) * market.lognormal(0.08)
        considerEntry()
        fundChannels()
        governanceDayStart()
    }

    /// Agents whose slot this is act (slot 0 is the day's funding block).
    func actAt(slot: Int) {
        let weekday = day % 7
        for i in providers.indices where providers[i].slot == slot && providers[i].status == .active { providerAct(i, weekday: weekday) }
        for i in validators.indices where validators[i].slot == slot { validatorAct(i, weekday: weekday) }
        for i in delegators.indices where delegators[i].slot == slot && delegators[i].weekday == weekday { delegatorAct(i) }
        for i in lps.indices where lps[i].slot == slot && lps[i].weekday == weekday { liquidityAct(i) }
        for i in speculators.indices where speculators[i].slot == slot { speculatorAct(i) }
        if slot == max(1, blocksPerDay / 2) { arbitrage() }
        if slot == max(1, blocksPerDay / 3) { whaleAct() }
        if slot == max(1, blocksPerDay / 4) { coalitionAct() }
    }

    // MARK: Outcomes

    func process(_ outcomes: [TxOutcome]) {
        for o in outcomes {
            let kind = String(o.tag.prefix { $0 != ":" })
            if !o.succeeded {
                failedTx[kind, default: 0] += 1
                if let e = o.receipt?.error ?? o.dropped {
                    failureReasons["\(kind) \(e.module)/\(e.code)", default: 0] += 1
                    if ProcessInfo.processInfo.environment["CAIRN_SIM_DEBUG"] != nil { print("day \(day) \(o.tag): \(e)") }
                }
            }
            guard let receipt = o.receipt, receipt.success else {
                if kind == "client", let c = Int(o.tag.dropFirst(7)) { pendingOpens[c] = nil }
                // A provider whose registration failed never served: it gives up.
                if kind == "join", let p = Int(o.tag.dropFirst(5)) { providers[p].status = .exited }
                continue
            }
            var opened: [UInt64] = []
            for e in receipt.events {
                switch e.type {
                case "exchange.swap":
                    let usd = e["denom_in"] == usdDenom ? e["amount_in"] : e["amount_out"]
                    today.swapVolumeUSD += Double(UInt128(usd ?? "0") ?? 0) / Double(unit)
                    if kind == "coalition", e["denom_in"] == usdDenom {
                        coalitionState.swapUSDIn += UInt128(e["amount_in"] ?? "") ?? 0
                        coalitionState.swapCairnOut += UInt128(e["amount_out"] ?? "") ?? 0
                    }
                case "market.claimed":
                    if let p = Int(o.tag.split(separator: ":").last ?? ""), let amount = UInt128(e["provider_amount"] ?? "") {
                        providers[p].revenueTodayUcairn += amount
                        providers[p].lifetimeRevenueUcairn += amount
                    }
                    today.marketBurn += UInt128(e["burned"] ?? "") ?? 0
                case "models.royalty":
                    if let id = UInt64(e["id"] ?? ""), let amount = UInt128(e["amount"] ?? "") {
                        royaltiesByModel[id, default: 0] += amount
                        today.royalties += amount
                    }
                case "staking.withdraw_rewards":
                    if kind == "provider", let p = Int(o.tag.split(separator: ":").last ?? ""), let amount = UInt128(e["amount"] ?? "") {
                        providers[p].revenueTodayUcairn += amount
                    } else if kind == "validator", let v = Int(o.tag.split(separator: ":").last ?? ""), let amount = UInt128(e["amount"] ?? "") {
                        validators[v].lastWithdrawn = amount
                    }
                case "market.channel_opened":
                    if let id = UInt64(e["id"] ?? "") { opened.append(id) }
                case "gov.submit":
                    if kind == "coalition", let id = UInt64(e["proposal_id"] ?? "") { coalitionState.proposal = id }
                case "gov.vote":
                    today.votes += 1
                default: break
                }
            }
            if kind == "client", let c = Int(o.tag.dropFirst(7)), let wanted = pendingOpens[c] {
                for (p, id) in zip(wanted, opened) {
                    clients[c].channels[p] = ClientChannel(id: id, provider: p, deposit: openDeposit[c]?[p] ?? 0)
                }
                pendingOpens[c] = nil
            }
        }
    }

    var openDeposit: [Int: [Int: UInt128]] = [:]
    var openProposals: [UInt64] = []
    var coalitionVoted: Set<UInt64> = []

    func processBlockEvents(_ events: [Event]) {
        for e in events {
            switch e.type {
            case "gov.deposit_burned": today.govBurn += UInt128(e["amount"] ?? "") ?? 0
            case "exchange.buyback": if e["cause"] == "treasury" { today.buybackTreasury += UInt128(e["burned"] ?? "") ?? 0 } else {
                today.buybackProtocol += UInt128(e["burned"] ?? "") ?? 0 }
            case "staking.slash": today.slashBurn += UInt128(e["burned"] ?? "") ?? 0
            default: break
            }
        }
    }

    // MARK: Prices

    /// The pool's reserves (ucairn, uusd).
    func reserves() -> (cairn: UInt128, usd: UInt128) {
        guard let p = try? LedgerWiring.exchange.poolRecord(poolID, state: chain.store) else { return (0, 0) }
        return p.denom0 == Denom.native ? (p.reserve0, p.reserve1) : (p.reserve1, p.reserve0)
    }

    /// The pool's spot price, USD per CAIRN.
    func spotUSD() -> Double {
        let r = reserves()
        return r.cairn == 0 ? startPrice : Double(r.usd) / Double(r.cairn)
    }

    /// Records the pool's accumulator at the end of the day and updates the one-day TWAP.
    func markPrice() {
        guard let p = try? LedgerWiring.exchange.poolRecord(poolID, state: chain.store) else { return }
        let now = (time: chain.time, cumulative: p.cumulative(at: chain.time).price0)
        if let last = priceMarks.last, now.time > last.time {
            let diff = now.cumulative.subtracting(last.cumulative) ?? .zero
            // UQ112x112 × ms → USD per CAIRN (denom0 is ucairn, denom1 uusd: the units cancel).
            let value = (Double(diff.high) * 0x1p128 + Double(diff.low)) / 0x1p112 / Double(now.time - last.time)
            if value.isFinite, value > 0 { twapUSD = value }
        }
        priceMarks.append(now)
        if priceMarks.count > 8 { priceMarks.removeFirst() }
    }

    /// USD per CAIRN over the last `days` days (from the accumulators), or the one-day TWAP.
    func twap(days: Int) -> Double {
        guard priceMarks.count > days, let last = priceMarks.last else { return twapUSD }
        let first = priceMarks[priceMarks.count - 1 - days]
        let diff = last.cumulative.subtracting(first.cumulative) ?? .zero
        let v = (Double(diff.high) * 0x1p128 + Double(diff.low)) / 0x1p112 / Double(max(last.time - first.time, 1))
        return v.isFinite && v > 0 ? v : twapUSD
    }

    /// ucairn worth `usd` at the TWAP.
    func ucairn(usd: Double) -> UInt128 { UInt128(max(0, usd / max(twapUSD, 1e-9) * Double(unit))) }

    // MARK: Trading helpers

    func swapIn(_ denom: String, _ amount: UInt128) -> MsgSwap {
        MsgSwap(poolID: poolID, denomIn: denom, trade: .exactIn(amount: amount, minOut: 0), deadline: 0)
    }

    func buyCairn(exactly amount: UInt128, maxUSD: UInt128) -> MsgSwap {
        MsgSwap(poolID: poolID, denomIn: usdDenom, trade: .exactOut(amount: amount, maxIn: maxUSD), deadline: 0)
    }

    /// What of `address`'s CAIRN it may spend, keeping enough for a few transactions' fees.
    func spendable(_ address: Address) -> UInt128 {
        let b = chain.cairn(address)
        let reserve = 150 * unit
        return b > reserve ? b - reserve : 0
    }

    /// The ucairn a buyer gets for `usdIn` uusd at the current reserves (Uniswap v2's getAmountOut).
    func quoteCairnOut(usdIn: UInt128) -> UInt128 {
        let r = reserves()
        let fee = UInt128(10_000 - params["swapFeeBps"])
        let inWithFee = usdIn * fee
        return inWithFee * r.cairn / (r.usd * 10_000 + inWithFee)
    }

    func delegate(_ account: SimAccount, amount: UInt128, rng: inout SimRandom) {
        guard amount > unit else { return }
        let target = pickValidator(&rng)
        chain.submit(account, [MsgDelegate(operator: target, amount: Amount(amount))], tag: "delegate")
    }

    /// A validator chosen with probability proportional to its stake (holders follow the big names).
    func pickValidator(_ rng: inout SimRandom) -> Address {
        let ops = (try? LedgerWiring.staking.operatorRecords(state: chain.store)) ?? []
        let vals = ops.filter { $0.record.kind == .validator && !$0.record.jailed && $0.address != whale.address }
        let total = vals.reduce(0.0) { $0 + Double($1.record.tokens.value) }
        var x = rng.uniform() * total
        for v in vals {
            x -= Double(v.record.tokens.value)
            if x <= 0 { return v.address }
        }
        return vals.last?.address ?? validators[0].account.address
    }
}

/// The day's running totals.
struct DayTotals {
    var outsidePrice = 0.0
    var demand = 0.0
    var served = 0.0
    var feeBurn: UInt128 = 0
    var marketBurn: UInt128 = 0
    var govBurn: UInt128 = 0
    var buybackProtocol: UInt128 = 0
    var buybackTreasury: UInt128 = 0
    var slashBurn: UInt128 = 0
    var minted: UInt128 = 0
    var swapVolumeUSD = 0.0
    var royalties: UInt128 = 0
    var votes = 0
}
