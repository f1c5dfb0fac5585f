public import CairnPrimitives
public import CairnLedger

/// What the exchange needs from the bank: reserves move into and out of the pools' account, pool shares are
/// minted and burned as bank denominations, and buybacks burn CAIRN.
public protocol ExchangeBank: Sendable {
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Creates `coin` in `to`'s balance and the supply.
    func mint(_ coin: Coin, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Takes `coin` out of `from` and records it as burned.
    func burn(_ coin: Coin, from: Address, context: ExecutionContext) throws(LedgerError)
    /// Everything ever minted of `denom`.
    func supply(_ denom: String, state: any StateReader) throws -> Amount
    /// Everything burned of `denom`.
    func burned(_ denom: String, state: any StateReader) throws -> Amount
    /// Every non-zero balance of `address`, by denomination.
    func balances(of address: Address, state: any StateReader) throws -> [Coin]
}
