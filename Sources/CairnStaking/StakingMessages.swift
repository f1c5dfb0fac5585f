public import CairnPrimitives
public import CairnLedger

/// What registering an operator takes: a name, a commission, the operator's key and its self-bond.
public struct OperatorSpec: Sendable, Equatable, Encodable {
    public var moniker: String
    public var commissionBps: UInt32
    /// The signer's own Ed25519 public key (32 bytes); its address must be the signer.
    public var publicKey: [UInt8]
    public var selfBond: Amount

    public init(moniker: String, commissionBps: UInt32, publicKey: PublicKey, selfBond: Amount) {
        self.moniker = moniker
        self.commissionBps = commissionBps
        self.publicKey = publicKey.rawRepresentation
        self.selfBond = selfBond
    }

    func validate() throws(LedgerError) {
        guard !moniker.isEmpty, moniker.utf8.count <= 64 else { throw StakingError.invalidMessage("moniker must be 1 to 64 bytes") }
        guard commissionBps <= 10_000 else { throw StakingError.basisPointsAbove10000("commission", commissionBps) }
        guard PublicKey(rawRepresentation: publicKey) != nil else { throw StakingError.invalidMessage("public key is not a 32-byte Ed25519 key") }
        guard selfBond > .zero else { throw StakingError.zeroAmount() }
    }

    func encode(to w: inout CanonicalWriter) {
        w.write(moniker)
        w.write(commissionBps)
        w.write(bytes: publicKey)
        w.write(selfBond)
    }

    init(from r: inout CanonicalReader) throws(DecodeError) {
        moniker = try r.readString(limit: 256)
        commissionBps = try r.readUInt32()
        publicKey = try r.readBytes(limit: 64)
        selfBond = try r.readAmount()
    }
}

/// `staking/create-validator`: registers the signer as a validator with its self-bond.
public struct MsgCreateValidator: LedgerMessage, Equatable {
    public static let typeName = "staking/create-validator"
    public var spec: OperatorSpec
    public init(_ spec: OperatorSpec) { self.spec = spec }
    public var gas: UInt64 { StakingGas.createOperator }
    public func validate() throws(LedgerError) { try spec.validate() }
    public func encode(to w: inout CanonicalWriter) { spec.encode(to: &w) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { spec = try OperatorSpec(from: &r) }
}

/// `staking/create-provider`: registers the signer as a provider with its self-bond.
public struct MsgCreateProvider: LedgerMessage, Equatable {
    public static let typeName = "staking/create-provider"
    public var spec: OperatorSpec
    public init(_ spec: OperatorSpec) { self.spec = spec }
    public var gas: UInt64 { StakingGas.createOperator }
    public func validate() throws(LedgerError) { try spec.validate() }
    public func encode(to w: inout CanonicalWriter) { spec.encode(to: &w) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { spec = try OperatorSpec(from: &r) }
}

/// A message that names an operator and an amount (delegate, undelegate): one encoding and one check.
public protocol OperatorAmountMessage: LedgerMessage {
    var `operator`: Address { get }
    var amount: Amount { get }
    init(operator: Address, amount: Amount)
}

extension OperatorAmountMessage {
    public func validate() throws(LedgerError) { guard amount > .zero else { throw StakingError.zeroAmount() } }

    public func encode(to w: inout CanonicalWriter) {
        w.write(`operator`)
        w.write(amount)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        self.init(operator: try r.readAddress(), amount: try r.readAmount())
    }
}

/// `staking/delegate`: bonds `amount` ucairn of the signer's behind `operator`.
public struct MsgDelegate: OperatorAmountMessage, Equatable {
    public static let typeName = "staking/delegate"
    public var `operator`: Address
    public var amount: Amount
    public init(operator: Address, amount: Amount) {
        self.operator = `operator`
        self.amount = amount
    }
    public var gas: UInt64 { StakingGas.delegate }
}

/// `staking/undelegate`: starts unbonding `amount` of the signer's stake behind `operator`.
public struct MsgUndelegate: OperatorAmountMessage, Equatable {
    public static let typeName = "staking/undelegate"
    public var `operator`: Address
    public var amount: Amount
    public init(operator: Address, amount: Amount) {
        self.operator = `operator`
        self.amount = amount
    }
    public var gas: UInt64 { StakingGas.undelegate }
}

/// `staking/redelegate`: moves `amount` of the signer's stake from `source` to `destination` at once.
public struct MsgRedelegate: LedgerMessage, Equatable {
    public static let typeName = "staking/redelegate"
    public var source: Address
    public var destination: Address
    public var amount: Amount
    public init(source: Address, destination: Address, amount: Amount) {
        self.source = source
        self.destination = destination
        self.amount = amount
    }
    public var gas: UInt64 { StakingGas.redelegate }
    public func validate() throws(LedgerError) {
        guard amount > .zero else { throw StakingError.zeroAmount() }
        guard source != destination else { throw StakingError.invalidMessage("source and destination are the same operator") }
    }
    public func encode(to w: inout CanonicalWriter) {
        w.write(source)
        w.write(destination)
        w.write(amount)
    }
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        source = try r.readAddress()
        destination = try r.readAddress()
        amount = try r.readAmount()
    }
}

/// `staking/withdraw-rewards`: pays the signer its rewards from `operator` (and its commission, when the
/// signer is that operator).
public struct MsgWithdrawRewards: LedgerMessage, Equatable {
    public static let typeName = "staking/withdraw-rewards"
    public var `operator`: Address
    public init(operator: Address) { self.operator = `operator` }
    public var gas: UInt64 { StakingGas.withdraw }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) { w.write(`operator`) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { `operator` = try r.readAddress() }
}

/// `staking/unjail`: the signer, a jailed operator whose jail time is over, returns to the active set.
public struct MsgUnjail: LedgerMessage, Equatable {
    public static let typeName = "staking/unjail"
    public init() {}
    public var gas: UInt64 { StakingGas.unjail }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) {}
    public init(from r: inout CanonicalReader) throws(DecodeError) {}
}

/// The staking module's gas costs (see README).
public enum StakingGas {
    public static let createOperator: UInt64 = 20_000
    public static let delegate: UInt64 = 10_000
    public static let undelegate: UInt64 = 12_000
    public static let redelegate: UInt64 = 20_000
    public static let withdraw: UInt64 = 8_000
    public static let unjail: UInt64 = 5_000
}
