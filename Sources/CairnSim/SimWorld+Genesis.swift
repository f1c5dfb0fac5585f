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

/// Everyone in a run, before genesis.
struct SimCast {
    var validators: [ValidatorAgent] = []
    var delegators: [DelegatorAgent] = []
    var providers: [ProviderAgent] = []
    var clients: [ClientAgent] = []
    var lps: [LiquidityAgent] = []
    var speculators: [SpeculatorAgent] = []
    var creators: [SimAccount] = []
    var coalition: [SimAccount] = []
    var validatorBonds: [UInt128] = []
}

extension SimWorld {
    static let genesisTime: UInt64 = 1_767_225_600_000 // 2026-01-01T00:00:00Z
    static let totalSupply: UInt128 = 100_000_000 * unit
    static let providerIdentities = 300

    /// The agents, each with its own random stream derived from the seed and its name.
    static func makeCast(scenario: Scenario, params: SimParameters, seed: UInt64, blocksPerDay: Int) -> SimCast {
        var cast = SimCast()
        func rng(_ name: String) -> SimRandom { SimRandom(seed: seed, name: name) }
        let weights = (0..<12).map { 1 / pow(Double($0 + 1), 0.5) }
        let wsum = weights.reduce(0, +)
        for i in 0..<12 {
            var r = rng("validator-\(i)")
            cast.validators.append(ValidatorAgent(account: SimAccount("validator-\(i)"), rng: r, slot: 1 + r.index(max(blocksPerDay - 1, 1)),
                                                  weekday: r.index(7), turnout: r.uniform(0.6, 0.95)))
            cast.validatorBonds.append(UInt128(30_000_000 * weights[i] / wsum) * unit)
            _ = r
        }
        for i in 0..<40 {
            var r = rng("delegator-\(i)")
            let slot = 1 + r.index(max(blocksPerDay - 1, 1))
            cast.delegators.append(DelegatorAgent(account: SimAccount("delegator-\(i)"), rng: r, slot: slot, weekday: r.index(7),
                                                  requiredYield: r.uniform(0.02, 0.12)))
        }
        let multiplier = params["costMultiplier"]
        for i in 0..<providerIdentities {
            var r = rng("provider-\(i)")
            cast.providers.append(ProviderAgent(account: SimAccount("provider-\(i)"), rng: r, slot: 1 + r.index(max(blocksPerDay - 1, 1)),
                                                weekday: r.index(7), hardwareUSDPerDay: 20 * r.lognormal(0.2) * multiplier,
                                                energyUSDPerDay: 6 * r.lognormal(0.25) * multiplier,
                                                capacityTokensPerDay: 150_000_000 * r.lognormal(0.15), patience: -r.uniform(0.1, 0.5),
                                                markup: params["providerMarkup"]))
        }
        for (i, share) in [0.5, 0.3, 0.2].enumerated() {
            var r = rng("client-\(i)")
            cast.clients.append(ClientAgent(account: SimAccount("client-\(i)"), voucherKey: PrivateKey.deterministic("cairn-sim/client-voucher-\(i)"),
                                            rng: r, share: share, wtpUSD: params["clientWTP"] * r.lognormal(0.3)))
        }
        for i in 0..<3 {
            var r = rng("lp-\(i)")
            cast.lps.append(LiquidityAgent(account: SimAccount("lp-\(i)"), rng: r, slot: 1 + r.index(max(blocksPerDay - 1, 1)), weekday: r.index(7),
                                           requiredYield: r.uniform(0.02, 0.08)))
        }
        for i in 0..<5 {
            var r = rng("speculator-\(i)")
            cast.speculators.append(SpeculatorAgent(account: SimAccount("speculator-\(i)"), rng: r, slot: 1 + r.index(max(blocksPerDay - 1, 1)),
                                                    contrarian: i >= 3))
        }
        let models = scenario == .royaltyZipf ? 20 : 3
        cast.creators = (0..<models).map { SimAccount("creator-\($0)") }
        if scenario == .governanceCapture {
            cast.coalition = (0..<Int(params["coalitionAddresses"])).map { SimAccount("coalition-\($0)") }
        }
        return cast
    }

