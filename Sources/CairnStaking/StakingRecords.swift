public import CairnPrimitives
import CairnLedger

/// What an operator runs: a validator signs blocks, a provider serves models.
public enum OperatorKind: UInt8, Sendable, Codable {
    case validator = 0
    case provider = 1
}

/// An operator's stake and reward state, at `staking/op/<operator>`.
///
/// Stake is held as shares: a delegation owns `shares` of the operator's `tokens`, so a slash, which lowers
/// `tokens`, lowers every delegation at once without touching them. Rewards accrue per share.
public struct OperatorRecord: Sendable, Equatable, CanonicalCodable {
    public var kind: OperatorKind
    /// The operator's cut of each reward, in basis points.
    public var commissionBps: UInt32
    /// Bonded tokens behind the operator, its own and its delegators'.
    public var tokens: Amount
    /// Shares issued to delegations (the operator's own bond is a delegation too).
    public var shares: UInt128
    /// Reward per share since the operator began, scaled by `RewardMath.scale`.
    public var rewardPerShare: UInt128
    /// Reward not yet assigned to shares (scaled by `RewardMath.scale`): the remainder of the last
    /// division, carried into the next distribution so no reward is lost to rounding.
    public var carry: UInt128
    /// Commission earned and not yet withdrawn.
    public var commission: Amount
    /// A display name, up to 64 bytes.
    public var moniker: String
    /// The operator's Ed25519 key (32 bytes): a validator's block signatures are checked against it in
    /// double-signing evidence.
    public var publicKey: [UInt8]
    /// Whether the operator is jailed: it earns nothing, votes with nothing and (a validator) signs nothing.
    public var jailed: Bool
    /// The first height at which a jailed operator may unjail itself.
    public var jailedUntil: UInt64
    /// Jailed for good (double-signing): it can never unjail.
    public var tombstoned: Bool

    public init(kind: OperatorKind, commissionBps: UInt32, moniker: String = "", publicKey: [UInt8] = []) {
        self.kind = kind
        self.commissionBps = commissionBps
        tokens = .zero
        shares = 0
        rewardPerShare = 0
        carry = 0
        commission = .zero
        self.moniker = moniker
        self.publicKey = publicKey
        jailed = false
        jailedUntil = 0
        tombstoned = false
    }

    /// Whether the operator earns rewards and counts for stake: not jailed and with tokens bonded.
    public var isActive: Bool { !jailed && tokens > .zero }

    public func encode(to w: inout CanonicalWriter) {
        w.write(kind.rawValue)
        w.write(commissionBps)
        w.write(tokens)
        w.write(shares)
        w.write(rewardPerShare)
        w.write(carry)
        w.write(commission)
        w.write(moniker)
        w.write(bytes: publicKey)
        w.write(jailed)
        w.write(jailedUntil)
        w.write(tombstoned)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        guard let k = OperatorKind(rawValue: try r.readUInt8()) else { throw DecodeError("unknown operator kind") }
        kind = k
        commissionBps = try r.readUInt32()
        tokens = try r.readAmount()
        shares = try r.readUInt128()
        rewardPerShare = try r.readUInt128()
        carry = try r.readUInt128()
        commission = try r.readAmount()
        moniker = try r.readString(limit: 64)
        publicKey = try r.readBytes(limit: 32)
        jailed = try r.readBool()
        jailedUntil = try r.readUInt64()
        tombstoned = try r.readBool()
    }
}

/// A delegation, at `staking/del/<delegator>/<operator>`.
public struct DelegationRecord: Sendable, Equatable, CanonicalCodable {
    public var shares: UInt128
    /// The operator's `rewardPerShare` when this delegation's rewards were last settled.
    public var rewardPerShareAtSettle: UInt128
    /// Rewards settled and not yet withdrawn, scaled by `RewardMath.scale`: the whole units are paid on
    /// withdrawal and the fraction stays here for the next one.
    public var pendingScaled: UInt128

    public init(shares: UInt128 = 0, rewardPerShareAtSettle: UInt128, pendingScaled: UInt128 = 0) {
        self.shares = shares
        self.rewardPerShareAtSettle = rewardPerShareAtSettle
        self.pendingScaled = pendingScaled
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(shares)
        w.write(rewardPerShareAtSettle)
        w.write(pendingScaled)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        shares = try r.readUInt128()
        rewardPerShareAtSettle = try r.readUInt128()
        pendingScaled = try r.readUInt128()
    }
}

