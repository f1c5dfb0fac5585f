public import CairnLedger

/// The governance section of the genesis file: `{"params": {...}}`; a missing section or missing params
/// mean the defaults.
public struct GovGenesis: Sendable, Equatable, Codable {
    public var params: GovParams?

    public init(params: GovParams? = nil) { self.params = params }
}

extension GovModule {
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        var genesis = GovGenesis()
        if let section {
            do { genesis = try section.decode(as: GovGenesis.self) } catch { throw GovError.badGenesis("\(error)") }
        }
        let params = genesis.params ?? .default
        do { try params.validate() } catch { throw GovError.badGenesis(error.message) }
        try GovStore(state: context.state).setParams(params)
    }
}
