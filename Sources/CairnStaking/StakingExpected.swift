public import CairnPrimitives
public import CairnLedger

/// What staking needs from the bank: bonded and unbonding stake and undistributed rewards sit in module
/// accounts, emission is minted, and slashed stake is burned.
public protocol StakingBank: Sendable {
    /// `address`'s balance of `denom`.
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin` from `from` to `to`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Creates `coin` in `to`'s balance and the supply.
    func mint(_ coin: Coin, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Takes `coin` out of `from` and records it as burned.
    func burn(_ coin: Coin, from: Address, context: ExecutionContext) throws(LedgerError)
    /// Everything ever minted of `denom`.
    func supply(_ denom: String, state: any StateReader) throws -> Amount
    /// Everything burned of `denom`.
    func burned(_ denom: String, state: any StateReader) throws -> Amount
}

/// The module accounts staking keeps coins in.
public enum StakingAccounts {
    /// Tokens bonded behind operators: equals the sum of every operator's `tokens`.
    public static let bonded = ModuleAccount.address("staking/bonded")
    /// Tokens waiting out the unbonding period: equals the sum of every unbonding entry's balance.
    public static let unbonding = ModuleAccount.address("staking/unbonding")
    /// Rewards distributed and not yet withdrawn (commissions, delegators' rewards, carried remainders).
    public static let rewards = ModuleAccount.address("staking/rewards")
}
