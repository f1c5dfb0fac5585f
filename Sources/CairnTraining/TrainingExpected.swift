public import CairnPrimitives
public import CairnLedger

/// What the training module needs from the bank: reward pools and stakes sit in its escrow and are paid out.
public protocol TrainingBank: Sendable {
    func balance(of address: Address, denom: String, state: any StateReader) throws -> Amount
    /// Moves `coin`; throws the bank's insufficient-funds error when `from` lacks it.
    func send(_ coin: Coin, from: Address, to: Address, context: ExecutionContext) throws(LedgerError)
}

/// What the training module needs from the models registry: that a job's base model exists.
public protocol TrainingModels: Sendable {
    /// Whether a model with this id is registered.
    func isRegistered(_ id: UInt64, state: any StateReader) throws -> Bool
    /// Registers a trained head as a model NFT owned by `owner`, with revenue shares issued to `holders`; returns its id.
    func registerTrained(name: String, weightsHash: Hash, architecture: String, licence: String, royaltyBps: UInt32, owner: Address,
                         holders: [(address: Address, shares: Amount)], context: ExecutionContext) throws(LedgerError) -> UInt64
}
