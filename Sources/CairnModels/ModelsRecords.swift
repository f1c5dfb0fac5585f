public import CairnPrimitives
public import CairnLedger

/// A registered model, at `models/m/<id>`: its spec, its owner (the NFT), its shares and its royalty
/// accumulator.
///
/// Once shares are issued, each royalty raises `rewardPerShare` by `floor((amount × scale + carry) / shares)`
/// and keeps the remainder in `carry` (see `RoyaltyMath`), so no unit is lost to rounding.
public struct ModelRecord: Sendable, Equatable, CanonicalCodable {
    public var spec: ModelSpec
    /// Who owns the model's NFT; it receives the royalties while no shares exist.
    public var owner: Address
    public var registeredHeight: UInt64
    /// Shares issued (zero before): the supply of `ModelShares.denom(id)`, fixed once issued.
    public var shares: Amount
    /// Every royalty the model has earned, paid to its owner or into the pool.
    public var royaltiesEarned: Amount
    /// Royalty per share since the shares were issued, scaled by `RoyaltyMath.scale`.
    public var rewardPerShare: UInt128
    /// Royalty not yet assigned to shares, scaled by `RoyaltyMath.scale`: the remainder of the last
    /// division, carried into the next royalty. Always below `shares`.
    public var carry: UInt128

    /// A model just registered by `owner` at `height`, with no shares.
    public init(spec: ModelSpec, owner: Address, registeredHeight: UInt64) {
        self.spec = spec
        self.owner = owner
        self.registeredHeight = registeredHeight
        shares = .zero
        royaltiesEarned = .zero
        rewardPerShare = 0
        carry = 0
    }

    /// Whether the model's shares have been issued: royalties then go to the pool and its holders.
    public var hasShares: Bool { shares > .zero }

    public func encode(to w: inout CanonicalWriter) {
        spec.encode(to: &w)
        w.write(owner)
        w.write(registeredHeight)
        w.write(shares)
        w.write(royaltiesEarned)
        w.write(rewardPerShare)
        w.write(carry)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        spec = try ModelSpec(from: &r)
        owner = try r.readAddress()
        registeredHeight = try r.readUInt64()
        shares = try r.readAmount()
        royaltiesEarned = try r.readAmount()
        rewardPerShare = try r.readUInt128()
        carry = try r.readUInt128()
    }
}

/// A holder's royalty checkpoint in one model, at `models/holder/<id>/<address>`.
///
/// The bank's balance observer settles it before every change of the holder's share balance, so the
/// balance it earned on since `rewardPerShareAtSettle` is the bank balance now.
public struct HolderRecord: Sendable, Equatable, CanonicalCodable {
    /// The model's `rewardPerShare` when this holder was last settled.
    public var rewardPerShareAtSettle: UInt128
    /// Royalties settled and not yet claimed, scaled by `RoyaltyMath.scale`: a claim pays the whole units
    /// and keeps the fraction.
    public var pendingScaled: UInt128

    /// A checkpoint at `rewardPerShare` with `pendingScaled` owed.
    public init(rewardPerShareAtSettle: UInt128, pendingScaled: UInt128 = 0) {
        self.rewardPerShareAtSettle = rewardPerShareAtSettle
        self.pendingScaled = pendingScaled
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(rewardPerShareAtSettle)
        w.write(pendingScaled)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        rewardPerShareAtSettle = try r.readUInt128()
        pendingScaled = try r.readUInt128()
    }
}

/// Fixed-point arithmetic of royalty accounting.
public enum RoyaltyMath {
    /// Royalties per share are kept in units of 10^-18 of a base unit.
    public static let scale: UInt128 = 1_000_000_000_000_000_000

    static func multiply(_ a: UInt128, _ b: UInt128, _ what: String) throws(LedgerError) -> UInt128 {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw ModelsError.overflow(what) }
        return p
    }

    static func add(_ a: UInt128, _ b: UInt128, _ what: String) throws(LedgerError) -> UInt128 {
        let (s, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw ModelsError.overflow(what) }
        return s
    }
}

/// The models module's state keys (see README).
public enum ModelsKeys {
    public static let module = "models"
    public static let params = StateKey.make(module, "params")
    static let nextID = StateKey.make(module, "next")
    static let modelPrefix = StateKey.make(module, "m") + [UInt8(ascii: "/")]
    static let namePrefix = StateKey.make(module, "name") + [UInt8(ascii: "/")]
    static let weightsPrefix = StateKey.make(module, "hash") + [UInt8(ascii: "/")]
    static let ownerPrefix = StateKey.make(module, "owner") + [UInt8(ascii: "/")]
    static let holderPrefix = StateKey.make(module, "holder") + [UInt8(ascii: "/")]

    /// `models/m/<id, 8 bytes big-endian>`: the model's record, in id order.
    static func model(_ id: UInt64) -> [UInt8] { modelPrefix + StateKey.bigEndian(id) }
    /// `models/name/<name>`: the id of the model with this name.
    static func name(_ name: String) -> [UInt8] { namePrefix + Array(name.utf8) }
    /// `models/hash/<32 bytes>`: the id of the model with these weights.
    static func weights(_ hash: Hash) -> [UInt8] { weightsPrefix + hash.bytes }
    /// `models/owner/<owner>/<id>`: empty; the models an address owns.
    static func owned(_ owner: Address, _ id: UInt64) -> [UInt8] { ownedBy(owner) + StateKey.bigEndian(id) }
    static func ownedBy(_ owner: Address) -> [UInt8] { ownerPrefix + owner.bytes + [UInt8(ascii: "/")] }
    /// `models/holder/<id>/<holder>`: a holder's checkpoint.
    static func holder(_ id: UInt64, _ holder: Address) -> [UInt8] { holders(of: id) + holder.bytes }
    static func holders(of id: UInt64) -> [UInt8] { holderPrefix + StateKey.bigEndian(id) + [UInt8(ascii: "/")] }
}
