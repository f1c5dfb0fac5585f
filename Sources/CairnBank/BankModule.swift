public import CairnPrimitives
public import CairnLedger

/// The bank module: multi-denomination balances, transfers, supply and the burned total.
public struct BankModule: LedgerModule, FeeBank {
    public let name = BankKeys.module
    /// Where tips go: nil pays each tip to the block's proposer; an account (the fee collector) gathers
    /// them for a module to share out at the end of the block.
    public let tipCollector: Address?
    /// Module accounts whose balance must equal what their module's records say: a `bank/send` to one is
    /// refused, so no one can break that equality by paying in.
    public let blockedRecipients: Set<Address>
    /// Modules told before any balance of a denomination they follow changes (see `BalanceObserver`).
    public let observers: [any BalanceObserver]

    /// A bank paying tips to `tipCollector` (nil: to the proposer), refusing sends to `blockedRecipients`, and
    /// telling `observers` of every balance change of the denominations they follow.
    public init(tipCollector: Address? = nil, blockedRecipients: Set<Address> = [], observers: [any BalanceObserver] = []) {
        self.tipCollector = tipCollector
        self.blockedRecipients = blockedRecipients
        self.observers = observers
    }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [MsgSend.typeName: { (bytes: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgSend(canonicalBytes: bytes) }]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        guard let send = message as? MsgSend else { throw CoreError.unknownMessage(type(of: message).typeName) }
        guard !blockedRecipients.contains(send.to) else { throw BankError.blockedRecipient(send.to) }
        let store = balanceStore(context)
        for coin in send.coins {
            try store.subtract(signer, coin)
            try store.add(send.to, coin)
        }
        context.emit(BankEvents.transfer(from: signer, to: send.to, coins: send.coins))
    }

    /// The balance store over `context`'s state, with this bank's observers.
    func balanceStore(_ context: ExecutionContext) -> BankStore { BankStore(state: context.state, observers: observers) }

    // MARK: Fee hooks

    public func nativeBalance(of address: Address, state: any StateReader) throws -> Amount {
        try BankKeys.decode(try state.get(BankKeys.balance(address, Denom.native)))
    }

    public func debitFee(_ amount: Amount, from address: Address, context: ExecutionContext) throws(LedgerError) {
        try balanceStore(context).subtract(address, Coin(denom: Denom.native, amount: amount))
    }

    public func creditFee(_ amount: Amount, to address: Address, context: ExecutionContext) throws(LedgerError) {
        try balanceStore(context).add(address, Coin(denom: Denom.native, amount: amount))
    }

    public func creditTip(_ amount: Amount, proposer: Address, context: ExecutionContext) throws(LedgerError) {
        try creditFee(amount, to: tipCollector ?? proposer, context: context)
    }

    public func burnFee(_ amount: Amount, context: ExecutionContext) throws(LedgerError) {
        guard amount > .zero else { return }
        try balanceStore(context).addTo(BankKeys.burned(Denom.native), amount)
    }

    // MARK: Keeper functions for other modules (through the protocols they declare)

    /// Creates `coin` in `address`'s balance and adds it to the supply.
    public func mint(_ coin: Coin, to address: Address, context: ExecutionContext) throws(LedgerError) {
        guard coin.amount > .zero else { return }
        let store = balanceStore(context)
        try store.add(address, coin)
        try store.addTo(BankKeys.supply(coin.denom), coin.amount)
        context.emit(BankEvents.mint(to: address, coin: coin))
    }

    /// Moves `coin` from `from` to `to` (a module account on either side, or both); a zero amount does nothing.
    public func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError) {
        guard coin.amount > .zero else { return }
        let store = balanceStore(context)
        try store.subtract(from, coin)
        try store.add(to, coin)
        context.emit(BankEvents.transfer(from: from, to: to, coins: [coin]))
    }

    /// Takes `coin` out of `from`'s balance and records it as burned.
    public func burn(_ coin: Coin, from: Address, context: ExecutionContext) throws(LedgerError) {
        guard coin.amount > .zero else { return }
        let store = balanceStore(context)
        try store.subtract(from, coin)
        try store.addTo(BankKeys.burned(coin.denom), coin.amount)
        context.emit(BankEvents.burn(from: from, coin: coin))
    }

    /// `address`'s balance of `denom`.
    public func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount {
        try BankKeys.decode(try state.get(BankKeys.balance(address, denom)))
    }
}
