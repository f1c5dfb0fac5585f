import CairnPrimitives
public import CairnLedger
public import CairnConsensus
import CairnStorage

/// A store an earlier version wrote with its parameters as JSON text: this version computes other state roots from the
/// same blocks, so the store must be migrated (re-executed) before a node uses it.
public struct LegacyStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension Chain {
    /// Whether the stored state keeps its parameters as JSON text, as versions before the canonical parameter encoding
    /// did.
    public func hasLegacyParameterEncoding() throws -> Bool {
        try withState { try ledger.hasLegacyParameterEncoding(state: $0) }
    }

    /// Re-executes every stored block of this chain (a store of an earlier version) into `target`, an empty chain of the
    /// same genesis, and makes each block final again with `engine`: the same transactions in the same blocks, at the
    /// same times and proposers, under this version's encoding and so with new state roots, block hashes and
    /// certificates.
    ///
    /// Each stored block's certificate is checked first, and each block's receipts must come out exactly as stored.
    /// - Returns: the number of blocks migrated.
    /// - Throws: `InvalidBlock` naming the first block that does not check out (nothing is changed in this chain).
    public func migrate(into target: Chain, finalizing engine: any ConsensusEngine) async throws -> UInt64 {
        let head = try head()
        var targetHead = try target.open()
        var height: UInt64 = 1
        while height <= head.height {
            guard let block = try storedParts(at: height) else { throw InvalidBlock(message: "block \(height) is missing") }
            // The stored certificate, checked by this (the earlier) chain's verifier: the block is what was agreed.
            try verify(block.header, block.commit)
            let executed = try reexecute(block, checks: PendingChecks(block.transactions, ledger: target.ledger), height: height,
                                         on: target, parent: targetHead)
            let header = executed.header(chainID: genesis.chainID, height: height, time: block.header.time,
                                         previousHash: targetHead.blockHash, proposer: block.header.proposer)
            try target.commit(header: header, certificate: try await engine.finalize(header), executed: executed)
            targetHead = try target.head()
            height += 1
        }
        return head.height
    }
}
