public import CairnPrimitives
public import CairnLedger

/// What the verification module needs from the bank: bonds sit in its account, and forfeited bonds and absent
/// members' penalties are paid out or burned.
public protocol VerificationBank: Sendable {
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
    /// Takes `coin` out of `from` and records it as burned.
    func burn(_ coin: Coin, from: Address, context: ExecutionContext) throws(LedgerError)
}

/// What the verification module needs from staking: whether an address is a provider, and slashing one.
public protocol VerificationStake: Sendable {
    /// Whether `address` is registered in staking as a provider.
    func isProvider(_ address: Address, state: any StateReader) throws -> Bool
    /// Slashes `fractionBps` of the provider's stake (bonded, unbonding, redelegated), pays `bounty.bps` of it to
    /// `bounty.to` and burns the rest, and jails it for `jailFor` blocks (nil: no jail).
    func slashProvider(_ provider: Address, fractionBps: UInt32, jailFor: UInt64?, reason: String, bounty: (to: Address, bps: UInt32),
                       context: ExecutionContext) throws(LedgerError) -> (burned: Amount, paid: Amount)
}