    /// The genesis file: balances, the validators' bonds, and every module's parameters scaled to the block interval.
    static func genesis(cast: SimCast, scenario: Scenario, variant: GovVariant?, params: SimParameters, blockInterval: UInt64,
                        arb: SimAccount, whale: SimAccount) throws -> (Genesis, StakingParams) {
        let perDay = UInt64(86_400 / blockInterval)
        var cairn: [(Address, UInt128)] = []
        var usd: [Address: UInt128] = [:]
        var r = SimRandom(seed: 0, name: "genesis-shape")
        let gas = 200 * unit
        cairn.append((ModuleAccount.treasury, UInt128(params["treasuryGenesisShare"] * 1_000_000) * (totalSupply / 1_000_000)))
        for (v, bond) in zip(cast.validators, cast.validatorBonds) { cairn.append((v.account.address, bond + 100_000 * unit)) }
        let raw = cast.delegators.map { _ in r.lognormal(1.0) }
        let rawSum = raw.reduce(0, +)
        for (d, w) in zip(cast.delegators, raw) {
            cairn.append((d.account.address, UInt128(20_000_000 * w / rawSum) * unit + gas))
            usd[d.account.address] = 10_000 * unit
        }
        let minStake = UInt128(params["minProviderStake"]) * unit
        for (i, p) in cast.providers.enumerated() {
            let initial = i < Int(params["providers"])
            cairn.append((p.account.address, initial ? minStake * 13 / 10 + gas : gas))
            usd[p.account.address] = (initial ? 20_000 : 60_000) * unit
        }
        for c in cast.clients { cairn.append((c.account.address, 200_000 * unit)); usd[c.account.address] = 3_000_000 * unit }
        for (i, lp) in cast.lps.enumerated() {
            cairn.append((lp.account.address, (i == 0 ? 6_000_000 : 2_000_000) * unit))
            usd[lp.account.address] = (i == 0 ? 700_000 : 200_000) * unit
        }
        cairn.append((arb.address, 15_000_000 * unit)); usd[arb.address] = 5_000_000 * unit
        for s in cast.speculators { cairn.append((s.account.address, 300_000 * unit)); usd[s.account.address] = 50_000 * unit }
        for c in cast.creators { cairn.append((c.address, gas)) }
        if scenario == .whale { cairn.append((whale.address, gas)); usd[whale.address] = 15_000_000 * unit }
        // The coalition's starting stake is minted on top of the 100M, so that it holds `coalitionGenesisShare` of the whole.
        let share = params["coalitionGenesisShare"]
        let coalitionStake = UInt128(share / (1 - share) * Double(totalSupply / unit)) * unit / UInt128(max(cast.coalition.count, 1))
        var extra: UInt128 = 0
        for c in cast.coalition {
            cairn.append((c.address, 2 * 1_000 * unit + coalitionStake))
            usd[c.address] = 60_000_000 * unit / UInt128(cast.coalition.count)
            extra += 2 * 1_000 * unit + coalitionStake
        }
        let allocated = cairn.reduce(UInt128(0)) { $0 + $1.1 } - extra
        precondition(allocated < totalSupply, "genesis allocations exceed the supply")
        cairn.append((SimAccount("reserve").address, totalSupply - allocated))

        var byAddress: [Address: [Coin]] = [:]
        for (a, amount) in cairn { byAddress[a, default: []].append(Coin(denom: Denom.native, amount: Amount(amount))) }
        for (a, amount) in usd { byAddress[a, default: []].append(Coin(denom: usdDenom, amount: Amount(amount))) }
        let balances = byAddress.map { BankGenesis.Balance(address: $0.key, coins: $0.value.sorted { $0.denom < $1.denom }) }
            .sorted { $0.address.bytes.lexicographicallyPrecedes($1.address.bytes) }

        var staking = StakingParams.default
        staking.blocksPerYear = 31_557_600 / blockInterval
        staking.unbondingBlocks = 21 * perDay
        staking.maxEvidenceAgeBlocks = 21 * perDay
        staking.inflationInitialBps = UInt32(params["inflationInitialBps"])
        staking.inflationDecayBps = UInt32(params["inflationDecayBps"])
        staking.inflationFloorBps = UInt32(params["inflationFloorBps"])
        staking.communityTaxBps = UInt32(params["communityTaxBps"])
        var gov = GovParams.default
        gov.minDeposit = Amount(1_000 * unit)
        gov.depositPeriodBlocks = 14 * perDay
        gov.votingPeriodBlocks = 7 * perDay
        gov.voterCapBps = UInt32(params["voterCapBps"])
        gov.quadraticVoting = params["quadraticVoting"] != 0
        switch variant {
        case .oneTokenOneVote: gov.voterCapBps = 0; gov.quadraticVoting = false
        case .voteCap: gov.voterCapBps = gov.voterCapBps == 0 ? 1_000 : gov.voterCapBps; gov.quadraticVoting = false
        case .quadratic: gov.quadraticVoting = true
        case nil: break
        }
        var market = MarketParams.default
        market.minProviderStake = Amount(minStake)
        market.protocolFeeBps = UInt32(params["protocolFeeBps"])
        market.feeBurnBps = UInt32(params["feeBurnBps"])
        market.settleDelayBlocks = perDay
        var exchange = ExchangeParams.default
        exchange.swapFeeBps = UInt32(params["swapFeeBps"])
        exchange.buybackIntervalBlocks = perDay
        exchange.treasuryBuybackBps = UInt32(params["treasuryBuybackBps"])
        exchange.maxTwapDeviationBps = 1_000
        var chainParams = ChainParams.default
        chainParams.blockGasLimit = UInt64(params["blockGasLimit"])
        chainParams.minBaseFee = Amount(1)
        let validators = zip(cast.validators, cast.validatorBonds).map {
            (moniker: $0.account.name, key: $0.account.key.publicKey, bond: Amount($1))
        }
        let modules = try LedgerWiring.genesisModules(validators: validators, balances: balances, staking: staking, gov: gov,
                                                      models: .default, market: market, exchange: exchange)
        let genesis = Genesis(chainID: "cairn-sim", genesisTime: genesisTime, params: chainParams,
                              validators: cast.validators.map { GenesisValidator(name: $0.account.name, publicKey: $0.account.key.publicKey) },
                              modules: modules)
        return (genesis, staking)
    }

    /// Royalty basis points of each model: 2% to 20% in the Zipf scenario, else 5%, 10% and none.
    func modelRoyalties() -> [UInt32] {
        if scenario == .royaltyZipf {
            var r = SimRandom(seed: seed, name: "royalties")
            return creators.indices.map { _ in UInt32(200 + r.index(1_801)) }
        }
        return [500, 1_000, 0]
    }

    /// Demand on day 0: 70% of the first providers' capacity.
    func baseDemand() -> Double { 0.7 * params["providers"] * 150_000_000 }

    /// Each model's share of demand: Zipf (s = 1.1) in the royalty scenario, else 50/30/20.
    func modelShares() -> [Double] {
        if !modelWeights.isEmpty { return modelWeights }
        let raw = scenario == .royaltyZipf ? creators.indices.map { 1 / pow(Double($0 + 1), 1.1) } : [0.5, 0.3, 0.2]
        let sum = raw.reduce(0, +)
        modelWeights = raw.map { $0 / sum }
        return modelWeights
    }
}
