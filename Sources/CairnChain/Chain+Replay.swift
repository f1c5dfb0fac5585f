import CairnPrimitives
public import CairnLedger
import CairnStorage
import CairnConsensus

extension Chain {
    /// Re-executes every stored block from genesis into `target` (an empty chain with the same genesis), checking each
    /// block's last commit and commit certificate against the validator sets `target`'s state names, and its state root, transaction root and receipts against
    /// what is stored here.
    ///
    /// - Returns: the number of blocks replayed.
    /// - Throws: `InvalidBlock` naming the first block that does not check out.
    @discardableResult
    public func replay(into target: Chain) throws -> UInt64 {
        let head = try head()
        var targetHead = try target.open()
        guard let genesisHeader = try header(at: 0), genesisHeader.stateRoot == targetHead.stateRoot else {
            throw InvalidBlock(message: "genesis state roots differ")
        }
        // Each block's transactions are decoded and checked, signatures included, while the block before it executes and
        // commits.
        func fetch(_ height: UInt64) throws -> (StoredBlockParts, PendingChecks)? {
            try storedParts(at: height).map { ($0, PendingChecks($0.transactions, ledger: target.ledger)) }
        }
        var next = try fetch(1)
        var height: UInt64 = 1
        while height <= head.height {
            guard let (block, checks) = next else {
                throw InvalidBlock(message: "block \(height) is missing")
            }
            next = height < head.height ? try fetch(height + 1) : nil
            // Checked first, against the set the target's state names for the block: a forged certificate is named as such,
            // whatever else is wrong.
            try target.verify(block.header, block.commit, validators: try target.withState { try target.ledger.validatorSets(state: $0).current })
            let executed = try reexecute(block, checks: checks, height: height, on: target, parent: targetHead)
            try target.commitVerified(header: block.header, certificate: block.commit, executed: executed)
            targetHead = try target.head()
            height += 1
        }
        return head.height
    }

    /// Executes a stored block again on `target`, whose head is `parent`: its transactions checked by `checks` (started
    /// ahead), all of them valid, the header what execution gives, and the receipts exactly the stored ones.
    func reexecute(_ block: StoredBlockParts, checks: PendingChecks, height: UInt64, on target: Chain, parent: StoredHead) throws -> Executed {
        let transactions: [CheckedTransaction]
        do { transactions = try checks.wait() } catch {
            throw InvalidBlock(message: "block \(height): \(error.message)")
        }
        let executed = try target.execute(received: block.header, transactions: transactions, lastCommit: block.lastCommit,
                                          evidence: block.evidence, parent: parent)
        guard executed.execution.receipts == block.receipts else {
            throw InvalidBlock(message: "block \(height): re-executed receipts differ from the stored ones")
        }
        return executed
    }

    /// A stored block's parts as the replay needs them: the header and certificate decoded, the transactions as bytes.
    struct StoredBlockParts {
        let header: BlockHeader
        let commit: CommitCertificate
        let lastCommit: CommitCertificate
        let evidence: [DuplicateVoteEvidence]
        let transactions: [[UInt8]]
        let receipts: [Receipt]
    }

    func storedParts(at height: UInt64) throws -> StoredBlockParts? {
        try store.read { snap in
            guard let stored = try snap.block(at: height) else { return nil }
            let records = try snap.transactions(inBlock: height)
            return StoredBlockParts(header: try BlockHeader(canonicalBytes: stored.header), commit: try CommitCertificate(canonicalBytes: stored.commit),
                                    lastCommit: try Self.decode(lastCommit: stored.lastCommit), evidence: try Self.decode(evidence: stored.evidence),
                                    transactions: records.map(\.bytes), receipts: try records.map { try Receipt(canonicalBytes: $0.receipt) })
        }
    }
}
