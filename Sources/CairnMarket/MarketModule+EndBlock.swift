import CairnPrimitives
public import CairnLedger

extension MarketModule {
    /// At the end of every block: the channels whose settle height this is return what was not claimed to
    /// their clients and become closed. Every close queues its channel at a height above the one it was made
    /// at, and every height runs this, so reading only this height's queue misses none.
    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let store = MarketStore(state: context.state)
        for id in try store.read.ids(under: MarketKeys.settleQueue(at: context.height)) {
            var record = try store.read.existingChannel(id)
            guard record.state == .closing, record.settleHeight == context.height else {
                throw MarketError.corrupt("channel \(id) is queued to settle at \(context.height) but is \(record.state.name) until \(record.settleHeight)")
            }
            let refund = record.unclaimed
            try bank.send(Self.native(refund), from: MarketAccounts.escrow, to: record.client, context: context)
            record.state = .closed
            store.write(record, id)
            store.dequeueSettlement(id, at: context.height)
            context.emit(MarketEvents.channelClosed(id, client: record.client, refund: refund))
        }
    }
}