/// The staking module's state keys.
public enum StakingKeys {
    public static let module = "staking"
    static let operatorPrefix = StateKey.make(module, "op") + [UInt8(ascii: "/")]
    static let delegationPrefix = StateKey.make(module, "del") + [UInt8(ascii: "/")]

    public static func operatorRecord(_ op: Address) -> [UInt8] { StateKey.make(prefix: operatorPrefix, op.bytes) }

    public static func delegation(_ delegator: Address, _ op: Address) -> [UInt8] {
        StateKey.make(prefix: delegationPrefix, delegator.bytes + [UInt8(ascii: "/")] + op.bytes)
    }

    /// Every delegation of `delegator`.
    public static func delegations(of delegator: Address) -> [UInt8] {
        StateKey.make(prefix: delegationPrefix, delegator.bytes + [UInt8(ascii: "/")])
    }
}

/// Stake on its way out: tokens taken out of an operator that wait out the unbonding period in the
/// unbonding pool, at `staking/ubd/<operator>/<delegator>/<completion height>`. Still slashable for
/// faults committed before `creationHeight`.
public struct UnbondingEntry: Sendable, Equatable, CanonicalCodable {
    public var creationHeight: UInt64
    /// Tokens when the entry was made: a slash takes its fraction of this, at most `balance`.
    public var initialBalance: Amount
    /// Tokens that will be paid out at completion.
    public var balance: Amount

    public init(creationHeight: UInt64, initialBalance: Amount, balance: Amount) {
        self.creationHeight = creationHeight
        self.initialBalance = initialBalance
        self.balance = balance
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(creationHeight)
        w.write(initialBalance)
        w.write(balance)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        creationHeight = try r.readUInt64()
        initialBalance = try r.readAmount()
        balance = try r.readAmount()
    }
}

/// Stake moved from one operator to another at once, at
/// `staking/red/<source>/<delegator>/<destination>/<completion height>`: until completion it answers for
/// the source's earlier faults, through the shares it bought at the destination.
public struct RedelegationEntry: Sendable, Equatable, CanonicalCodable {
    public var creationHeight: UInt64
    /// Tokens moved; a slash of the source takes its fraction of this.
    public var initialBalance: Amount
    /// Destination shares the move issued and that still stand behind it.
    public var sharesDestination: UInt128

    public init(creationHeight: UInt64, initialBalance: Amount, sharesDestination: UInt128) {
        self.creationHeight = creationHeight
        self.initialBalance = initialBalance
        self.sharesDestination = sharesDestination
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(creationHeight)
        w.write(initialBalance)
        w.write(sharesDestination)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        creationHeight = try r.readUInt64()
        initialBalance = try r.readAmount()
        sharesDestination = try r.readUInt128()
    }
}

/// A validator's recent signing, at `staking/sign/<operator>`: a bit per block of the signing window.
public struct SigningInfo: Sendable, Equatable, CanonicalCodable {
    /// The height from which the validator has been counted (registration or its last unjailing).
    public var startHeight: UInt64
    /// Blocks counted so far (stops mattering past the window).
    public var counted: UInt64
    /// Missed blocks among the last `window` counted.
    public var missed: UInt64
    /// One bit per slot of the window, set when that block was missed; slot = counted mod window.
    public var bitmap: [UInt8]

    public init(startHeight: UInt64, window: UInt64) {
        self.startHeight = startHeight
        counted = 0
        missed = 0
        bitmap = [UInt8](repeating: 0, count: Int((window + 7) / 8))
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(startHeight)
        w.write(counted)
        w.write(missed)
        w.write(bytes: bitmap)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        startHeight = try r.readUInt64()
        counted = try r.readUInt64()
        missed = try r.readUInt64()
        bitmap = try r.readBytes(limit: 1 << 20)
    }
}

