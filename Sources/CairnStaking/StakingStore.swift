public import CairnPrimitives
public import CairnLedger

/// Fixed-point arithmetic of reward accounting.
public enum RewardMath {
    /// Rewards per share are kept in units of 10^-18 of a base unit.
    public static let scale: UInt128 = 1_000_000_000_000_000_000
    public static let basisPoints: UInt128 = 10_000

    static func multiply(_ a: UInt128, _ b: UInt128, _ what: String) throws(LedgerError) -> UInt128 {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw StakingError.overflow(what) }
        return p
    }

    static func add(_ a: UInt128, _ b: UInt128, _ what: String) throws(LedgerError) -> UInt128 {
        let (s, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw StakingError.overflow(what) }
        return s
    }
}

/// Stake and rewards of operators and their delegations, over the ledger state.
///
/// Rewards use a reward-per-share accumulator (the F1 idea of the Cosmos SDK): a distribution to an
/// operator raises its `rewardPerShare` once, and a delegation's reward is its shares times the rise since
/// it was last settled. No operation loops over delegators. The arithmetic is exact:
/// - a distribution assigns `floor((reward × scale + carry) / shares)` per share and carries the remainder
///   (in scaled units) into the operator's next distribution; with no shares at all, the whole reward waits
///   in the carry for the first shares to come;
/// - a delegation's settled reward is kept scaled; a withdrawal pays its whole units and keeps the fraction.
/// So every unit distributed is, at any time, paid out, pending in a delegation, or carried by its operator.
///
/// Coins do not move here: the module's handlers move them in the bank around these calls.
public struct StakingStore {
    public let state: StateOverlay

    public init(state: StateOverlay) { self.state = state }

    // MARK: Records

    public func operatorRecord(_ op: Address) throws(LedgerError) -> OperatorRecord? {
        try read(StakingKeys.operatorRecord(op), "operator \(op)")
    }

    public func delegation(_ delegator: Address, _ op: Address) throws(LedgerError) -> DelegationRecord? {
        try read(StakingKeys.delegation(delegator, op), "delegation of \(delegator) to \(op)")
    }

