public import CairnPrimitives
public import CairnLedger
public import CairnStorage

extension Chain: ChainReader {
    /// The current head.
    public func head() throws -> StoredHead {
        guard let h = try store.head() else { throw StorageError(.notFound, "the chain has no genesis yet") }
        return h
    }

    /// The header of the block at `height`.
    public func header(at height: UInt64) throws -> BlockHeader? {
        guard let b = try store.read({ try $0.block(at: height) }) else { return nil }
        return try BlockHeader(canonicalBytes: b.header)
    }

    /// A stored block, decoded.
    public func block(at height: UInt64) throws -> CommittedBlock? {
        try store.read { snap in
            guard let stored = try snap.block(at: height) else { return nil }
            let records = try snap.transactions(inBlock: height)
            var r = CanonicalReader(stored.blockEvents)
            let events = try r.readArray { (r: inout CanonicalReader) throws(DecodeError) in try Event(from: &r) }
            let block = Block(header: try BlockHeader(canonicalBytes: stored.header),
                              transactions: try records.map { try Transaction(canonicalBytes: $0.bytes) },
                              lastCommit: try Self.decode(lastCommit: stored.lastCommit), evidence: try Self.decode(evidence: stored.evidence))
            return CommittedBlock(block: block, commit: try CommitCertificate(canonicalBytes: stored.commit), receipts: try records.map { try Receipt(canonicalBytes: $0.receipt) }, blockEvents: events)
        }
    }

    static func decode(lastCommit bytes: [UInt8]) throws -> CommitCertificate {
        bytes.isEmpty ? .none : try CommitCertificate(canonicalBytes: bytes)
    }

    public func height(ofBlock hash: Hash) throws -> UInt64? {
        try store.read { try $0.height(ofBlock: hash) }
    }

    public func blockHashes(at heights: [UInt64]) throws -> [UInt64: Hash] {
        try store.read { snap in
            var out: [UInt64: Hash] = [:]
            for h in heights { out[h] = try snap.hash(ofBlockAt: h) }
            return out
        }
    }

    public func transaction(_ hash: Hash) throws -> CommittedTransaction? {
        try store.read { try $0.transaction(hash) }.map(Self.decode)
    }

    public func transaction(height: UInt64, index: Int) throws -> CommittedTransaction? {
        try store.read { try $0.transaction(height: height, index: index) }.map(Self.decode)
    }

    public func transactions(before: IndexPosition?, limit: Int) throws -> [CommittedTransaction] {
        try store.read { try $0.transactions(before: before, limit: limit) }.map(Self.decode)
    }

    static func decode(_ record: StoredTransactionRecord) throws -> CommittedTransaction {
        CommittedTransaction(hash: record.hash, height: record.height, index: record.index,
                             transaction: try Transaction(canonicalBytes: record.bytes), receipt: try Receipt(canonicalBytes: record.receipt))
    }

    /// Reads committed state through `body`.
    public func withState<T>(_ body: (any StateReader) throws -> T) throws -> T {
        try store.read { try body(SnapshotState(snapshot: $0)) }
    }

    public func withProvableState<T>(_ body: (ProvableState) throws -> T) throws -> T {
        try store.read { snap in
            guard let head = try snap.head() else { throw StorageError(.notFound, "the chain has no genesis yet") }
            let tree = StateTree(source: CachedTreeSource(snapshot: snap, cache: cache))
            return try body(ProvableState(head: head, state: SnapshotState(snapshot: snap)) { key in try tree.prove(root: head.root, key: key) })
        }
    }
}
