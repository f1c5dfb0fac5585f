public import CairnPrimitives
public import CairnLedger

/// The bank module: multi-denomination balances, transfers, supply and the burned total.
public struct BankModule: LedgerModule, FeeBank {
    public let name = BankKeys.module

    public init() {}

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [MsgSend.typeName: { (bytes: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgSend(canonicalBytes: bytes) }]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        guard let send = message as? MsgSend else { throw CoreError.unknownMessage(type(of: message).typeName) }
        let store = BankStore(state: context.state)
        for coin in send.coins {
            try store.subtract(signer, coin)
            try store.add(send.to, coin)
        }
        context.emit(BankEvents.transfer(from: signer, to: send.to, coins: send.coins))
    }

    // MARK: Fee hooks

    public func nativeBalance(of address: Address, state: any StateReader) throws -> Amount {
        try BankKeys.decode(try state.get(BankKeys.balance(address, Denom.native)))
    }

    public func debitFee(_ amount: Amount, from address: Address, context: ExecutionContext) throws(LedgerError) {
        try BankStore(state: context.state).subtract(address, Coin(denom: Denom.native, amount: amount))
    }

    public func creditFee(_ amount: Amount, to address: Address, context: ExecutionContext) throws(LedgerError) {
        try BankStore(state: context.state).add(address, Coin(denom: Denom.native, amount: amount))
    }

    public func burnFee(_ amount: Amount, context: ExecutionContext) throws(LedgerError) {
        guard amount > .zero else { return }
        try BankStore(state: context.state).addTo(BankKeys.burned(Denom.native), amount)
    }

    // MARK: Minting (genesis now, emission later)

    /// Creates `coin` in `address`'s balance and adds it to the supply.
    public func mint(_ coin: Coin, to address: Address, context: ExecutionContext) throws(LedgerError) {
        let store = BankStore(state: context.state)
        try store.add(address, coin)
        try store.addTo(BankKeys.supply(coin.denom), coin.amount)
        context.emit(BankEvents.mint(to: address, coin: coin))
    }
}
