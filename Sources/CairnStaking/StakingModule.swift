public import CairnPrimitives
public import CairnLedger

/// The staking module: operators (validators and providers) bond stake, holders delegate, rewards from
/// emission and tips are shared by reward-per-share accumulators, and faults are slashed.
public struct StakingModule: LedgerModule {
    public let name = StakingKeys.module
    let bank: any StakingBank

    public init(bank: any StakingBank) {
        self.bank = bank
    }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgCreateValidator.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgCreateValidator(canonicalBytes: b) },
            MsgCreateProvider.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgCreateProvider(canonicalBytes: b) },
            MsgDelegate.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgDelegate(canonicalBytes: b) },
            MsgUndelegate.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgUndelegate(canonicalBytes: b) },
            MsgRedelegate.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRedelegate(canonicalBytes: b) },
            MsgWithdrawRewards.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgWithdrawRewards(canonicalBytes: b) },
            MsgUnjail.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgUnjail(canonicalBytes: b) },
        ]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgCreateValidator: try createOperator(.validator, m.spec, signer: signer, context: context)
        case let m as MsgCreateProvider: try createOperator(.provider, m.spec, signer: signer, context: context)
        case let m as MsgDelegate: try delegate(m, signer: signer, context: context)
        case let m as MsgUndelegate: try undelegate(m, signer: signer, context: context)
        case let m as MsgRedelegate: try redelegate(m, signer: signer, context: context)
        case let m as MsgWithdrawRewards: try withdrawRewards(m, signer: signer, context: context)
        case is MsgUnjail: try unjail(signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    // MARK: Parameters

    /// The stored parameters (the defaults before genesis writes them).
    public func params(state: any StateReader) throws(LedgerError) -> StakingParams {
        let raw: [UInt8]?
        do { raw = try state.get(StakingKeys.params) } catch { throw StakingError.corrupt("params: \(error)") }
        do { return try StakingParams.stored(raw) } catch { throw StakingError.corrupt("params: \(error)") }
    }

    func store(_ params: StakingParams, context: ExecutionContext) throws(LedgerError) {
        try params.validate()
        context.state.set(StakingKeys.params, params.canonicalBytes)
    }

    public var hasParameters: Bool { true }

    public func parameters(state: any StateReader) throws -> JSONValue? { try params(state: state).jsonValue }

    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        let updated = try params(state: context.state).replacing(key, with: value, module: name)
        try store(updated, context: context)
    }

    // MARK: Helpers

    static func native(_ amount: Amount) -> Coin { Coin(denom: Denom.native, amount: amount) }
}
