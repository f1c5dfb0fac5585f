import CairnBank
import CairnLedger
import CairnMarket
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

/// A ledger of the bank, staking and the market over fake models, driven block by block by a
/// `LedgerHarness` that audits every module's invariants and the bank's supply after each block.
///
/// Staking mints nothing and taxes nothing, so the treasury and the burned total move only by the market's
/// fee (and base fees, which receipts report): a claim's split can be checked to the ucairn.
final class MarketFixture {
    static let validator = DevAccount("validator")
    static let funds: Amount = 1_000_000_000_000
    static let providerBond: Amount = 50_000_000

    static var stakingParams: StakingParams {
        var p = StakingParams.default
        p.inflationInitialBps = 0
        p.inflationFloorBps = 0
        p.communityTaxBps = 0
        p.minSelfBond = 1_000_000
        return p
    }

    static let marketParams = MarketParams(minProviderStake: 10_000_000, protocolFeeBps: 500, feeBurnBps: 5_000, settleDelayBlocks: 5)

    /// Model 1: 10% royalty to `owner`; model 2: none; model 3: 20% to `owner`.
    static let royalties: [(id: UInt64, bps: UInt32)] = [(1, 1_000), (2, 0), (3, 2_000)]

    let harness: LedgerHarness
    let models: FakeModels
    let market: MarketModule
    let bank = LedgerWiring.bank
    let staking = LedgerWiring.staking
    let provider = DevAccount("provider")
    let client = DevAccount("client")
    let owner = DevAccount("model-owner")
    let stranger = DevAccount("stranger")
    var validator: DevAccount { MarketFixture.validator }
    var state: InMemoryState { harness.state }
    var height: UInt64 { harness.height }

    init(params: MarketParams = MarketFixture.marketParams, extraAccounts: [DevAccount] = []) throws {
        models = FakeModels(bank: LedgerWiring.bank)
        market = MarketModule(bank: LedgerWiring.bank, stake: LedgerWiring.staking, models: models)
        for (id, bps) in MarketFixture.royalties { models.register(id, owner: owner.address, royaltyBps: bps) }
        let accounts = [MarketFixture.validator, provider, client, stranger] + extraAccounts
        let balances = accounts.map { BankGenesis.Balance(address: $0.address, coins: [Coin(denom: Denom.native, amount: MarketFixture.funds)]) }
        var modules = try LedgerWiring.genesisModules(validator: MarketFixture.validator.publicKey, balances: balances,
                                                      validatorBond: 100_000_000, staking: MarketFixture.stakingParams)
        modules[MarketKeys.module] = try JSONValue(encoding: MarketGenesis(params: params))
        let genesis = Genesis(chainID: TestGenesis.chainID, genesisTime: TestGenesis.defaultTime, params: .default,
                              validators: [GenesisValidator(name: "validator", publicKey: MarketFixture.validator.publicKey)],
                              modules: modules)
        let ledger = Ledger(modules: [LedgerWiring.bank, LedgerWiring.staking, market], feeBank: LedgerWiring.bank)
        harness = try LedgerHarness(genesis: genesis, ledger: ledger)
    }

    /// Runs `message` signed by `account` in its own block; returns its receipt.
    @discardableResult
    func run(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let exec = try harness.block([harness.tx(account, [RawMessage(message)], gasLimit: 1_000_000)], proposer: validator.address)
        return try #require(exec.receipts.first, "transaction was dropped: \(exec.dropped.map(\.error))", sourceLocation: sourceLocation)
    }

    /// Runs `message` and expects it to succeed.
    @discardableResult
    func succeed(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(r.success, "\(String(describing: r.error))", sourceLocation: sourceLocation)
        return r
    }

    /// Runs `message` and expects market error `code`.
    func refuse(_ account: DevAccount, _ message: some LedgerMessage, code: UInt32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(!r.success && r.error?.module == MarketError.codespace && r.error?.code == code,
                "expected market/\(code), got \(String(describing: r.error))", sourceLocation: sourceLocation)
    }

    func blocks(_ n: Int) throws { try harness.blocks(n, proposer: validator.address) }

    /// Bonds `account` as a staking provider.
    func bondProvider(_ account: DevAccount, bond: Amount = MarketFixture.providerBond) throws {
        try succeed(account, MsgCreateProvider(OperatorSpec(moniker: account.name, commissionBps: 500, publicKey: account.publicKey, selfBond: bond)))
    }

    static func spec(_ models: [UInt64] = [1, 2, 3], endpoint: String = "http://127.0.0.1:8080") -> ProviderSpec {
        ProviderSpec(endpoint: endpoint, hardware: Hardware(cpuCores: 8, memoryBytes: 32 << 30, gpus: 1, gpuModel: "H100"),
                     models: models.map { ModelPrice(modelID: $0, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 10) })
    }

    /// Bonds and registers `provider` serving models 1, 2 and 3.
    func registerProvider() throws {
        try bondProvider(provider)
        try succeed(provider, MsgRegisterProvider(MarketFixture.spec()))
    }

    /// Opens a channel from `client` to `provider` with `deposit`; returns its id.
    func open(deposit: Amount, from client: DevAccount? = nil, key: PrivateKey? = nil) throws -> UInt64 {
        let who = client ?? self.client
        let r = try succeed(who, MsgOpenChannel(provider: provider.address, deposit: deposit, voucherKey: (key ?? who.key).publicKey))
        let id = r.events.first { $0.type == "market.channel_opened" }?["id"].flatMap { UInt64($0) }
        return try #require(id)
    }

    /// A voucher for `channel` over `parts` (model id, cumulative amount) and `usage`, signed by `key` (the client's by default).
    func voucher(_ channel: UInt64, _ parts: [(UInt64, Amount)], usage: [ModelUsage] = [], key: PrivateKey? = nil,
                 chainID: String? = nil) -> SignedVoucher {
        let perModel = parts.map { ModelAmount(modelID: $0.0, amount: $0.1) }
        let total = Amount(perModel.reduce(UInt128(0)) { $0 + $1.amount.value })
        return Voucher(channelID: channel, cumulative: total, perModel: perModel, usage: usage)
            .signed(by: key ?? client.key, chainID: chainID ?? harness.chainID)
    }

    func channel(_ id: UInt64) throws -> ChannelView { try #require(try market.channelView(id, state: state)) }
    func balance(_ a: Address) throws -> Amount { try harness.balance(a) }
    func burned() throws -> Amount { try bank.burned(Denom.native, state: state) }
    func escrow() throws -> Amount { try market.escrowBalance(state: state) }
}

extension Receipt {
    /// The decimal attribute `key` of the first event of `type`, as an amount.
    func amount(_ type: String, _ key: String) -> Amount? {
        events.first { $0.type == type }?[key].flatMap { Amount(decimal: $0) }
    }
}
