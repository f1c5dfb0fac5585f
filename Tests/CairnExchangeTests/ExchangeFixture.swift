import CairnBank
import CairnLedger
import CairnExchange
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

/// The node's whole ledger (every module, the exchange among them) over an in-memory state, driven block by block
/// by a `LedgerHarness` that audits every module's invariants and the bank's supply after each block. Accounts hold
/// CAIRN and a second denomination, `uusdc`.
final class ExchangeFixture {
    static let validator = DevAccount("validator")
    static let funds: Amount = 1_000_000_000_000_000
    static let usdc = "uusdc"

    let harness: LedgerHarness
    let exchange = LedgerWiring.exchange
    let bank = LedgerWiring.bank
    let alice = DevAccount("alice")
    let bob = DevAccount("bob")
    let mallory = DevAccount("mallory")
    var state: InMemoryState { harness.state }
    var height: UInt64 { harness.height }

    init(params: ExchangeParams = .default) throws {
        let accounts = [ExchangeFixture.validator, alice, bob, mallory]
        let balances = accounts.map {
            BankGenesis.Balance(address: $0.address, coins: [Coin(denom: Denom.native, amount: ExchangeFixture.funds),
                                                             Coin(denom: ExchangeFixture.usdc, amount: ExchangeFixture.funds)].sorted { $0.denom < $1.denom })
        }
        let modules = try LedgerWiring.genesisModules(validator: ExchangeFixture.validator.publicKey, balances: balances,
                                                      validatorBond: 100_000_000, exchange: params)
        let genesis = Genesis(chainID: TestGenesis.chainID, genesisTime: TestGenesis.defaultTime, params: .default,
                              validators: [GenesisValidator(name: "validator", publicKey: ExchangeFixture.validator.publicKey)], modules: modules)
        harness = try LedgerHarness(genesis: genesis, ledger: LedgerWiring.makeLedger())
    }

    /// Each pool's k after the last block this fixture ran.
    var lastK: [UInt64: UInt256] = [:]

    /// Runs one block and checks, beside the harness's invariants, that no pool's k fell in it unless liquidity left it.
    @discardableResult
    func block(_ txs: [Transaction] = []) throws -> BlockExecution {
        let exec = try harness.block(txs, proposer: ExchangeFixture.validator.address)
        let events = exec.receipts.flatMap(\.events) + exec.blockEvents
        for p in try exchange.pools(state: state) {
            let k = UInt256.product(p.reserve0.value, p.reserve1.value)
            let exited = events.contains { $0.type == "exchange.remove_liquidity" && ExchangeEvents.poolID(of: $0) == p.id }
            if let before = lastK[p.id], k < before, !exited { kViolations.append("height \(height): pool \(p.id)'s k fell from \(before) to \(k)") }
            lastK[p.id] = k
        }
        return exec
    }

    /// Blocks in which a pool's k fell without an exit.
    var kViolations: [String] = []

    /// Runs `messages` signed by `account` in one transaction in its own block; returns its receipt.
    @discardableResult
    func run(_ account: DevAccount, _ messages: [any LedgerMessage], sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let exec = try block([harness.tx(account, messages.map { RawMessage($0) }, gasLimit: 1_000_000)])
        return try #require(exec.receipts.first, "transaction was dropped: \(exec.dropped.map(\.error))", sourceLocation: sourceLocation)
    }

    @discardableResult
    func run(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        try run(account, [message], sourceLocation: sourceLocation)
    }

    @discardableResult
    func succeed(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(r.success, "\(String(describing: r.error))", sourceLocation: sourceLocation)
        return r
    }

    /// Runs `message` and expects the error `module/code` (the exchange's by default).
    func refuse(_ account: DevAccount, _ message: some LedgerMessage, code: UInt32, module: String = ExchangeError.codespace,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(!r.success && r.error?.module == module && r.error?.code == code,
                "expected \(module)/\(code), got \(String(describing: r.error))", sourceLocation: sourceLocation)
    }

    /// Sends `message` and expects the stateless checks to drop it with exchange error `code`.
    func dropped(_ account: DevAccount, _ message: some LedgerMessage, code: UInt32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let exec = try block([harness.tx(account, [RawMessage(message)], gasLimit: 1_000_000)])
        #expect(exec.receipts.isEmpty, sourceLocation: sourceLocation)
        let error = exec.dropped.first?.error
        #expect(error?.module == ExchangeError.codespace && error?.code == code, "expected exchange/\(code), got \(String(describing: error))",
                sourceLocation: sourceLocation)
    }

    func blocks(_ n: Int) throws { for _ in 0..<n { try block() } }

    /// Every violation so far: the harness's invariants and k.
    var violations: [String] { harness.violations + kViolations }

    /// Runs empty blocks until the next one is a multiple of `interval`.
    func blocksUntilBefore(multipleOf interval: UInt64) throws {
        while (height + 1) % interval != 0 { try blocks(1) }
    }

    func balance(_ a: Address, _ denom: String = Denom.native) throws -> UInt128 { try bank.balance(of: a, denom: denom, state: state).value }

    func pool(_ id: UInt64 = 1) throws -> Pool { try #require(try exchange.poolRecord(id, state: state)) }

    /// Creates the CAIRN/USDC pool with `cairn` and `usdc` from alice.
    @discardableResult
    func createPool(cairn: UInt128 = 10_000_000_000, usdc: UInt128 = 20_000_000_000) throws -> Receipt {
        try succeed(alice, MsgCreatePool(denomA: Denom.native, amountA: Amount(cairn), denomB: ExchangeFixture.usdc, amountB: Amount(usdc)))
    }
}

extension Receipt {
    func attribute(_ type: String, _ key: String) -> String? { events.first { $0.type == type }?[key] }
}
