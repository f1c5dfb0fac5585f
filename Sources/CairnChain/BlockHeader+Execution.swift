public import CairnPrimitives
public import CairnLedger

extension Chain.Executed {
    /// The header of the block this execution makes as block `height` on top of the block `previousHash`: the one rule
    /// for every header, whether a proposer builds it or a replay checks a stored one against it.
    public func header(chainID: String, height: UInt64, time: UInt64, previousHash: Hash, proposer: Address) -> BlockHeader {
        BlockHeader(chainID: chainID, height: height, time: time, previousHash: previousHash,
                    txRoot: MerkleRoot.of(execution.receipts.map(\.txHash)), stateRoot: stateRoot,
                    receiptRoot: MerkleRoot.of(execution.receipts.map { Hash.sha256($0.canonicalBytes) }),
                    baseFee: execution.baseFee, gasUsed: execution.gasUsed, proposer: proposer, validatorsHash: validators.hash,
                    nextValidatorsHash: nextValidatorsHash, lastCommitHash: height > 1 ? lastCommit.hash : .zero,
                    evidenceHash: execution.evidence.isEmpty ? .zero : Hash.sha256(Chain.encode(evidence: execution.evidence)))
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
