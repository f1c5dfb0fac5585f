public import CairnPrimitives
public import CairnLedger

/// What governance needs from the bank: deposits move into the module's escrow account and back out,
/// or are burned; treasury spends move coins out of the treasury account.
public protocol GovBank: Sendable {
    /// `address`'s balance of `denom`.
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin` from `from` to `to`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Takes `coin` out of `from` and records it as burned.
    func burn(_ coin: Coin, from: Address, context: ExecutionContext) throws(LedgerError)
}

/// An operator as governance sees it: whose stake it holds and whether it may vote.
public struct VotingOperator: Sendable, Equatable {
    public var address: Address
    /// A validator (true) or a provider (false); both vote with their bonded stake.
    public var isValidator: Bool
    /// Bonded tokens behind the operator, its own and its delegators'.
    public var tokens: Amount
    /// Shares issued to its delegations; a delegation's tokens are `shares × tokens / self.shares`.
    public var shares: UInt128
    /// A jailed operator's stake does not vote and does not count towards quorum.
    public var jailed: Bool

    public init(address: Address, isValidator: Bool, tokens: Amount, shares: UInt128, jailed: Bool) {
        self.address = address
        self.isValidator = isValidator
        self.tokens = tokens
        self.shares = shares
        self.jailed = jailed
    }
}

/// What governance needs from staking (read only): who holds bonded stake, and each voter's delegations.
public protocol GovStake: Sendable {
    /// Every registered operator, in address order.
    func votingOperators(state: any StateReader) throws -> [VotingOperator]
    /// `voter`'s delegations: operator and shares, in operator address order.
    func delegations(of voter: Address, state: any StateReader) throws -> [(operator: Address, shares: UInt128)]
}
