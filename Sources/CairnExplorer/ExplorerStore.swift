public import CairnPrimitives
public import CairnStorage

/// What the explorer keeps beside the chain: its index of the blocks and its probes of the providers' endpoints.
///
/// The chain itself is read through `ChainReader`; this is only the explorer's own data (the node's SQLite file holds
/// both, `SQLiteStore` conforms).
public protocol ExplorerStore: Sendable {
    /// Reads the index and the probes through `body`, from one consistent snapshot.
    func readIndex<T>(_ body: (any ExplorerIndexReader) throws -> T) throws -> T
    /// Adds the index of blocks already committed, in one transaction; they must follow the index's head.
    func writeIndex(_ batches: [IndexBatch]) throws
    /// Drops the whole index (it is rebuilt from the stored blocks).
    func dropIndex() throws
    /// Records one round of probes and drops the samples older than the retention.
    func recordProbes(_ samples: [ProbeSample], now: UInt64) async throws
}

/// Reads of the explorer's index and probes within one snapshot.
public protocol ExplorerIndexReader {
    /// The highest block the index holds, or nil when it is empty.
    func indexHead() throws -> UInt64?
    /// The indexed figures of the block at `height` (encoded `BlockStats`).
    func blockStats(at height: UInt64) throws -> [UInt8]?
    /// The indexed figures of up to `limit` blocks below `before` (all when nil), newest first.
    func blockStats(before: UInt64?, limit: Int) throws -> [(height: UInt64, stats: [UInt8])]
    /// The newest `limit` references filed under (`kind`, `key`) strictly before `before`.
    func refs(kind: UInt8, key: [UInt8], before: IndexPosition?, limit: Int) throws -> [IndexPosition]
    /// A running total's stored value.
    func total(_ key: [UInt8]) throws -> [UInt8]?
    /// How many probes of `provider` since `since` (Unix milliseconds), and how many succeeded.
    func probeTally(_ provider: Address, since: UInt64) throws -> ProbeTally
    /// The latest `limit` probes of `provider`, newest first.
    func probes(_ provider: Address, limit: Int) throws -> [ProbeSample]
    /// The latest probe of `provider`.
    func lastProbe(_ provider: Address) throws -> ProbeSample?
}

extension StoreSnapshot: ExplorerIndexReader {}

extension SQLiteStore: ExplorerStore {
    public func readIndex<T>(_ body: (any ExplorerIndexReader) throws -> T) throws -> T {
        try read { try body($0) }
    }
}

extension ExplorerIndexReader {
    /// The decoded figures of the block at `height`.
    func stats(at height: UInt64) throws -> BlockStats? {
        try blockStats(at: height).map { try BlockStats(canonicalBytes: $0) }
    }
}
