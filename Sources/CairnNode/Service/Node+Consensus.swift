public import CairnPrimitives
public import CairnLedger
public import CairnConsensus
import CairnChain
import CairnStorage
import Foundation
import Synchronization

/// The node as the consensus engine's application: it proposes from its mempool, checks others' proposals by executing
/// them, and commits what consensus decides.
extension Node: ConsensusApplication {
    public func committedHeight() async throws -> UInt64 { head.height }

    /// The set deciding the next height, or the set that decided a committed one (from the ledger's history).
    public func validators(forHeight height: UInt64) async throws -> ValidatorSet {
        if height == head.height + 1 { return try chain.withState { try chain.ledger.validatorSets(state: $0).current } }
        guard height >= 1, height <= head.height,
              let set = try chain.withState({ try chain.ledger.validatorSet(atHeight: height, state: $0) }) else {
            throw ConsensusError("the validator set of height \(height) is not known; the head is \(head.height)")
        }
        return set
    }

    public func prepareProposal(height: UInt64, round: UInt32, proposer: Address, evidence: [DuplicateVoteEvidence]) async throws -> ProposedBlock {
        guard height == head.height + 1 else { throw ConsensusError("cannot propose block \(height) on head \(head.height)") }
        let txs = mempool.select(gasLimit: params.blockGasLimit)
        let time = max(clock(), headHeader.time)
        let lastCommit = try chain.headCommit()
        let executed = try chain.execute(height: height, time: time, proposer: proposer, transactions: txs, mode: .propose,
                                         parentRoot: head.root, lastCommit: lastCommit, evidence: evidence)
        let header = executed.header(chainID: chainID, height: height, time: time, previousHash: head.blockHash, proposer: proposer)
        for d in executed.execution.dropped { mempool.remove(d.tx.hash) }
        executedBlocks[header.hash] = (header, executed)
        let bytes = Block.encode(header: header, transactions: executed.execution.included.map(\.bytes), lastCommit: lastCommit,
                                 evidence: executed.execution.evidence)
        return ProposedBlock(hash: header.hash, bytes: bytes)
    }

    public func processProposal(height: UInt64, block: ProposedBlock) async -> Bool {
        if executedBlocks[block.hash] != nil { return true }
        do {
            _ = try check(block, height: height)
            return true
        } catch {
            return false
        }
    }

    /// Executes a proposed block on the head as a replay would and compares its header with the result.
    func check(_ block: ProposedBlock, height: UInt64) throws -> (header: BlockHeader, executed: Chain.Executed) {
        let parts = try Block.decode(block.bytes)
        guard parts.header.hash == block.hash else { throw InvalidBlock(message: "the block's bytes do not hash to \(block.hash)") }
        guard parts.header.height == height, height == head.height + 1 else { throw InvalidBlock(message: "the block is not for height \(head.height + 1)") }
        guard parts.header.time >= headHeader.time else { throw InvalidBlock(message: "the block's time is before its parent's") }
        let transactions = try PendingChecks(parts.transactions, ledger: chain.ledger).wait()
        let executed = try chain.execute(received: parts.header, transactions: transactions, lastCommit: parts.lastCommit,
                                         evidence: parts.evidence, parent: head)
        executedBlocks[block.hash] = (parts.header, executed)
        return (parts.header, executed)
    }

    public func commit(_ block: ProposedBlock, certificate: CommitCertificate) async throws -> [Hash] {
        let started = Date()
        let (header, executed) = try executedBlocks[block.hash] ?? check(block, height: head.height + 1)
        try chain.commit(header: header, certificate: certificate, executed: executed)
        executedBlocks = [:]
        head = try chain.head()
        headHeader = header
        let updated = try chain.withState { try chain.ledger.params(state: $0) }
        currentParams.withLock { $0 = updated }
        let exec = executed.execution
        var touched = Set(exec.included.map(\.body.sender))
        touched.formUnion(exec.dropped.map(\.tx.body.sender))
        try chain.withState { state in
            for sender in touched { mempool.prune(sender: sender, committedNonce: try chain.ledger.nonce(of: sender, state: state)) }
        }
        metrics.blockCommitted(height: header.height, txs: exec.included.count, commitSeconds: Date().timeIntervalSince(started),
                               now: Date().timeIntervalSince1970)
        metrics.setMempoolSize(mempool.count)
        hub.publish(BlockRecord(header: header, receipts: exec.receipts, blockEvents: exec.blockEvents).json)
        return exec.evidence.map(\.hash)
    }
}
