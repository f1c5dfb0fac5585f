public import CairnPrimitives
public import CairnLedger
public import CairnBank
public import CairnStaking
public import CairnGovernance
public import CairnModels
public import CairnMarket
public import CairnExchange
public import CairnVerification
public import CairnTraining

// The composition root of the ledger: the one place that knows every module and hands each the others
// through the protocols it declares.

extension BankModule: StakingBank {}
extension BankModule: GovBank {}
extension BankModule: MarketBank {}
extension BankModule: ModelsBank {}
extension BankModule: ExchangeBank {}
extension BankModule: VerificationBank {}
extension BankModule: TrainingBank {}
extension VerificationModule: MarketChallenges {}
extension ModelsShareObserver: BalanceObserver {}
extension ModelsModule: MarketModels {}

extension ModelsModule: TrainingModels {
    public func isRegistered(_ id: UInt64, state: any StateReader) throws -> Bool { try royaltyTerms(of: id, state: state) != nil }

    public func registerTrained(name: String, weightsHash: Hash, architecture: String, licence: String, royaltyBps: UInt32, owner: Address,
                                holders: [(address: Address, shares: Amount)], context: ExecutionContext) throws(LedgerError) -> UInt64 {
        let spec = ModelSpec(name: name, weightsHash: weightsHash, format: .head, architecture: architecture, licence: licence, royaltyBps: royaltyBps)
        return try registerWithShares(spec, owner: owner, holders: holders, context: context)
    }
}

extension StakingModule: GovStake {
    public func votingOperators(state: any StateReader) throws -> [VotingOperator] {
        try operatorRecords(state: state).map { op, r in
            VotingOperator(address: op, isValidator: r.kind == .validator, tokens: r.tokens, shares: r.shares, jailed: r.jailed)
        }
    }

    public func delegations(of voter: Address, state: any StateReader) throws -> [(operator: Address, shares: UInt128)] {
        try delegationShares(of: voter, state: state)
    }
}

extension StakingModule: ConsensusStake {}

extension StakingModule: VerificationStake {
    public func isProvider(_ address: Address, state: any StateReader) throws -> Bool {
        try StakingStore(state: StateOverlay(base: state)).operatorRecord(address)?.kind == .provider
    }

    public func slashProvider(_ provider: Address, fractionBps: UInt32, jailFor: UInt64?, reason: String, bounty: (to: Address, bps: UInt32),
                              context: ExecutionContext) throws(LedgerError) -> (burned: Amount, paid: Amount) {
        try slash(provider, fractionBps: fractionBps, jailFor: jailFor, reason: reason, bounty: bounty, context: context)
    }
}

extension StakingModule: MarketStake {
    /// The operator's kind, bonded tokens and jail state, read from its staking record.
    public func stakedOperator(_ address: Address, state: any StateReader) throws -> StakedOperator? {
        try StakingStore(state: StateOverlay(base: state)).operatorRecord(address).map {
            StakedOperator(isProvider: $0.kind == .provider, tokens: $0.tokens, jailed: $0.jailed)
        }
    }
}

/// Builds the node's ledger and its genesis sections.
public enum LedgerWiring {
    /// The ledger with every module registered, in the order genesis and end-of-block run them.
    public static func makeLedger() -> Ledger {
        Ledger(modules: [bank, staking, gov, models, market, exchange, verification, training], feeBank: bank, stake: staking)
    }

    /// Module accounts whose balances the modules' invariants tie to their records (the treasury takes gifts).
    public static let blockedRecipients: Set<Address> = [
        StakingAccounts.bonded, StakingAccounts.unbonding, StakingAccounts.rewards, ModuleAccount.feeCollector, GovModule.escrow,
        MarketAccounts.escrow, ModelsAccounts.royalties, ExchangeAccounts.pools, ExchangeAccounts.locked, ExchangeAccounts.protocolFee,
        VerificationAccounts.bonds, TrainingAccounts.escrow,
    ]

    /// The bank: tips gather in the fee collector for staking to share out; the models module settles share
    /// holders' royalties before any share balance changes.
    public static let bank = BankModule(tipCollector: ModuleAccount.feeCollector, blockedRecipients: blockedRecipients,
                                        observers: [ModelsShareObserver()])
    /// The staking module, over the bank.
    public static let staking = StakingModule(bank: bank)
    /// The governance module, over the bank and staking.
    public static let gov = GovModule(bank: bank, stake: staking)
    /// The models module, over the bank.
    public static let models = ModelsModule(bank: bank)
    /// The market, over the bank, staking, the models registry and verification's challenges.
    public static let market = MarketModule(bank: bank, stake: staking, models: models, challenges: verification)
    /// Verification, over the bank and staking.
    public static let verification = VerificationModule(bank: bank, stake: staking)
    /// The exchange, over the bank.
    public static let exchange = ExchangeModule(bank: bank)
    /// Federated training, over the bank and the models registry.
    public static let training = TrainingModule(bank: bank, models: models)

    /// Genesis sections for a new chain: `balances` (the validator's included), and the validator
    /// registered as an operator bonding `validatorBond` of its balance.
    public static func genesisModules(validator: PublicKey, balances: [BankGenesis.Balance], validatorBond: Amount,
                                      staking: StakingParams = .default, gov: GovParams = .default,
                                      models: ModelsParams = .default, market: MarketParams = .default,
                                      exchange: ExchangeParams = .default,
                                      verification: VerificationParams = .default) throws -> [String: JSONValue] {
        try genesisModules(validators: [(moniker: "validator", key: validator, bond: validatorBond)], balances: balances, staking: staking,
                           gov: gov, models: models, market: market, exchange: exchange, verification: verification)
    }

    /// Genesis sections for a new chain with several validators, each registered as an operator bonding `bond` of its
    /// balance in `balances`.
    public static func genesisModules(validators: [(moniker: String, key: PublicKey, bond: Amount)], balances: [BankGenesis.Balance],
                                      staking: StakingParams = .default, gov: GovParams = .default,
                                      models: ModelsParams = .default, market: MarketParams = .default,
                                      exchange: ExchangeParams = .default,
                                      verification: VerificationParams = .default) throws -> [String: JSONValue] {
        let operators = validators.map {
            StakingGenesis.Operator(kind: .validator, moniker: $0.moniker, publicKey: $0.key, commissionBps: 1_000, selfBond: $0.bond)
        }
        return [
            BankKeys.module: try JSONValue(encoding: BankGenesis(balances: balances)),
            StakingKeys.module: try JSONValue(encoding: StakingGenesis(params: staking, operators: operators)),
            GovKeys.module: try JSONValue(encoding: GovGenesis(params: gov)),
            ModelsKeys.module: try JSONValue(encoding: ModelsGenesis(params: models)),
            MarketKeys.module: try JSONValue(encoding: MarketGenesis(params: market)),
            ExchangeKeys.module: try JSONValue(encoding: ExchangeGenesis(params: exchange)),
            VerificationKeys.module: try JSONValue(encoding: VerificationGenesis(params: verification)),
        ]
    }
}
