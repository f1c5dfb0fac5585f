import CairnBank
import CairnGovernance
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

/// A ledger with the bank and governance over a fake stake, driven block by block in memory by a
/// `LedgerHarness`, which checks the bank's and governance's invariants after genesis and every block.
final class GovFixture {
    static let startingBalance: Amount = 1_000_000_000_000

    /// Short periods and a small minimum deposit, so a proposal's life fits in a few blocks.
    static let shortParams: GovParams = {
        var p = GovParams.default
        p.minDeposit = 1_000
        p.depositPeriodBlocks = 3
        p.votingPeriodBlocks = 3
        return p
    }()

    let stake = FakeStake()
    let bank = BankModule()
    let gov: GovModule
    let harness: LedgerHarness
    let accounts: [DevAccount]
    let validator = DevAccount("validator")
    var state: InMemoryState { harness.state }
    var ledger: Ledger { harness.ledger }
    var height: UInt64 { harness.height }

    init(accounts count: Int = 6, params: GovParams = GovFixture.shortParams, treasury: Amount = .zero) throws {
        gov = GovModule(bank: bank, stake: stake)
        accounts = DevAccount.make(count, prefix: "gov")
        var funded = accounts.map { (address: $0.address, coins: [ucairn(GovFixture.startingBalance)]) }
        if treasury > .zero { funded.append((address: ModuleAccount.treasury, coins: [ucairn(treasury)])) }
        var genesis = try TestGenesis.make(validator: validator, funded: funded)
        genesis.modules[GovKeys.module] = try JSONValue(encoding: GovGenesis(params: params))
        harness = try LedgerHarness(genesis: genesis, ledger: Ledger(modules: [bank, gov], feeBank: bank))
        #expect(harness.violations == [], "after genesis")
    }

    subscript(_ i: Int) -> DevAccount { accounts[i] }

    /// A signed transaction of `message` by `who`, with the next nonce (counting those built for this block).
    func tx(_ who: DevAccount, _ message: some LedgerMessage) throws -> Transaction {
        harness.tx(who, [RawMessage(message)], gasLimit: 300_000)
    }

    /// Executes and commits the next block, then checks the invariants.
    @discardableResult
    func produce(_ txs: [Transaction] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> BlockExecution {
        let seen = harness.violations.count
        let exec = try harness.block(txs, proposer: validator.address)
        #expect(exec.dropped.isEmpty, "dropped: \(exec.dropped.map(\.error))", sourceLocation: sourceLocation)
        #expect(Array(harness.violations[seen...]) == [], "after block \(height)", sourceLocation: sourceLocation)
        return exec
    }

    /// Produces empty blocks until the head is at `target`.
    func advance(to target: UInt64) throws {
        while height < target { try produce() }
    }

    /// One transaction in its own block; returns its receipt.
    @discardableResult
    func send(_ who: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let exec = try produce([try tx(who, message)], sourceLocation: sourceLocation)
        return try #require(exec.receipts.first, sourceLocation: sourceLocation)
    }

    /// Submits `content` with `deposit` from `who`, expecting success; returns the new proposal's id.
    func submit(_ content: ProposalContent, by who: DevAccount, deposit: Amount = 1_000, title: String = "A proposal",
                sourceLocation: SourceLocation = #_sourceLocation) throws -> UInt64 {
        let r = try send(who, MsgSubmitProposal(title: title, description: "why", content: content, initialDeposit: deposit),
                         sourceLocation: sourceLocation)
        #expect(r.success, "\(String(describing: r.error))", sourceLocation: sourceLocation)
        return try #require(try gov.proposals(state: state, limit: 1).first?.id, sourceLocation: sourceLocation)
    }

    /// Every voter's vote in one block.
    func vote(_ id: UInt64, _ votes: [(DevAccount, VoteOption)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let exec = try produce(try votes.map { try tx($0.0, MsgVote(proposalID: id, option: $0.1)) }, sourceLocation: sourceLocation)
        let errors = exec.receipts.compactMap(\.error)
        #expect(errors == [] && exec.receipts.count == votes.count, sourceLocation: sourceLocation)
    }

    func proposal(_ id: UInt64) throws -> Proposal { try #require(try gov.proposal(id, state: state)) }
    func balance(_ a: Address) throws -> Amount { try bank.balance(of: a, denom: Denom.native, state: state) }
    func burned() throws -> Amount { try bank.burned(Denom.native, state: state) }
    var escrow: Address { GovModule.escrow }

    /// Adds an unjailed validator `who` holding `tokens`, all in its own delegation (one share per token).
    func bond(_ who: DevAccount, _ tokens: UInt128, isValidator: Bool = true) {
        stake.addOperator(who.address, isValidator: isValidator, tokens: Amount(tokens), shares: tokens, selfShares: tokens)
    }
}

func ucairn(_ value: Amount) -> Coin { Coin(denom: Denom.native, amount: value) }

/// Whether `error` is governance error `code`.
func isGov(_ error: LedgerError?, _ code: UInt32) -> Bool { error?.module == GovError.codespace && error?.code == code }
