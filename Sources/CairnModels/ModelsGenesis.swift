public import CairnPrimitives
public import CairnLedger

/// The models section of the genesis file: parameters, and models registered from the start (with their
/// shares, if any).
public struct ModelsGenesis: Sendable, Equatable, Codable {
    /// A model registered at genesis, in the order ids are given (from 1).
    public struct Model: Sendable, Equatable, Codable {
        public var owner: Address
        public var spec: ModelSpec
        /// Shares issued to the owner at genesis; nil or absent: none.
        public var shares: Amount?

        /// A genesis model of `owner`.
        public init(owner: Address, spec: ModelSpec, shares: Amount? = nil) {
            self.owner = owner
            self.spec = spec
            self.shares = shares
        }
    }

    public var params: ModelsParams?
    public var models: [Model]?

    /// A section with `params` (nil: the defaults) and `models`.
    public init(params: ModelsParams? = nil, models: [Model]? = nil) {
        self.params = params
        self.models = models
    }
}

extension ModelsModule {
    /// Stores the parameters (defaults when none are given) and registers the genesis models, issuing their
    /// shares. The bank's genesis must run first, as it does in the ledger's module order.
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        var genesis = ModelsGenesis()
        if let section {
            do { genesis = try section.decode(as: ModelsGenesis.self) } catch { throw ModelsError.badGenesis("\(error)") }
        }
        let params = genesis.params ?? .default
        do { try params.validate() } catch { throw ModelsError.badGenesis(error.message) }
        try store(params, context: context)
        for model in genesis.models ?? [] {
            do { try model.spec.validate() } catch { throw ModelsError.badGenesis("model '\(model.spec.name)': \(error.message)") }
            let id = try register(model.spec, owner: model.owner, context: context)
            if let shares = model.shares {
                let message = MsgIssueShares(modelID: id, shares: shares)
                do { try message.validate() } catch { throw ModelsError.badGenesis("model '\(model.spec.name)': \(error.message)") }
                try issueShares(message, signer: model.owner, context: context)
            }
        }
    }
}
