import CairnBank
import CairnLedger
import CairnPrimitives
import CairnStorage
import CairnTestSupport
import Testing

/// A chain on a temporary SQLite file with funded dev accounts; every block it produces is audited.
struct LedgerFixture {
    static let startingBalance: Amount = 1_000_000_000_000

    let accounts: [DevAccount]
    let validator = DevAccount("validator")
    let chain: TestChain

    /// `count` accounts with `balance` ucairn each, plus `extra` funding, under `params`.
    init(accounts count: Int = 4, balance: Amount = LedgerFixture.startingBalance, params: ChainParams = .default,
         chainID: String = TestGenesis.chainID, extra: [(address: Address, coins: [Coin])] = []) throws {
        accounts = DevAccount.make(count)
        let funded = accounts.map { (address: $0.address, coins: [Coin(denom: Denom.native, amount: balance)]) } + extra
        let genesis = try TestGenesis.make(chainID: chainID, params: params, validator: validator, funded: funded)
        chain = try TestChain(genesis: genesis, validator: validator)
        #expect(try chain.withState { try LedgerAudit.bankViolations(state: $0) } == [], "genesis breaks an invariant")
    }

    var ledger: Ledger { chain.ledger }
    var bank: BankModule { BankModule() }

    /// Every address the tests look at: the accounts and the validator.
    var watched: [Address] { accounts.map(\.address) + [validator.address] }

    func snapshot(_ extra: [Address] = []) throws -> AccountSnapshot {
        try chain.withState { try AccountSnapshot(ledger: ledger, state: $0, accounts: watched + extra) }
    }

    func balance(_ a: Address, _ denom: String = Denom.native) throws -> Amount {
        try chain.withState { state in
            try bank.balances(of: a, state: state).first { $0.denom == denom }?.amount ?? .zero
        }
    }

    func burned() throws -> Amount { try chain.withState { try bank.burned(Denom.native, state: $0) } }
    func baseFee() throws -> Amount { try chain.withState { try ledger.baseFee(state: $0) } }
    func nonce(_ a: DevAccount) throws -> UInt64 { try chain.withState { try ledger.nonce(of: a.address, state: $0) } }

    /// Produces a block and checks the invariants after it: the bank's (supply = balances + burned,
    /// positive records) and that each watched nonce moved by exactly its included transactions.
    @discardableResult
    func produce(_ txs: [Transaction], mode: ExecutionMode = .propose, time: UInt64? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> TestChain.ProducedBlock {
        let touched = txs.map(\.body.sender) + txs.flatMap { $0.body.messages.compactMap { try? MsgSend(canonicalBytes: $0.body).to } }
        let before = try snapshot(touched)
        let block = try chain.produceBlock(txs, mode: mode, time: time)
        let after = try snapshot(touched)
        let violations = try chain.withState { try LedgerAudit.bankViolations(state: $0) }
            + LedgerAudit.nonceViolations(before: before, after: after, included: LedgerAudit.includedCounts(block.execution.included.map(\.transaction)))
        #expect(violations == [], "after block \(block.header.height)", sourceLocation: sourceLocation)
        return block
    }
}

/// Gas a one-coin transfer like `tx` uses: intrinsic gas of its bytes plus the bank's send cost.
func transferGas(_ tx: Transaction, coins: Int = 1) -> UInt64 {
    Ledger.intrinsicGas(byteCount: tx.canonicalBytes.count) + BankGas.send + BankGas.perCoin * UInt64(coins)
}

/// A native coin.
func ucairn(_ value: UInt128) -> Coin { Coin(denom: Denom.native, amount: Amount(value)) }
