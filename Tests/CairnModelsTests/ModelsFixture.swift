import CairnBank
import CairnLedger
import CairnModels
import CairnApp
import CairnPrimitives
import CairnTestSupport
import Testing

/// A chain wired as the node wires it (bank with the share observer, staking, governance, models), with a
/// validator and funded accounts, driven block by block by a `LedgerHarness`, which checks every module's
/// invariants after genesis, after every block and after every keeper call.
final class ModelsFixture {
    static let validator = DevAccount("validator")
    static let funds: Amount = 1_000_000_000_000

    let harness: LedgerHarness
    let accounts: [DevAccount]
    /// Pays royalties through the keeper function, as the market's escrow would.
    let payer = DevAccount("royalty-payer")
    let models = LedgerWiring.models
    let bank = LedgerWiring.bank
    var state: InMemoryState { harness.state }
    var validator: DevAccount { ModelsFixture.validator }

    init(accounts count: Int = 4, params: ModelsParams = .default, genesisModels: [ModelsGenesis.Model]? = nil,
         extraBalances: [BankGenesis.Balance] = []) throws {
        accounts = DevAccount.make(count, prefix: "creator")
        let balances = ([ModelsFixture.validator, payer] + accounts).map {
            BankGenesis.Balance(address: $0.address, coins: [Coin(denom: Denom.native, amount: ModelsFixture.funds)])
        } + extraBalances
        var modules = try LedgerWiring.genesisModules(validator: ModelsFixture.validator.publicKey, balances: balances,
                                                      validatorBond: 100_000_000, models: params)
        modules[ModelsKeys.module] = try JSONValue(encoding: ModelsGenesis(params: params, models: genesisModels))
        let genesis = Genesis(chainID: TestGenesis.chainID, genesisTime: TestGenesis.defaultTime, params: .default,
                              validators: [GenesisValidator(name: "validator", publicKey: ModelsFixture.validator.publicKey)],
                              modules: modules)
        harness = try LedgerHarness(genesis: genesis)
        #expect(harness.violations == [], "after genesis")
    }

    subscript(_ i: Int) -> DevAccount { accounts[i] }

    /// Runs `message` signed by `account` in its own block; returns its receipt.
    @discardableResult
    func run(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let seen = harness.violations.count
        let tx = harness.tx(account, [RawMessage(message)], gasLimit: 300_000)
        let receipt = try #require(try harness.run(tx, proposer: validator.address), "dropped", sourceLocation: sourceLocation)
        #expect(Array(harness.violations[seen...]) == [], sourceLocation: sourceLocation)
        return receipt
    }

    /// Runs `message` and expects it to succeed.
    @discardableResult
    func ok(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let receipt = try run(account, message, sourceLocation: sourceLocation)
        #expect(receipt.success, "\(receipt.error.map(\.description) ?? "")", sourceLocation: sourceLocation)
        return receipt
    }

    /// Registers a model named `name` (weights hashed from the name) for `owner`; returns its id.
    func register(_ owner: DevAccount, _ name: String, royaltyBps: UInt32 = 1_000,
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> UInt64 {
        let receipt = try ok(owner, MsgRegisterModel(ModelsFixture.spec(name, royaltyBps: royaltyBps)), sourceLocation: sourceLocation)
        let event = try #require(receipt.events.first { $0.type == "models.registered" }, sourceLocation: sourceLocation)
        return try #require(event["id"].flatMap { UInt64($0) }, sourceLocation: sourceLocation)
    }

    static func spec(_ name: String, royaltyBps: UInt32 = 1_000, format: ModelFormat = .gguf) -> ModelSpec {
        ModelSpec(name: name, weightsHash: Hash.sha256(Array("weights of \(name)".utf8)), format: format, architecture: "llama",
                  licence: "Apache-2.0", royaltyBps: royaltyBps)
    }

    /// Pays a royalty of `amount` ucairn for model `id` from the payer through the keeper function.
    func pay(_ amount: Amount, model id: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let seen = harness.violations.count
        try harness.withContext(proposer: validator.address) { context in
            try models.payRoyalty(Coin(denom: Denom.native, amount: amount), model: id, from: payer.address, context: context)
        }
        #expect(Array(harness.violations[seen...]) == [], sourceLocation: sourceLocation)
    }

    /// Sends `shares` of model `id` from `from` to `to` with an ordinary `bank/send`.
    @discardableResult
    func sendShares(_ shares: Amount, of id: UInt64, from: DevAccount, to: Address,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        try run(from, MsgSend(to: to, coins: [Coin(denom: ModelShares.denom(id), amount: shares)]), sourceLocation: sourceLocation)
    }

    func model(_ id: UInt64) throws -> ModelView { try #require(try models.model(id, state: state)) }
    func balance(_ a: Address) throws -> Amount { try bank.balance(of: a, denom: Denom.native, state: state) }
    func shares(_ a: Address, _ id: UInt64) throws -> Amount { try bank.balance(of: a, denom: ModelShares.denom(id), state: state) }
    func pool() throws -> Amount { try models.royaltyPool(state: state) }
    func claimable(_ a: Address, _ id: UInt64) throws -> Amount { try #require(try models.holding(of: a, model: id, state: state)).claimable }

    /// What `a` has been paid by its claims in `receipt` (the `models.royalties_claimed` amount).
    static func claimed(_ receipt: Receipt) -> Amount {
        receipt.events.first { $0.type == "models.royalties_claimed" }?["amount"].flatMap { Amount(decimal: $0) } ?? .zero
    }
}

/// Whether `error` is models error `code`.
func isModels(_ error: LedgerError?, _ code: UInt32) -> Bool { error?.module == ModelsError.codespace && error?.code == code }
