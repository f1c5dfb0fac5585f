public import CairnPrimitives
public import CairnLedger

/// An operator as the API shows it.
public struct OperatorView: Sendable, Equatable, Codable {
    public var address: Address
    public var kind: String
    public var moniker: String
    public var commissionBps: UInt32
    public var tokens: Amount
    /// The operator's own bond.
    public var selfBond: Amount
    /// Commission earned and not yet withdrawn.
    public var commission: Amount
    public var jailed: Bool
    public var jailedUntil: UInt64
    public var tombstoned: Bool
    /// Decimal string of the shares issued to its delegations.
    public var shares: String
}

/// A delegation as the API shows it.
public struct DelegationView: Sendable, Equatable, Codable {
    public var `operator`: Address
    public var shares: String
    public var tokens: Amount
    /// Whole units of reward that a withdrawal would pay now.
    public var rewards: Amount
}

/// Stake on its way out, as the API shows it.
public struct UnbondingView: Sendable, Equatable, Codable {
    public var `operator`: Address
    public var creationHeight: UInt64
    public var completionHeight: UInt64
    public var initialBalance: Amount
    public var balance: Amount
}

/// The coins in staking's module accounts.
public struct StakingPools: Sendable, Equatable, Codable {
    public var bonded: Amount
    public var unbonding: Amount
    public var rewards: Amount
}

extension StakingModule {
    /// Every operator, in address order.
    public func operatorViews(state: any StateReader) throws -> [OperatorView] {
        let store = StakingStore(state: StateOverlay(base: state))
        return try store.operators().map { op, record throws in try view(op, record, store) }
    }

    /// One operator, or nil.
    public func operatorView(_ op: Address, state: any StateReader) throws -> OperatorView? {
        let store = StakingStore(state: StateOverlay(base: state))
        return try store.operatorRecord(op).map { record throws in try view(op, record, store) }
    }

    func view(_ op: Address, _ r: OperatorRecord, _ store: StakingStore) throws -> OperatorView {
        OperatorView(address: op, kind: StakingEvents.kindName(r.kind), moniker: r.moniker, commissionBps: r.commissionBps,
                     tokens: r.tokens, selfBond: try store.tokens(of: op, in: op), commission: r.commission, jailed: r.jailed,
                     jailedUntil: r.jailedUntil, tombstoned: r.tombstoned, shares: "\(r.shares)")
    }

    /// `delegator`'s delegations with their value and withdrawable rewards, in operator order.
    public func delegationViews(of delegator: Address, state: any StateReader) throws -> [DelegationView] {
        let store = StakingStore(state: StateOverlay(base: state))
        let prefix = StakingKeys.delegations(of: delegator)
        return try state.scan(prefix: prefix).map { entry throws in
            guard let op = Address(bytes: Array(entry.key[prefix.count...])) else { throw StakingError.corrupt("delegation key") }
            let d = try DelegationRecord(canonicalBytes: entry.value)
            let record = try store.existingOperator(op)
            return DelegationView(operator: op, shares: "\(d.shares)", tokens: Amount(try store.value(of: d, in: record)),
                                  rewards: Amount(try store.settle(d, record).pendingScaled / RewardMath.scale))
        }
    }

    /// `delegator`'s stake still unbonding, in operator then completion order.
    public func unbondingViews(of delegator: Address, state: any StateReader) throws -> [UnbondingView] {
        let prefix = StakingKeys.unbondingByDelegatorPrefix + delegator.bytes + [UInt8(ascii: "/")]
        return try state.scan(prefix: prefix).map { entry throws in
            let rest = Array(entry.key[prefix.count...])
            guard rest.count == 29, let op = Address(bytes: Array(rest[0..<20])), let completion = StateKey.readBigEndian(rest, at: 21) else {
                throw StakingError.corrupt("unbonding index key")
            }
            guard let raw = try state.get(StakingKeys.unbonding(op, delegator, completion)) else {
                throw StakingError.corrupt("unbonding index without its entry")
            }
            let e = try UnbondingEntry(canonicalBytes: raw)
            return UnbondingView(operator: op, creationHeight: e.creationHeight, completionHeight: completion,
                                 initialBalance: e.initialBalance, balance: e.balance)
        }
    }

    /// Every delegation of `delegator` as (operator, shares), for governance's tally.
    public func delegationShares(of delegator: Address, state: any StateReader) throws -> [(operator: Address, shares: UInt128)] {
        let prefix = StakingKeys.delegations(of: delegator)
        return try state.scan(prefix: prefix).compactMap { entry throws in
            guard let op = Address(bytes: Array(entry.key[prefix.count...])) else { throw StakingError.corrupt("delegation key") }
            let d = try DelegationRecord(canonicalBytes: entry.value)
            return d.shares > 0 ? (op, d.shares) : nil
        }
    }

    /// Every operator's record, in address order.
    public func operatorRecords(state: any StateReader) throws -> [(address: Address, record: OperatorRecord)] {
        try StakingStore(state: StateOverlay(base: state)).operators()
    }

    /// The balances of the bonded, unbonding and rewards accounts.
    public func pools(state: any StateReader) throws -> StakingPools {
        StakingPools(bonded: try bank.balance(of: StakingAccounts.bonded, denom: Denom.native, state: state),
                     unbonding: try bank.balance(of: StakingAccounts.unbonding, denom: Denom.native, state: state),
                     rewards: try bank.balance(of: StakingAccounts.rewards, denom: Denom.native, state: state))
    }

    /// A validator's signing record, or nil.
    public func signingInfo(_ op: Address, state: any StateReader) throws -> SigningInfo? {
        try state.get(StakingKeys.signingInfo(op)).map { raw throws in try SigningInfo(canonicalBytes: raw) }
    }
}
