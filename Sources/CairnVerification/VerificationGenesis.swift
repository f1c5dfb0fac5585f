public import CairnLedger

/// The module's section of the genesis file: `{"params": {...}}`; a missing section or params mean the defaults.
public struct VerificationGenesis: Sendable, Equatable, Codable {
    public var params: VerificationParams?

    public init(params: VerificationParams? = nil) { self.params = params }
}

extension VerificationModule {
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        var genesis = VerificationGenesis()
        if let section {
            do { genesis = try section.decode(as: VerificationGenesis.self) } catch { throw VerificationError.badGenesis("\(error)") }
        }
        let params = genesis.params ?? .default
        do { try store(params, context: context) } catch { throw VerificationError.badGenesis(error.message) }
    }
}