extension StakingKeys {
    static let unbondingPrefix = StateKey.make(module, "ubd") + [UInt8(ascii: "/")]
    static let unbondingQueuePrefix = StateKey.make(module, "ubdq") + [UInt8(ascii: "/")]
    static let unbondingByDelegatorPrefix = StateKey.make(module, "ubdd") + [UInt8(ascii: "/")]
    static let redelegationPrefix = StateKey.make(module, "red") + [UInt8(ascii: "/")]
    static let redelegationQueuePrefix = StateKey.make(module, "redq") + [UInt8(ascii: "/")]
    static let redelegationByDestinationPrefix = StateKey.make(module, "redd") + [UInt8(ascii: "/")]
    static let signingPrefix = StateKey.make(module, "sign") + [UInt8(ascii: "/")]
    public static let params = StateKey.make(module, "params")

    /// `staking/ubd/<operator>/<delegator>/<completion>`: by operator first, so a slash finds its entries.
    static func unbonding(_ op: Address, _ delegator: Address, _ completion: UInt64) -> [UInt8] {
        unbondingPrefix + op.bytes + [UInt8(ascii: "/")] + delegator.bytes + [UInt8(ascii: "/")] + StateKey.bigEndian(completion)
    }

    static func unbondings(of op: Address) -> [UInt8] { unbondingPrefix + op.bytes + [UInt8(ascii: "/")] }

    /// `staking/ubdq/<completion>/`: everything that matures at `height`.
    static func unbondingQueue(at height: UInt64) -> [UInt8] { unbondingQueuePrefix + StateKey.bigEndian(height) + [UInt8(ascii: "/")] }

    /// `staking/redq/<completion>/`: every redelegation that matures at `height`.
    static func redelegationQueue(at height: UInt64) -> [UInt8] { redelegationQueuePrefix + StateKey.bigEndian(height) + [UInt8(ascii: "/")] }

    /// `staking/ubdq/<completion>/<operator>/<delegator>`: what matures, in height order.
    static func unbondingQueue(_ completion: UInt64, _ op: Address, _ delegator: Address) -> [UInt8] {
        unbondingQueuePrefix + StateKey.bigEndian(completion) + [UInt8(ascii: "/")] + op.bytes + [UInt8(ascii: "/")] + delegator.bytes
    }

    /// `staking/ubdd/<delegator>/<operator>/<completion>`: a delegator's entries, for queries.
    static func unbondingByDelegator(_ delegator: Address, _ op: Address, _ completion: UInt64) -> [UInt8] {
        unbondingByDelegatorPrefix + delegator.bytes + [UInt8(ascii: "/")] + op.bytes + [UInt8(ascii: "/")] + StateKey.bigEndian(completion)
    }

    static func redelegation(_ source: Address, _ delegator: Address, _ destination: Address, _ completion: UInt64) -> [UInt8] {
        redelegationPrefix + source.bytes + [UInt8(ascii: "/")] + delegator.bytes + [UInt8(ascii: "/")] + destination.bytes
            + [UInt8(ascii: "/")] + StateKey.bigEndian(completion)
    }

    static func redelegations(from source: Address) -> [UInt8] { redelegationPrefix + source.bytes + [UInt8(ascii: "/")] }

    static func redelegationQueue(_ completion: UInt64, _ source: Address, _ delegator: Address, _ destination: Address) -> [UInt8] {
        redelegationQueuePrefix + StateKey.bigEndian(completion) + [UInt8(ascii: "/")] + source.bytes + [UInt8(ascii: "/")] + delegator.bytes
            + [UInt8(ascii: "/")] + destination.bytes
    }

    /// `staking/redd/<delegator>/<destination>/<completion>`: stake that arrived at `destination` by a
    /// redelegation still maturing cannot move on again until it does (no hopping away from a slash).
    static func redelegationInto(_ delegator: Address, _ destination: Address, _ completion: UInt64) -> [UInt8] {
        redelegationByDestinationPrefix + delegator.bytes + [UInt8(ascii: "/")] + destination.bytes + [UInt8(ascii: "/")] + StateKey.bigEndian(completion)
    }

    static func redelegationsInto(_ delegator: Address, _ destination: Address) -> [UInt8] {
        redelegationByDestinationPrefix + delegator.bytes + [UInt8(ascii: "/")] + destination.bytes + [UInt8(ascii: "/")]
    }

    static func signingInfo(_ op: Address) -> [UInt8] { StateKey.make(prefix: signingPrefix, op.bytes) }
}
