import CairnPrimitives
public import CairnLedger

/// The market section of the genesis file: its parameters. Providers and channels start empty.
public struct MarketGenesis: Sendable, Equatable, Codable {
    /// nil: the defaults.
    public var params: MarketParams?

    /// A section with `params` (nil: the defaults).
    public init(params: MarketParams? = nil) {
        self.params = params
    }
}

extension MarketModule {
    /// Stores the parameters (the defaults when none are given).
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        var genesis = MarketGenesis()
        if let section {
            do { genesis = try section.decode(as: MarketGenesis.self) } catch { throw MarketError.badGenesis("\(error)") }
        }
        try store(genesis.params ?? .default, context: context)
    }
}
