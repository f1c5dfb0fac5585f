import CairnPrimitives
import CairnLedger

extension MarketModule {
    /// Escrows the deposit and opens a channel from the signer (the client) to a registered provider.
    func open(_ m: MsgOpenChannel, signer: Address, context: ExecutionContext) throws(LedgerError) {
        guard m.provider != signer else { throw MarketError.invalidMessage("a client cannot open a channel to itself") }
        let store = MarketStore(state: context.state)
        guard try store.read.provider(m.provider) != nil else { throw MarketError.unknownProvider("\(m.provider)") }
        try bank.send(Self.native(m.deposit), from: signer, to: MarketAccounts.escrow, context: context)
        let record = ChannelRecord(client: signer, provider: m.provider, voucherKey: m.voucherKey, deposit: m.deposit,
                                   openedHeight: context.height)
        let id = try store.create(record)
        context.emit(MarketEvents.channelOpened(id, record))
    }

    /// Adds to an open channel's deposit; only its client may.
    func topUp(_ m: MsgTopUpChannel, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = MarketStore(state: context.state)
        var record = try clientsOpenChannel(m.channelID, signer: signer, store: store)
        guard let deposit = record.deposit.adding(m.amount) else { throw MarketError.overflow("channel \(m.channelID) deposit") }
        try bank.send(Self.native(m.amount), from: signer, to: MarketAccounts.escrow, context: context)
        record.deposit = deposit
        store.write(record, m.channelID)
        context.emit(MarketEvents.channelToppedUp(m.channelID, amount: m.amount, deposit: deposit))
    }

    /// Starts closing an open channel; only its client may. The provider may claim until the end of the
    /// settle height, when the rest returns to the client (`endBlock`).
    func close(_ m: MsgCloseChannel, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = MarketStore(state: context.state)
        var record = try clientsOpenChannel(m.channelID, signer: signer, store: store)
        let delay = try params(state: context.state).settleDelayBlocks
        let (settleHeight, overflow) = context.height.addingReportingOverflow(delay)
        guard !overflow else { throw MarketError.overflow("settle height") }
        record.state = .closing
        record.settleHeight = settleHeight
        store.write(record, m.channelID)
        store.enqueueSettlement(m.channelID, at: settleHeight)
        context.emit(MarketEvents.channelClosing(m.channelID, settleHeight: settleHeight))
    }

    func clientsOpenChannel(_ id: UInt64, signer: Address, store: MarketStore) throws(LedgerError) -> ChannelRecord {
        let record = try store.read.existingChannel(id)
        guard record.client == signer else { throw MarketError.notClient(id) }
        guard record.state == .open else { throw MarketError.channelNotOpen(id, state: record.state.name) }
        return record
    }
}
