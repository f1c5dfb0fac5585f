public import CairnPrimitives
public import CairnLedger
public import CairnBank
public import CairnStaking

// The composition root of the ledger: the one place that knows every module and hands each the others
// through the protocols it declares.

extension BankModule: StakingBank {}

/// Builds the node's ledger and its genesis sections.
public enum LedgerWiring {
    /// The ledger with every module registered, in the order genesis and end-of-block run them.
    public static func makeLedger() -> Ledger {
        let bank = BankModule(tipCollector: ModuleAccount.feeCollector)
        let staking = StakingModule(bank: bank)
        return Ledger(modules: [bank, staking], feeBank: bank)
    }

    /// The staking module as the node wires it, for queries.
    public static var staking: StakingModule { StakingModule(bank: BankModule(tipCollector: ModuleAccount.feeCollector)) }

    /// Genesis sections for a new chain: `balances` (the validator's included), and the validator
    /// registered as an operator bonding `validatorBond` of its balance.
    public static func genesisModules(validator: PublicKey, balances: [BankGenesis.Balance], validatorBond: Amount,
                                      staking: StakingParams = .default) throws -> [String: JSONValue] {
        let operators = [StakingGenesis.Operator(kind: .validator, moniker: "validator", publicKey: validator, commissionBps: 1_000,
                                                 selfBond: validatorBond)]
        return [
            BankKeys.module: try JSONValue(encoding: BankGenesis(balances: balances)),
            StakingKeys.module: try JSONValue(encoding: StakingGenesis(params: staking, operators: operators)),
        ]
    }
}
