import CairnBank
import CairnLedger
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport

/// A chain with one bonded validator and funded accounts, with short periods so tests see them end.
struct StakingFixture {
    static let validator = DevAccount("validator")
    static let funds: Amount = 1_000_000_000
    static let validatorBond: Amount = 100_000_000

    static var params: StakingParams {
        var p = StakingParams.default
        p.unbondingBlocks = 10
        p.signedBlocksWindow = 10
        p.minSignedBps = 5_000
        p.downtimeSlashBps = 100
        p.downtimeJailBlocks = 5
        p.doubleSignSlashBps = 500
        p.maxEvidenceAgeBlocks = 20
        p.blocksPerYear = 1_000
        return p
    }

    let harness: LedgerHarness
    let accounts: [DevAccount]
    var validator: DevAccount { StakingFixture.validator }
    let staking = LedgerWiring.staking

    init(accounts count: Int = 4, params: StakingParams = StakingFixture.params) throws {
        accounts = DevAccount.make(count, prefix: "holder")
        let balances = ([StakingFixture.validator] + accounts).map {
            BankGenesis.Balance(address: $0.address, coins: [Coin(denom: Denom.native, amount: StakingFixture.funds)])
        }
        let modules = try LedgerWiring.genesisModules(validator: StakingFixture.validator.publicKey, balances: balances,
                                                      validatorBond: StakingFixture.validatorBond, staking: params)
        let genesis = Genesis(chainID: TestGenesis.chainID, genesisTime: TestGenesis.defaultTime, params: .default,
                              validators: [GenesisValidator(name: "validator", publicKey: StakingFixture.validator.publicKey)],
                              modules: modules)
        harness = try LedgerHarness(genesis: genesis)
    }

    /// Runs `message` signed by `account` in a block proposed by the validator; returns its receipt.
    @discardableResult
    func run<M: LedgerMessage>(_ account: DevAccount, _ message: M) throws -> Receipt {
        let tx = harness.tx(account, [RawMessage(message)])
        guard let receipt = try harness.run(tx, proposer: validator.address) else { throw FixtureError("transaction was dropped") }
        return receipt
    }

    func blocks(_ n: Int) throws { try harness.blocks(n, proposer: validator.address) }

    func delegation(_ delegator: DevAccount, _ op: Address) throws -> DelegationView? {
        try staking.delegationViews(of: delegator.address, state: harness.state).first { $0.operator == op }
    }

    func operatorView(_ op: Address) throws -> OperatorView {
        guard let v = try staking.operatorView(op, state: harness.state) else { throw FixtureError("no operator \(op)") }
        return v
    }

    func spec(_ account: DevAccount, bond: Amount, commission: UInt32 = 500) -> OperatorSpec {
        OperatorSpec(moniker: account.name, commissionBps: commission, publicKey: account.publicKey, selfBond: bond)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
