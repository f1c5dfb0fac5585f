public import CairnPrimitives
public import CairnLedger

/// The bank's observer of model shares: before any balance of `model/<id>` changes, it settles the holder's
/// royalties up to the model's current royalty per share, on the balance held until now. That is what lets
/// shares move by ordinary `bank/send` while every holder earns exactly on what it held, when it held it.
///
/// It needs nothing but the state. Its methods are those of the bank's `BalanceObserver`; the composition
/// root declares the conformance and builds the bank with it, and the models module with the bank.
public struct ModelsShareObserver: Sendable {
    /// Every share denomination starts with this.
    static let denomPrefix = "model/"

    /// The observer.
    public init() {}

    /// Every `model/...` denomination, so that no balance of one that is not an issued model's shares can exist.
    public func observes(denom: String) -> Bool { denom.hasPrefix(Self.denomPrefix) }

    /// Settles `address`'s checkpoint in the model on `current`; refuses a denomination that is not the
    /// shares of a model with issued shares (`notShares`).
    public func willChangeBalance(of address: Address, denom: String, from current: Amount, to next: Amount,
                                  state: StateOverlay) throws(LedgerError) {
        guard let id = ModelShares.modelID(ofDenom: denom), ModelShares.denom(id) == denom else { throw ModelsError.notShares(denom) }
        let store = ModelsStore(state: state)
        guard let record = try store.model(id), record.hasShares else { throw ModelsError.notShares(denom) }
        let settled = try store.settled(address, of: id, balance: current, record)
        store.write(settled, address, of: id, balance: next)
    }
}
