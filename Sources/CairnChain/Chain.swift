public import CairnPrimitives
public import CairnLedger
public import CairnStorage
public import CairnConsensus
import Foundation
import Synchronization

/// The ledger bound to its store: executes blocks on the committed state, updates the state tree and
/// commits each block with all its changes in one SQLite transaction.
///
/// Every block it accepts, its own or another's, comes with a commit certificate that must hold more than two thirds of
/// the power of the validator set the state names for that height, and carries the previous block's certificate (its
/// last commit), checked the same way before the block executes; genesis is accepted by its file.
public final class Chain: Sendable {
    package let store: SQLiteStore
    public let ledger: Ledger
    public let genesis: Genesis
    /// About 80 MiB when full: the nodes of the last few blocks of 10,000 transfers.
    let cache = TreeNodeCache(capacity: 1 << 18)
    let stateCache = StateCache(capacity: 1 << 19)
    /// Told of every commit, after the block is stored.
    let listeners = Mutex<[@Sendable (StoredHead) -> Void]>([])

    public init(store: SQLiteStore, ledger: Ledger, genesis: Genesis) {
        self.store = store
        self.ledger = ledger
        self.genesis = genesis
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
        /// The validator set that decides this block (from the state before it).
        public let validators: ValidatorSet
        /// The hash of the set that decides the block after it.
        public let nextValidatorsHash: Hash
        /// The certificate of the block before, which this block carries.
        public let lastCommit: CommitCertificate
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
            return head
        }
        let execution = try ledger.initGenesis(genesis)
        let sets = try ledger.validatorSets(state: execution.state)
        let executed = try computeRoot(execution, on: .empty, version: 0, validators: sets.current, next: sets.next.hash,
                                       lastCommit: .none)
        let header = BlockHeader(chainID: genesis.chainID, height: 0, time: genesis.genesisTime, previousHash: .zero,
                                 txRoot: .zero, stateRoot: executed.stateRoot, receiptRoot: .zero,
                                 baseFee: genesis.params.initialBaseFee, gasUsed: 0,
                                 proposer: Address(bytes: [UInt8](repeating: 0, count: 20))!, validatorsHash: sets.current.hash,
                                 nextValidatorsHash: sets.next.hash, lastCommitHash: .zero, evidenceHash: .zero)
        try commitVerified(header: header, certificate: .none, executed: executed)
        return try store.head()!
    }

    /// Refuses a store whose recorded state root differs from its head header's, whose tree root is missing, or whose
    /// head block's certificate does not verify.
    public func checkHead(_ head: StoredHead) throws {
        try store.read { snap in
            guard let block = try snap.block(at: head.height) else {
                throw StorageError(.headMismatch, "the head block \(head.height) is missing from the store")
            }
            let header: BlockHeader
            do { header = try BlockHeader(canonicalBytes: block.header) } catch {
                throw LegacyStoreError(description: "the store (head at height \(head.height)) was written by an earlier version, whose "
                                       + "block headers do not name validator sets; this version decides blocks by BFT consensus")
            }
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
                do {
                    guard let set = try ledger.validatorSet(atHeight: head.height, state: SnapshotState(snapshot: snap)) else {
                        throw CommitError("the state names no validator set for it")
                    }
                    try CommitCertificate(canonicalBytes: block.commit).verify(height: head.height, blockHash: header.hash, validators: set,
                                                                               chainID: genesis.chainID)
                } catch {
                    throw StorageError(.headMismatch, "the head block \(head.height)'s commit certificate does not verify: \(error)")
                }
            }
        }
    }

    /// Executes `transactions` (checked, see `Ledger.check`) as the next block on the committed head state, after the
    /// block's `evidence`. `lastCommit` must make the head block final under the set that decided it (block 1 carries
    /// `CommitCertificate.none`).
    ///
    /// - Throws: `InvalidBlock` when the last commit does not check out.
    public func execute(height: UInt64, time: UInt64, proposer: Address, transactions: [CheckedTransaction],
                        mode: ExecutionMode, parentRoot: TreeRoot, lastCommit: CommitCertificate,
                        evidence: [DuplicateVoteEvidence] = []) throws -> Executed {
        let (execution, sets) = try store.read { snap in
            let base = CachedHeadState(snapshot: snap, cache: stateCache)
            let sets = try ledger.validatorSets(state: base)
            guard let previousHash = try snap.hash(ofBlockAt: height - 1) else { throw InvalidBlock(message: "block \(height) does not follow the head") }
            let info = try ledger.lastCommitInfo(lastCommit, height: height, previousHash: previousHash, sets: sets, chainID: genesis.chainID)
            let execution = try ledger.executeBlock(base: base, height: height, time: time, proposer: proposer, transactions: transactions,
                                                    mode: mode, lastCommit: info, evidence: evidence,
                                                    previousHash: height > 1 ? previousHash : nil)
            return (execution, sets)
        }
        return try computeRoot(execution, on: parentRoot, version: height, validators: sets.current, next: sets.next.hash,
                               lastCommit: lastCommit)
    }

    /// The certificate stored with the head block: what the next block carries as its last commit.
    public func headCommit() throws -> CommitCertificate {
        try store.read { snap in
            guard let head = try snap.head(), head.height > 0, let block = try snap.block(at: head.height) else { return .none }
            return try CommitCertificate(canonicalBytes: block.commit)
        }
    }

    /// Applies the block's writes to the tree at `root`; the new nodes are stored under `version`, the block's height.
    func computeRoot(_ execution: BlockExecution, on root: TreeRoot, version: UInt64, validators: ValidatorSet, next: Hash,
                     lastCommit: CommitCertificate) throws -> Executed {
        let stateChanges = execution.state.changes
        let changes = stateChanges.map {
            TreeChange(keyHash: Hash.sha256($0.key), valueHash: $0.value.map { Hash.sha256($0) })
        }
        return try store.read { snap in
            var tree = StateTree(source: CachedTreeSource(snapshot: snap, cache: cache))
            let newRoot = try tree.apply(root: root, version: version, changes: changes)
            return Executed(execution: execution, root: newRoot, validators: validators, nextValidatorsHash: next, lastCommit: lastCommit,
                            treeNodes: tree.newNodes, stateChanges: stateChanges)
        }
    }

    /// Commits a finalized block and everything it changed, atomically, once its certificate verifies.
    ///
    /// - Throws: `InvalidBlock` when the certificate does not verify for the header (nothing is stored then).
    public func commit(header: BlockHeader, certificate: CommitCertificate, executed: Executed) throws {
        if header.height > 0 { try verify(header, certificate, validators: executed.validators) }
        try commitVerified(header: header, certificate: certificate, executed: executed)
    }

    /// Checks that `certificate` makes `header` final under `validators`; the error names the block.
    func verify(_ header: BlockHeader, _ certificate: CommitCertificate, validators: ValidatorSet) throws(InvalidBlock) {
        do { try certificate.verify(height: header.height, blockHash: header.hash, validators: validators, chainID: genesis.chainID) } catch {
            throw InvalidBlock(message: "block \(header.height): the commit certificate does not verify: \(error)")
        }
    }

    static func encode(evidence: [DuplicateVoteEvidence]) -> [UInt8] {
        var w = CanonicalWriter()
        DuplicateVoteEvidence.encode(evidence, to: &w)
        return w.bytes
    }

    static func decode(evidence bytes: [UInt8]) throws(DecodeError) -> [DuplicateVoteEvidence] {
        guard !bytes.isEmpty else { return [] }
        var r = CanonicalReader(bytes)
        let list = try DuplicateVoteEvidence.decodeList(from: &r)
        try r.expectEnd()
        return list
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
            lastCommit: executed.lastCommit.canonicalBytes, evidence: Self.encode(evidence: executed.execution.evidence), time: header.time, transactions: txs, blockEvents: events.bytes, stateChanges: executed.stateChanges,
            treeNodes: executed.treeNodes, stateRoot: executed.root))
        cache.insert(executed.treeNodes.lazy.map { ($0.key, $0.value) })
        stateCache.insert(executed.stateChanges.lazy.map { (StateKeyBytes($0.key), $0.value) })
        notify(StoredHead(height: header.height, blockHash: header.hash, stateRoot: executed.root.hash,
                          stateRootVersion: executed.root.version))
    }
}
