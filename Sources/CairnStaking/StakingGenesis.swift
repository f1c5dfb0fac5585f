public import CairnPrimitives
public import CairnLedger

/// The staking section of the genesis file: parameters, operators bonded from their genesis balances, and
/// delegations.
public struct StakingGenesis: Sendable, Equatable, Codable {
    /// An operator registered at genesis; its self-bond comes out of its bank genesis balance.
    public struct Operator: Sendable, Equatable, Codable {
        /// `validator` or `provider`.
        public var kind: String
        public var moniker: String
        /// Hex of the operator's 32-byte Ed25519 public key; its address is the operator's.
        public var publicKey: String
        public var commissionBps: UInt32
        public var selfBond: Amount

        public init(kind: OperatorKind, moniker: String, publicKey: PublicKey, commissionBps: UInt32, selfBond: Amount) {
            self.kind = kind == .validator ? "validator" : "provider"
            self.moniker = moniker
            self.publicKey = publicKey.rawRepresentation.hexString
            self.commissionBps = commissionBps
            self.selfBond = selfBond
        }
    }

    /// A delegation at genesis, out of the delegator's bank genesis balance.
    public struct Delegation: Sendable, Equatable, Codable {
        public var delegator: Address
        public var `operator`: Address
        public var amount: Amount

        public init(delegator: Address, operator: Address, amount: Amount) {
            self.delegator = delegator
            self.operator = `operator`
            self.amount = amount
        }
    }

    public var params: StakingParams?
    public var operators: [Operator]
    public var delegations: [Delegation]?

    public init(params: StakingParams? = nil, operators: [Operator], delegations: [Delegation]? = nil) {
        self.params = params
        self.operators = operators
        self.delegations = delegations
    }
}

extension StakingModule {
    /// Stores the parameters (defaults when none are given) and bonds the genesis operators and delegations.
    /// The bank's genesis must run first, as it does in the ledger's module order.
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        var genesis = StakingGenesis(operators: [])
        if let section {
            do { genesis = try section.decode(as: StakingGenesis.self) } catch { throw StakingError.badGenesis("\(error)") }
        }
        try store(genesis.params ?? .default, context: context)
        for op in genesis.operators {
            let kind: OperatorKind
            switch op.kind {
            case "validator": kind = .validator
            case "provider": kind = .provider
            default: throw StakingError.badGenesis("operator kind '\(op.kind)' is neither validator nor provider")
            }
            guard let key = [UInt8](hex: op.publicKey).flatMap(PublicKey.init(rawRepresentation:)) else {
                throw StakingError.badGenesis("operator '\(op.moniker)' has no valid public key")
            }
            let spec = OperatorSpec(moniker: op.moniker, commissionBps: op.commissionBps, publicKey: key, selfBond: op.selfBond)
            try spec.validate()
            try createOperator(kind, spec, signer: key.address, context: context)
        }
        for d in genesis.delegations ?? [] {
            try delegate(MsgDelegate(operator: d.operator, amount: d.amount), signer: d.delegator, context: context)
        }
    }
}
