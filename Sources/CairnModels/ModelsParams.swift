public import CairnPrimitives
public import CairnLedger

/// The models module's parameters, at `models/params` in the canonical parameter encoding; governance changes them.
public struct ModelsParams: Sendable, Equatable, Codable, ParameterSet {
    /// The highest royalty a model can be registered with, in basis points. Lowering it leaves models
    /// registered before with the royalty they have.
    public var maxRoyaltyBps: UInt32

    /// The defaults: royalties of up to 20%.
    public static let `default` = ModelsParams(maxRoyaltyBps: 2_000)

    /// Parameters with the given cap.
    public init(maxRoyaltyBps: UInt32) {
        self.maxRoyaltyBps = maxRoyaltyBps
    }

    public static var defaults: ModelsParams { .default }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<ModelsParams>] { [.init("maxRoyaltyBps", .uint32(\.maxRoyaltyBps))] }

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
        do { return try ModelsParams.stored(raw) } catch { throw ModelsError.corrupt("params: \(error)") }
    }

    func store(_ params: ModelsParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        context.state.set(ModelsKeys.params, params.canonicalBytes)
    }

    /// The module has parameters governance can change.
    public var hasParameters: Bool { true }

    /// The parameters as a JSON object.
    public func parameters(state: any StateReader) throws -> JSONValue? { try params(state: state).jsonValue }

    /// Validates and sets one parameter (`maxRoyaltyBps`).
    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try params(state: context.state).replacing(key, with: value, module: name)
        try store(updated, context: context)
    }
}
