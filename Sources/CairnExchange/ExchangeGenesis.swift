public import CairnLedger

/// The exchange's section of the genesis file: `{"params": {...}}`; a missing section or params mean the defaults.
public struct ExchangeGenesis: Sendable, Equatable, Codable {
    public var params: ExchangeParams?

    public init(params: ExchangeParams? = nil) { self.params = params }
}

extension ExchangeModule {
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        var genesis = ExchangeGenesis()
        if let section {
            do { genesis = try section.decode(as: ExchangeGenesis.self) } catch { throw ExchangeError.badGenesis("\(error)") }
        }
        let params = genesis.params ?? .default
        do { try params.validate() } catch { throw ExchangeError.badGenesis(error.message) }
        try store(params, context: context)
    }
}
