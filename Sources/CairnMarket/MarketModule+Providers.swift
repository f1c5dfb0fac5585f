import CairnPrimitives
import CairnLedger

extension MarketModule {
    func register(_ spec: ProviderSpec, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = MarketStore(state: context.state)
        try checkListable(spec, signer: signer, state: context.state)
        guard try store.read.provider(signer) == nil else { throw MarketError.providerExists("\(signer)") }
        store.write(ProviderRecord(spec: spec, registeredHeight: context.height, updatedHeight: context.height), signer)
        context.emit(MarketEvents.providerRegistered(signer, spec))
    }

    func update(_ spec: ProviderSpec, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = MarketStore(state: context.state)
        guard var record = try store.read.provider(signer) else { throw MarketError.unknownProvider("\(signer)") }
        try checkListable(spec, signer: signer, state: context.state)
        record.spec = spec
        record.updatedHeight = context.height
        store.write(record, signer)
        context.emit(MarketEvents.providerUpdated(signer, spec))
    }

    /// Removes the registration; channels to the provider stay claimable by it until they settle.
    func deregister(signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = MarketStore(state: context.state)
        guard try store.read.provider(signer) != nil else { throw MarketError.unknownProvider("\(signer)") }
        store.deleteProvider(signer)
        context.emit(MarketEvents.providerDeregistered(signer))
    }

    /// A provider registration needs a provider operator in staking and registered models only. Stake and
    /// jail state are not checked here: they change over time, so queries judge `active` when they read.
    func checkListable(_ spec: ProviderSpec, signer: Address, state: any StateReader) throws(LedgerError) {
        guard let op = try read({ try stake.stakedOperator(signer, state: state) }), op.isProvider else {
            throw MarketError.notProvider("\(signer)")
        }
        for m in spec.models {
            guard try read({ try models.royaltyTerms(of: m.modelID, state: state) }) != nil else { throw MarketError.unknownModel(m.modelID) }
        }
    }
}
