public import CairnPrimitives

/// The outcome of one transaction in a block.
public struct Receipt: Sendable, Equatable, Codable, CanonicalCodable {
    public var txHash: Hash
    public var height: UInt64
    public var index: UInt32
    public var success: Bool
    public var gasUsed: UInt64
    /// Total fee paid (gas used times the effective gas price), in ucairn.
    public var fee: Amount
    /// The part of the fee burned (gas used times the base fee).
    public var burned: Amount
    /// The part of the fee paid to the proposer.
    public var tip: Amount
    /// Index of the message that failed, when one did.
    public var failedMessage: UInt32?
    public var error: LedgerError?
    public var events: [Event]

    public init(txHash: Hash, height: UInt64, index: UInt32, success: Bool, gasUsed: UInt64, fee: Amount,
                burned: Amount, tip: Amount, failedMessage: UInt32?, error: LedgerError?, events: [Event]) {
        self.txHash = txHash
        self.height = height
        self.index = index
        self.success = success
        self.gasUsed = gasUsed
        self.fee = fee
        self.burned = burned
        self.tip = tip
        self.failedMessage = failedMessage
        self.error = error
        self.events = events
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(txHash)
        w.write(height)
        w.write(index)
        w.write(success)
        w.write(gasUsed)
        w.write(fee)
        w.write(burned)
        w.write(tip)
        w.write(failedMessage != nil)
        if let f = failedMessage { w.write(f) }
        w.write(error != nil)
        if let e = error {
            w.write(e.module)
            w.write(e.code)
            w.write(e.message)
        }
        w.write(array: events) { w, e in e.encode(to: &w) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        txHash = try r.readHash()
        height = try r.readUInt64()
        index = try r.readUInt32()
        success = try r.readBool()
        gasUsed = try r.readUInt64()
        fee = try r.readAmount()
        burned = try r.readAmount()
        tip = try r.readAmount()
        failedMessage = try r.readBool() ? try r.readUInt32() : nil
        error = try r.readBool() ? LedgerError(module: try r.readString(), code: try r.readUInt32(), message: try r.readString()) : nil
        events = try r.readArray(limit: 1 << 16) { (r: inout CanonicalReader) throws(DecodeError) in try Event(from: &r) }
    }
}

/// What the core needs from the bank to charge fees; the bank module implements it.
public protocol FeeBank: Sendable {
    /// Native-token balance of `address`.
    func nativeBalance(of address: Address, state: any StateReader) throws -> Amount
    /// Moves `amount` of the native token from `address` to the fee pool of this transaction.
    func debitFee(_ amount: Amount, from address: Address, context: ExecutionContext) throws(LedgerError)
    /// Pays `amount` of the native token to `address` out of collected fees.
    func creditFee(_ amount: Amount, to address: Address, context: ExecutionContext) throws(LedgerError)
    /// Records `amount` of the native token as burned (it left the balances when debited).
    func burnFee(_ amount: Amount, context: ExecutionContext) throws(LedgerError)
    /// Pays a transaction's tip: to the proposer, or to a pool the staking module shares among validators.
    func creditTip(_ amount: Amount, proposer: Address, context: ExecutionContext) throws(LedgerError)
}

extension FeeBank {
    public func creditTip(_ amount: Amount, proposer: Address, context: ExecutionContext) throws(LedgerError) {
        try creditFee(amount, to: proposer, context: context)
    }
}
