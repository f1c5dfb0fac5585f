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

    public init(kind: OperatorKind, commissionBps: UInt32) {
        self.kind = kind
        self.commissionBps = commissionBps
        tokens = .zero
        shares = 0
        rewardPerShare = 0
        carry = 0
        commission = .zero
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(kind.rawValue)
        w.write(commissionBps)
        w.write(tokens)
        w.write(shares)
        w.write(rewardPerShare)
        w.write(carry)
        w.write(commission)
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