    /// The record at `key` decoded as `T`, or nil; `what` names it in the error when it is corrupt.
    func read<T: CanonicalCodable>(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T? {
        let raw: [UInt8]?
        do { raw = try state.get(key) } catch { throw StakingError.corrupt("\(what()): \(error)") }
        guard let raw else { return nil }
        return try StakingStore.decode(raw, what())
    }

    /// Every entry under `prefix`, in key order.
    func entries(_ prefix: [UInt8]) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw StakingError.corrupt("scan: \(error)") }
    }

    static func decode<T: CanonicalCodable>(_ raw: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T {
        do { return try T(canonicalBytes: raw) } catch { throw StakingError.corrupt("\(what()): \(error)") }
    }

    public func write(_ record: OperatorRecord, _ op: Address) {
        state.set(StakingKeys.operatorRecord(op), record.canonicalBytes)
    }

    func write(_ record: DelegationRecord, _ delegator: Address, _ op: Address) {
        let key = StakingKeys.delegation(delegator, op)
        if record.shares == 0 && record.pendingScaled == 0 { state.delete(key) } else { state.set(key, record.canonicalBytes) }
    }

    public func existingOperator(_ op: Address) throws(LedgerError) -> OperatorRecord {
        guard let record = try operatorRecord(op) else { throw StakingError.unknownOperator("\(op)") }
        return record
    }

    // MARK: Operations

    /// Registers `op` with no stake yet.
    public func register(_ op: Address, kind: OperatorKind, commissionBps: UInt32, moniker: String = "",
                         publicKey: [UInt8] = []) throws(LedgerError) {
        guard UInt128(commissionBps) <= RewardMath.basisPoints else { throw StakingError.basisPointsAbove10000("commission", commissionBps) }
        guard try operatorRecord(op) == nil else { throw StakingError.operatorExists("\(op)") }
        write(OperatorRecord(kind: kind, commissionBps: commissionBps, moniker: moniker, publicKey: publicKey), op)
    }

    /// The tokens `delegator`'s shares in `op` are worth now (rounded down).
    public func tokens(of delegator: Address, in op: Address) throws(LedgerError) -> Amount {
        let record = try existingOperator(op)
        guard let d = try delegation(delegator, op) else { return .zero }
        return Amount(try value(of: d, in: record))
    }

    /// The tokens `d`'s shares are worth in `record` (rounded down).
    func value(of d: DelegationRecord, in record: OperatorRecord) throws(LedgerError) -> UInt128 {
        d.shares == 0 ? 0 : try RewardMath.multiply(d.shares, record.tokens.value, "delegation value") / record.shares
    }

    /// Bonds `amount` more tokens from `delegator` behind `op`; returns the shares issued.
    @discardableResult
    public func delegate(_ delegator: Address, to op: Address, amount: Amount) throws(LedgerError) -> UInt128 {
        guard amount > .zero else { throw StakingError.zeroAmount() }
        var record = try existingOperator(op)
        var d = try settled(delegator, op, record)
        let issued: UInt128
        if record.shares == 0 {
            issued = amount.value
        } else {
            guard record.tokens > .zero else { throw StakingError.operatorWithoutTokens("\(op)") }
            issued = try RewardMath.multiply(amount.value, record.shares, "share issue") / record.tokens.value
            guard issued > 0 else { throw StakingError.zeroAmount() }
        }
        d.shares = try RewardMath.add(d.shares, issued, "delegation shares")
        record.shares = try RewardMath.add(record.shares, issued, "operator shares")
        record.tokens = Amount(try RewardMath.add(record.tokens.value, amount.value, "operator tokens"))
        write(d, delegator, op)
        write(record, op)
        return issued
    }

    /// Unbonds `amount` tokens of `delegator`'s stake in `op`; returns the tokens taken out (`amount`).
    ///
    /// The shares removed are rounded up, so the rest of the operator's delegations never lose to rounding;
    /// taking everything removes every share and returns their whole value.
    @discardableResult
    public func undelegate(_ delegator: Address, from op: Address, amount: Amount) throws(LedgerError) -> Amount {
        guard amount > .zero else { throw StakingError.zeroAmount() }
        var record = try existingOperator(op)
        var d = try settled(delegator, op, record)
        let value = try value(of: d, in: record)
        guard amount.value <= value else {
            throw StakingError.insufficientDelegation(have: "\(value)", need: amount.description)
        }
        let removed: UInt128
        let returned: UInt128
        if amount.value == value {
            removed = d.shares
            returned = value
        } else {
            let numerator = try RewardMath.multiply(amount.value, record.shares, "share removal")
            removed = min(d.shares, (numerator + record.tokens.value - 1) / record.tokens.value)
            returned = amount.value
        }
        d.shares -= removed
        record.shares -= removed
        record.tokens = Amount(record.tokens.value - returned)
        write(d, delegator, op)
        write(record, op)
        return Amount(returned)
    }

    /// Adds `reward` to `op`: its commission first, the rest to its shares. Returns the commission.
    @discardableResult
    /// `current`, when given, is `op`'s record as the state holds it now, which spares reading it again.
    public func distribute(_ reward: Amount, to op: Address, current: OperatorRecord? = nil) throws(LedgerError) -> Amount {
        var record: OperatorRecord
        if let current { record = current } else { record = try existingOperator(op) }
        let commission = try RewardMath.multiply(reward.value, UInt128(record.commissionBps), "commission") / RewardMath.basisPoints
        record.commission = Amount(try RewardMath.add(record.commission.value, commission, "commission"))
        let scaled = try RewardMath.add(try RewardMath.multiply(reward.value - commission, RewardMath.scale, "reward"), record.carry, "carry")
        if record.shares == 0 {
            record.carry = scaled
        } else {
            record.rewardPerShare = try RewardMath.add(record.rewardPerShare, scaled / record.shares, "reward per share")
            record.carry = scaled % record.shares
        }
        write(record, op)
        return Amount(commission)
    }

    /// Pays out `delegator`'s whole units of reward from `op`; the fraction stays pending.
    public func withdrawRewards(_ delegator: Address, from op: Address) throws(LedgerError) -> Amount {
        let record = try existingOperator(op)
        var d = try settled(delegator, op, record)
        let paid = d.pendingScaled / RewardMath.scale
        d.pendingScaled %= RewardMath.scale
        write(d, delegator, op)
        return Amount(paid)
    }

    /// Pays out `op`'s commission.
    public func withdrawCommission(_ op: Address) throws(LedgerError) -> Amount {
        var record = try existingOperator(op)
        let paid = record.commission
        record.commission = .zero
        write(record, op)
        return paid
    }

    /// Takes up to `shares` of `delegator`'s shares out of `op` (a slash of redelegated stake); returns the
    /// shares removed and the tokens they were worth (rounded down), which leave the operator's tokens.
    public func removeShares(_ delegator: Address, from op: Address, shares: UInt128) throws(LedgerError) -> (shares: UInt128, tokens: Amount) {
        var record = try existingOperator(op)
        var d = try settled(delegator, op, record)
        let removed = min(shares, d.shares)
        guard removed > 0, record.shares > 0 else { return (0, .zero) }
        let tokens = try RewardMath.multiply(removed, record.tokens.value, "share value") / record.shares
        d.shares -= removed
        record.shares -= removed
        record.tokens = Amount(record.tokens.value - tokens)
        write(d, delegator, op)
        write(record, op)
        return (removed, Amount(tokens))
    }

    /// Every operator, in address order.
    public func operators() throws(LedgerError) -> [(address: Address, record: OperatorRecord)] {
        let entries: [(key: [UInt8], value: [UInt8])]
        do { entries = try state.scan(prefix: StakingKeys.operatorPrefix) } catch { throw StakingError.corrupt("operators: \(error)") }
        var out = [(address: Address, record: OperatorRecord)]()
        out.reserveCapacity(entries.count)
        for e in entries {
            guard let a = Address(bytes: Array(e.key[StakingKeys.operatorPrefix.count...])) else { throw StakingError.corrupt("operator key") }
            do { out.append((a, try OperatorRecord(canonicalBytes: e.value))) } catch { throw StakingError.corrupt("operator \(a): \(error)") }
        }
        return out
    }

    /// Removes `fractionBps` basis points of `op`'s bonded tokens (rounded down); returns the tokens removed.
    /// Every delegation loses the same fraction through its shares; rewards per share are untouched.
    @discardableResult
    public func slash(_ op: Address, fractionBps: UInt32) throws(LedgerError) -> Amount {
        guard UInt128(fractionBps) <= RewardMath.basisPoints else { throw StakingError.basisPointsAbove10000("slash fraction", fractionBps) }
        var record = try existingOperator(op)
        let cut = try RewardMath.multiply(record.tokens.value, UInt128(fractionBps), "slash") / RewardMath.basisPoints
        record.tokens = Amount(record.tokens.value - cut)
        write(record, op)
        return Amount(cut)
    }

    /// The rewards `delegator` could withdraw from `op` now, scaled (settled and unsettled together).
    public func pendingScaled(_ delegator: Address, in op: Address) throws(LedgerError) -> UInt128 {
        try settled(delegator, op, try existingOperator(op)).pendingScaled
    }

    /// The delegation with its rewards brought up to the operator's current reward per share.
    func settled(_ delegator: Address, _ op: Address, _ record: OperatorRecord) throws(LedgerError) -> DelegationRecord {
        guard let d = try delegation(delegator, op) else { return DelegationRecord(rewardPerShareAtSettle: record.rewardPerShare) }
        return try settle(d, record)
    }

    /// `d` with its rewards brought up to `record`'s reward per share.
    func settle(_ delegation: DelegationRecord, _ record: OperatorRecord) throws(LedgerError) -> DelegationRecord {
        var d = delegation
        guard record.rewardPerShare >= d.rewardPerShareAtSettle else { throw StakingError.corrupt("delegation settled past its operator") }
        let earned = try RewardMath.multiply(d.shares, record.rewardPerShare - d.rewardPerShareAtSettle, "rewards")
        d.pendingScaled = try RewardMath.add(d.pendingScaled, earned, "pending rewards")
        d.rewardPerShareAtSettle = record.rewardPerShare
        return d
    }
}
