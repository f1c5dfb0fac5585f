public import CairnPrimitives

/// Reads and changes any module's parameters by name; governance uses it to execute parameter-change
/// proposals. The ledger implements it (module `ledger` is the core's `ChainParams`) and hands it to
/// modules through `ExecutionContext.parameters`.
public protocol ParameterRouter: Sendable {
    /// The names of the modules that have parameters (`ledger` included).
    var parameterModules: [String] { get }
    /// `module`'s parameters as a JSON object, or nil when it has none.
    func parameters(module: String, state: any StateReader) throws -> JSONValue?
    /// Validates and sets one parameter; an unknown module or key, or an invalid value, throws and writes nothing.
    func setParameter(module: String, key: String, value: JSONValue, context: ExecutionContext) throws(LedgerError)
}

extension ExecutionContext {
    /// Another module's whole-number parameter `key`, read through the ledger's parameters (nil where that module does not
    /// run, or has no such parameter): how a module checks a rule that ties its parameters to another's.
    public func wholeParameter(_ module: String, _ key: String) throws -> UInt64? {
        guard let router = parameters, router.parameterModules.contains(module),
              case .object(let fields)? = try router.parameters(module: module, state: state) else { return nil }
        switch fields[key] {
        case .number(let n)?: return n.uint64
        case .string(let s)?: return UInt64(s)
        default: return nil
        }
    }
}

extension JSONValue {
    /// A short JSON rendering for error messages.
    public var compactDescription: String {
        let text = canonicalText
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

extension ChainParams {
    /// Checks the ranges the core relies on; the message names the offending field.
    public func validate() throws(LedgerError) {
        func check(_ ok: Bool, _ key: String, _ why: String) throws(LedgerError) {
            guard ok else { throw CoreError.invalidParameter(Ledger.parameterModule, key, why) }
        }
        try check(blockGasLimit >= 10_000, "blockGasLimit", "must be at least 10000 (room for one transaction)")
        try check(blockGasLimit <= 1_000_000_000_000, "blockGasLimit", "must be at most 10^12")
        try check(minBaseFee <= initialBaseFee || initialBaseFee == .zero, "minBaseFee", "must not exceed initialBaseFee")
        try check(baseFeeChangeDenominator >= 1, "baseFeeChangeDenominator", "must be at least 1")
        try check((1_024...(1 << 20)).contains(maxTxBytes), "maxTxBytes", "must be between 1024 and 1048576")
        try check((0...1_024).contains(maxMemoBytes), "maxMemoBytes", "must be between 0 and 1024")
    }
}

extension Ledger: ParameterRouter {
    /// The name under which the core's `ChainParams` are changed.
    public static let parameterModule = "ledger"

    public var parameterModules: [String] {
        [Ledger.parameterModule] + modules.filter(\.hasParameters).map(\.name)
    }

    public func parameters(module: String, state: any StateReader) throws -> JSONValue? {
        if module == Ledger.parameterModule { return try params(state: state).jsonValue }
        guard let m = modules.first(where: { $0.name == module }) else { return nil }
        return try m.parameters(state: state)
    }

    public func setParameter(module: String, key: String, value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        if module == Ledger.parameterModule {
            let current: ChainParams
            do { current = try params(state: context.state) } catch { throw CoreError.invalidParameter(module, key, "stored parameters: \(error)") }
            context.state.set(Ledger.paramsKey, try current.replacing(key, with: value, module: module).canonicalBytes)
            return
        }
        guard let m = modules.first(where: { $0.name == module }), m.hasParameters else {
            throw CoreError.unknownParameter(module, key, known: [])
        }
        try m.setParameter(key, to: value, context: context)
    }
}
