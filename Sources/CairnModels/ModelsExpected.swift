public import CairnPrimitives
public import CairnLedger

/// What the models module needs from the bank: royalties move into the pool account and out to holders,
/// shares are minted once per model, and holders' share balances are read when they are settled.
public protocol ModelsBank: Sendable {
    /// `address`'s balance of `denom`.
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin` from `from` to `to`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Creates `coin` in `to`'s balance and the supply.
    func mint(_ coin: Coin, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Module accounts that only their own module pays into: none of them may own a model, since the
    /// royalties paid to an owner would land in them.
    var blockedRecipients: Set<Address> { get }
}

/// The module account the models module keeps coins in.
public enum ModelsAccounts {
    /// Royalties of models with shares, not yet claimed: equals, in 10^-18 units, every model's carry plus
    /// every holder's pending and unsettled royalties.
    public static let royalties = ModuleAccount.address("models/royalties")
}
