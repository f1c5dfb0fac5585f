public import CairnPrimitives
public import CairnLedger

/// The models module's parameters, at `models/params` (sorted-key JSON); governance changes them.
public struct ModelsParams: Sendable, Equatable, Codable {
    /// The highest royalty a model can be registered with, in basis points. Lowering it leaves models
    /// registered before with the royalty they have.
    public var maxRoyaltyBps: UInt32

    /// The defaults: royalties of up to 20%.
    public static let `default` = ModelsParams(maxRoyaltyBps: 2_000)

    /// Parameters with the given cap.
    public init(maxRoyaltyBps: UInt32) {
        self.maxRoyaltyBps = maxRoyaltyBps
    }

    /// Checks every range; the error names the parameter.
    public func validate() throws(LedgerError) {
        guard maxRoyaltyBps <= 10_000 else {
            throw CoreError.invalidParameter(ModelsKeys.module, "maxRoyaltyBps", "\(maxRoyaltyBps) basis points is above 10000")
        }
    }
}

extension ModelsModule {
    /// The stored parameters (the defaults before genesis writes them).
    public func params(state: any StateReader) throws(LedgerError) -> ModelsParams {
        let raw: [UInt8]?
        do { raw = try state.get(ModelsKeys.params) } catch { throw ModelsError.corrupt("params: \(error)") }
        guard let raw else { return .default }
        do { return try ParameterCoding.decode(ModelsParams.self, from: raw) } catch { throw ModelsError.corrupt("params: \(error)") }
    }

    func store(_ params: ModelsParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        do { context.state.set(ModelsKeys.params, try ParameterCoding.encode(params)) } catch { throw ModelsError.corrupt("params: \(error)") }
    }

    /// The module has parameters governance can change.
    public var hasParameters: Bool { true }

    /// The parameters as a JSON object.
    public func parameters(state: any StateReader) throws -> JSONValue? { try JSONValue(encoding: params(state: state)) }

    /// Validates and sets one parameter (`maxRoyaltyBps`).
    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try ParameterCoding.replacing(key, with: value, in: try params(state: context.state), module: name)
        try store(updated, context: context)
    }
}
