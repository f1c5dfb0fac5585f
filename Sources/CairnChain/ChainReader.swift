public import CairnPrimitives
public import CairnLedger
public import CairnStorage

/// Read-only access to a committed chain: blocks, transactions, the latest state and proofs against it.
///
/// Everything that only reads the chain (the node's HTTP handlers, the explorer and its index) goes through this
/// protocol; writing (executing and committing blocks) stays with ``Chain``.
public protocol ChainReader: Sendable {
    /// The genesis the chain started from.
    var genesis: Genesis { get }
    /// The ledger that executes the chain's blocks, for its queries (parameters, nonces, message decoding).
    var ledger: Ledger { get }
    /// The committed head.
    func head() throws -> StoredHead
    /// The header of the block at `height`, or nil above the head.
    func header(at height: UInt64) throws -> BlockHeader?
    /// The block at `height` with its receipts and end-of-block events, or nil above the head.
    func block(at height: UInt64) throws -> CommittedBlock?
    /// The height of the block with this hash.
    func height(ofBlock hash: Hash) throws -> UInt64?
    /// The hashes of the blocks at `heights`, read together (heights above the head are left out).
    func blockHashes(at heights: [UInt64]) throws -> [UInt64: Hash]
    /// A committed transaction by hash.
    func transaction(_ hash: Hash) throws -> CommittedTransaction?
    /// The transaction at position `index` of block `height`.
    func transaction(height: UInt64, index: Int) throws -> CommittedTransaction?
    /// Up to `limit` transactions strictly before `before` (from the newest when nil), newest first.
    func transactions(before: IndexPosition?, limit: Int) throws -> [CommittedTransaction]
    /// Reads the latest committed state through `body`.
    func withState<T>(_ body: (any StateReader) throws -> T) throws -> T
    /// Reads the latest committed state and proves keys against its root, all from one snapshot.
    func withProvableState<T>(_ body: (ProvableState) throws -> T) throws -> T
    /// Calls `listener` with the new head after each commit from now on, on the committing thread: it must return quickly.
    func onCommit(_ listener: @escaping @Sendable (StoredHead) -> Void)
}

extension ChainReader {
    /// The chain's id.
    public var chainID: String { genesis.chainID }

    /// The block time (ms) of the committed head; the genesis time before the first block.
    public func headTime() throws -> UInt64 {
        try header(at: try head().height)?.time ?? genesis.genesisTime
    }
}

/// A committed block, decoded: the block, its receipts in order, and the events of its end.
public struct CommittedBlock: Sendable {
    public var block: Block
    /// The certificate that made the block final, as stored with it (the next block carries its own copy).
    public var commit: CommitCertificate
    public var receipts: [Receipt]
    public var blockEvents: [Event]

    public init(block: Block, commit: CommitCertificate, receipts: [Receipt], blockEvents: [Event]) {
        self.block = block
        self.commit = commit
        self.receipts = receipts
        self.blockEvents = blockEvents
    }
}

/// A committed transaction, decoded, with its receipt and place in the chain.
public struct CommittedTransaction: Sendable {
    public var hash: Hash
    public var height: UInt64
    public var index: Int
    public var transaction: Transaction
    public var receipt: Receipt

    public init(hash: Hash, height: UInt64, index: Int, transaction: Transaction, receipt: Receipt) {
        self.hash = hash
        self.height = height
        self.index = index
        self.transaction = transaction
        self.receipt = receipt
    }
}

/// The head's state with the means to prove its keys against the head's state root.
public struct ProvableState {
    /// The head the state belongs to.
    public let head: StoredHead
    /// The state at the head.
    public let state: any StateReader
    let proveKey: ([UInt8]) throws -> StateProof

    init(head: StoredHead, state: any StateReader, prove: @escaping ([UInt8]) throws -> StateProof) {
        self.head = head
        self.state = state
        self.proveKey = prove
    }

    /// A proof of `key`'s value (or absence) under `head.stateRoot`.
    public func prove(_ key: [UInt8]) throws -> StateProof { try proveKey(key) }
}
