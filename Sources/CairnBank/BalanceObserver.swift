public import CairnPrimitives
public import CairnLedger

/// A module whose records follow the balances of some denominations (the revenue shares of a model), told
/// before any such balance changes so that it can bring its records up to date first.
///
/// The bank consults its observers on every change of a balance: sends (`bank/send` and keeper sends),
/// mints, burns, fee debits and genesis. An observer that throws refuses the change, and with it the
/// message that made it.
public protocol BalanceObserver: Sendable {
    /// Whether the observer follows balances of `denom`; it is asked on every balance change, so it must be cheap.
    func observes(denom: String) -> Bool

    /// Called before `address`'s balance of an observed `denom` goes from `current` to `next`.
    ///
    /// - Parameter state: the state the change is written to; the observer writes its own records there.
    /// - Throws: a ledger error of the observer's module to refuse the change.
    func willChangeBalance(of address: Address, denom: String, from current: Amount, to next: Amount,
                           state: StateOverlay) throws(LedgerError)
}
