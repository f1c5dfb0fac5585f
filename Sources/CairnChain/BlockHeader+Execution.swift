public import CairnPrimitives
public import CairnLedger
public import CairnStorage

extension Chain.Executed {
    /// The header of the block this execution makes as block `height` on top of the block `previousHash`.
    public func header(chainID: String, height: UInt64, time: UInt64, previousHash: Hash, proposer: Address) -> BlockHeader {
        BlockHeader(chainID: chainID, height: height, time: time, previousHash: previousHash, proposer: proposer, execution: execution,
                    stateRoot: stateRoot, validatorsHash: validators.hash, nextValidatorsHash: nextValidatorsHash, lastCommit: lastCommit)
    }
}

extension Chain {
    /// Executes a block received whole (another validator's proposal, or a stored block) on the head `parent`, every
    /// transaction required valid, and checks that its header is the one the execution gives.
    ///
    /// - Throws: `InvalidBlock` naming the header fields that differ, or why execution failed.
    public func execute(received header: BlockHeader, transactions: [CheckedTransaction], lastCommit: CommitCertificate,
                        evidence: [DuplicateVoteEvidence], parent: StoredHead) throws -> Executed {
        let executed = try execute(height: header.height, time: header.time, proposer: header.proposer, transactions: transactions,
                                   mode: .replay, parentRoot: parent.root, lastCommit: lastCommit, evidence: evidence)
        let expected = executed.header(chainID: genesis.chainID, height: header.height, time: header.time, previousHash: parent.blockHash,
                                       proposer: header.proposer)
        let differences = header.differences(from: expected)
        guard differences.isEmpty else {
            throw InvalidBlock(message: "block \(header.height): the header does not match the execution in its \(differences.joined(separator: ", "))")
        }
        return executed
    }
}

extension BlockHeader {
    /// The fields in which `self` differs from `expected`, by name (empty when they are equal).
    public func differences(from expected: BlockHeader) -> [String] {
        var out: [String] = []
        if chainID != expected.chainID { out.append("chain id") }
        if height != expected.height { out.append("height") }
        if time != expected.time { out.append("time") }
        if previousHash != expected.previousHash { out.append("parent hash") }
        if txRoot != expected.txRoot { out.append("transaction root") }
        if stateRoot != expected.stateRoot { out.append("state root \(stateRoot) (replayed \(expected.stateRoot))") }
        if receiptRoot != expected.receiptRoot { out.append("receipt root") }
        if baseFee != expected.baseFee { out.append("base fee") }
        if gasUsed != expected.gasUsed { out.append("gas used") }
        if proposer != expected.proposer { out.append("proposer") }
        if validatorsHash != expected.validatorsHash { out.append("validators hash") }
        if nextValidatorsHash != expected.nextValidatorsHash { out.append("next validators hash") }
        if lastCommitHash != expected.lastCommitHash { out.append("last commit hash") }
        if evidenceHash != expected.evidenceHash { out.append("evidence hash") }
        return out
    }
}
