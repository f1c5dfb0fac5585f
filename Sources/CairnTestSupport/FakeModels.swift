public import CairnPrimitives
public import CairnLedger
public import CairnMarket
import CairnModels
import Synchronization

/// The models registry as the market sees it, with models a test registers directly: it knows each model's
/// owner and royalty, and pays a royalty to the owner through the bank as the real registry does for a
/// model without shares (emitting the same `models.royalty` event).
public final class FakeModels: MarketModels {
    private let bank: any MarketBank
    private let terms = Mutex([UInt64: (owner: Address, royaltyBps: UInt32)]())

    /// A registry that pays royalties through `bank`.
    public init(bank: any MarketBank) {
        self.bank = bank
    }

    /// Registers or replaces model `id`.
    public func register(_ id: UInt64, owner: Address, royaltyBps: UInt32) {
        terms.withLock { $0[id] = (owner, royaltyBps) }
    }

    /// The terms registered for `id`, or nil.
    public func royaltyTerms(of id: UInt64, state: any StateReader) throws -> (owner: Address, royaltyBps: UInt32)? {
        terms.withLock { $0[id] }
    }

    /// Sends the royalty from `from` to the model's owner.
    public func payRoyalty(_ coin: Coin, model id: UInt64, from: Address, context: ExecutionContext) throws(LedgerError) {
        guard let owner = terms.withLock({ $0[id]?.owner }) else {
            throw MarketError.unknownModel(id)
        }
        try bank.send(coin, from: from, to: owner, context: context)
        context.emit(ModelsEvents.royalty(id, amount: coin.amount, payer: from, recipient: owner))
    }
}
