public import CairnPrimitives
public import CairnLedger

/// What the market needs from the bank: deposits sit in the escrow account, claims pay out of it, and
/// the burned part of the protocol fee is burned.
public protocol MarketBank: Sendable {
    /// `address`'s balance of `denom`.
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin` from `from` to `to`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Takes `coin` out of `from` and records it as burned.
    func burn(_ coin: Coin, from: Address, context: ExecutionContext) throws(LedgerError)
}

/// An operator as the market sees it: whether it is a provider, what is bonded behind it, and whether it
/// is jailed.
public struct StakedOperator: Sendable, Equatable {
    /// Registered in staking as a provider (not a validator).
    public var isProvider: Bool
    /// Bonded tokens behind the operator, its own and its delegators'.
    public var tokens: Amount
    /// Jailed operators are not listed as active.
    public var jailed: Bool

    /// An operator's kind, stake and jail state.
    public init(isProvider: Bool, tokens: Amount, jailed: Bool) {
        self.isProvider = isProvider
        self.tokens = tokens
        self.jailed = jailed
    }
}

/// What the market needs from staking (read only): a provider's stake and jail state.
public protocol MarketStake: Sendable {
    /// The operator registered at `address`, or nil when there is none.
    func stakedOperator(_ address: Address, state: any StateReader) throws -> StakedOperator?
}

/// What the market needs from the models registry: a model's royalty terms, and paying its royalty.
public protocol MarketModels: Sendable {
    /// The owner and royalty (basis points) of model `id`, or nil when no such model is registered.
    func royaltyTerms(of id: UInt64, state: any StateReader) throws -> (owner: Address, royaltyBps: UInt32)?
    /// Pays `coin` of royalty for model `id` out of `from` (the market's escrow): to the model's owner, or to
    /// its share holders once it has shares.
    func payRoyalty(_ coin: Coin, model id: UInt64, from: Address, context: ExecutionContext) throws(LedgerError)
}

/// What the market needs from verification: whether a challenge against a provider is undecided.
public protocol MarketChallenges: Sendable {
    /// The id of an undecided challenge against `provider`, or nil when there is none.
    func pendingChallenge(against provider: Address, state: any StateReader) throws -> UInt64?
}

/// The module account the market keeps coins in.
public enum MarketAccounts {
    /// Channel deposits not yet claimed or refunded: equals Σ (deposit − claimed) over channels not closed.
    public static let escrow = ModuleAccount.address("market/escrow")
}
