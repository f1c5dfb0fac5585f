public import CairnPrimitives
public import CairnLedger
public import CairnStorage
public import CairnConsensus
import Foundation
import Synchronization

/// The ledger bound to its store: executes blocks on the committed state, updates the state tree and
/// commits each block with all its changes in one SQLite transaction.
///
/// Every block it accepts, its own or another's, carries a commit certificate that `verifier` checks before the
/// block is stored; genesis is accepted by its file.
public final class Chain: Sendable {
    package let store: SQLiteStore
    public let ledger: Ledger
    public let genesis: Genesis
    /// Checks the commit certificate of every block the chain accepts.
    public let verifier: any CommitVerifier
    /// About 80 MiB when full: the nodes of the last few blocks of 10,000 transfers.
    let cache = TreeNodeCache(capacity: 1 << 18)
    let stateCache = StateCache(capacity: 1 << 19)
    /// Told of every commit, after the block is stored.
    let listeners = Mutex<[@Sendable (StoredHead) -> Void]>([])

    public init(store: SQLiteStore, ledger: Ledger, genesis: Genesis, verifier: any CommitVerifier) {
        self.store = store
        self.ledger = ledger
        self.genesis = genesis
        self.verifier = verifier
    }

    public func onCommit(_ listener: @escaping @Sendable (StoredHead) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    func notify(_ head: StoredHead) {
        for listener in listeners.withLock({ $0 }) { listener(head) }
    }

    /// A block executed and its state root computed, ready to be signed and committed.
    public struct Executed {
        public let execution: BlockExecution
        /// The state tree's new root.
        public let root: TreeRoot
        public var stateRoot: Hash { root.hash }
        let treeNodes: [NodeKey: TreeNode]
        /// The block's final state writes in key order (nil: deleted).
        let stateChanges: [(key: [UInt8], value: [UInt8]?)]
    }

    /// Commits genesis into an empty store, or checks the stored head; returns the head.
    ///
    /// - Throws: `LegacyStoreError` for a store an earlier version wrote that must be migrated first.
    public func open() throws -> StoredHead {
        if let head = try store.head() {
            try checkHead(head)
            if try hasLegacyParameterEncoding() {
                throw LegacyStoreError(description: "the store (head at height \(head.height)) was written by an earlier version, which stored "
                                       + "ledger parameters as JSON text; this version encodes them canonically, so the same blocks give "
                                       + "other state roots")
            }
            return head
        }
        let execution = try ledger.initGenesis(genesis)
        let executed = try computeRoot(execution, on: .empty, version: 0)
        let header = BlockHeader(chainID: genesis.chainID, height: 0, time: genesis.genesisTime, previousHash: .zero,
                                 txRoot: .zero, stateRoot: executed.stateRoot, receiptRoot: .zero,
                                 baseFee: genesis.params.initialBaseFee, gasUsed: 0,
                                 proposer: Address(bytes: [UInt8](repeating: 0, count: 20))!)
        try commit(header: header, certificate: CommitCertificate(signatures: []), executed: executed)
        return try store.head()!
    }

    /// Refuses a store whose recorded state root differs from its head header's, whose tree root is missing, or whose
    /// head block's certificate does not verify.
    public func checkHead(_ head: StoredHead) throws {
        try store.read { snap in
            guard let block = try snap.block(at: head.height) else {
                throw StorageError(.headMismatch, "the head block \(head.height) is missing from the store")
            }
            let header = try BlockHeader(canonicalBytes: block.header)
            guard header.hash == head.blockHash else {
                throw StorageError(.headMismatch, "the head block's hash \(header.hash) differs from the recorded head \(head.blockHash)")
            }
            guard header.chainID == genesis.chainID else {
                throw StorageError(.headMismatch, "the store holds chain '\(header.chainID)' but the genesis file is for '\(genesis.chainID)'")
            }
            guard header.stateRoot == head.stateRoot else {
                throw StorageError(.headMismatch, "stored state root \(head.stateRoot) does not match the state root \(header.stateRoot) in header \(head.height)")
            }
            if head.stateRoot != .zero, try snap.treeNode(head.root.key)?.hash != head.stateRoot {
                throw StorageError(.headMismatch, "the state tree root \(head.stateRoot) of block \(head.height) is not stored at its recorded version \(head.stateRootVersion)")
            }
            if head.height > 0 {
                do { try verifier.verify(header, commit: try CommitCertificate(canonicalBytes: block.commit)) } catch {
                    throw StorageError(.headMismatch, "the head block \(head.height)'s commit certificate does not verify: \(error)")
                }
            }
        }
    }

    /// Executes `transactions` (checked, see `Ledger.check`) as the next block on the committed head state.
    public func execute(height: UInt64, time: UInt64, proposer: Address, transactions: [CheckedTransaction],
                        mode: ExecutionMode, parentRoot: TreeRoot) throws -> Executed {
        let execution = try store.read { snap in
            try ledger.executeBlock(base: CachedHeadState(snapshot: snap, cache: stateCache), height: height, time: time, proposer: proposer,
                                    transactions: transactions, mode: mode)
        }
        return try computeRoot(execution, on: parentRoot, version: height)
    }

    /// Applies the block's writes to the tree at `root`; the new nodes are stored under `version`, the block's height.
    func computeRoot(_ execution: BlockExecution, on root: TreeRoot, version: UInt64) throws -> Executed {
        let stateChanges = execution.state.changes
        let changes = stateChanges.map {
            TreeChange(keyHash: Hash.sha256($0.key), valueHash: $0.value.map { Hash.sha256($0) })
        }
        return try store.read { snap in
            var tree = StateTree(source: CachedTreeSource(snapshot: snap, cache: cache))
            let newRoot = try tree.apply(root: root, version: version, changes: changes)
            return Executed(execution: execution, root: newRoot, treeNodes: tree.newNodes, stateChanges: stateChanges)
        }
    }

    /// Commits a finalized block and everything it changed, atomically, once its certificate verifies.
    ///
    /// - Throws: `InvalidBlock` when the certificate does not verify for the header (nothing is stored then).
    public func commit(header: BlockHeader, certificate: CommitCertificate, executed: Executed) throws {
        if header.height > 0 { try verify(header, certificate) }
        try commitVerified(header: header, certificate: certificate, executed: executed)
    }

    /// Checks a block's certificate with the chain's verifier; the error names the block.
    func verify(_ header: BlockHeader, _ certificate: CommitCertificate) throws(InvalidBlock) {
        do { try verifier.verify(header, commit: certificate) } catch {
            throw InvalidBlock(message: "block \(header.height): the commit certificate does not verify: \(error)")
        }
    }

    /// Commits a block whose certificate `verify` has accepted.
    func commitVerified(header: BlockHeader, certificate: CommitCertificate, executed: Executed) throws {
        let txs = zip(executed.execution.included, executed.execution.receipts).map { tx, receipt in
            CommitBatch.StoredTransaction(hash: tx.hash, bytes: tx.bytes, receipt: receipt.canonicalBytes)
        }
        var events = CanonicalWriter()
        events.write(array: executed.execution.blockEvents) { w, e in e.encode(to: &w) }
        try store.commit(CommitBatch(
            height: header.height, blockHash: header.hash, header: header.canonicalBytes, commit: certificate.canonicalBytes,
            time: header.time, transactions: txs, blockEvents: events.bytes, stateChanges: executed.stateChanges,
            treeNodes: executed.treeNodes, stateRoot: executed.root))
        cache.insert(executed.treeNodes.lazy.map { ($0.key, $0.value) })
        stateCache.insert(executed.stateChanges.lazy.map { (StateKeyBytes($0.key), $0.value) })
        notify(StoredHead(height: header.height, blockHash: header.hash, stateRoot: executed.root.hash,
                          stateRootVersion: executed.root.version))
    }
}
