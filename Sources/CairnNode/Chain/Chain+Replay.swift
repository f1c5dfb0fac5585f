import CairnPrimitives
public import CairnLedger
import CairnStorage

extension Chain {
    /// A stored block, decoded.
    public func block(at height: UInt64) throws -> (block: Block, receipts: [Receipt], blockEvents: [Event])? {
        try store.read { snap in
            guard let stored = try snap.block(at: height) else { return nil }
            let records = try snap.transactions(inBlock: height)
            var r = CanonicalReader(stored.blockEvents)
            let events = try r.readArray { (r: inout CanonicalReader) throws(DecodeError) in try Event(from: &r) }
            let block = Block(header: try BlockHeader(canonicalBytes: stored.header),
                              transactions: try records.map { try Transaction(canonicalBytes: $0.bytes) },
                              commit: try CommitCertificate(canonicalBytes: stored.commit))
            return (block, try records.map { try Receipt(canonicalBytes: $0.receipt) }, events)
        }
    }

    /// Re-executes every stored block from genesis into `target` (an empty chain with the same genesis)
    /// and checks each block's state root, transaction root and receipts against what is stored here.
    ///
    /// - Returns: the number of blocks replayed.
    @discardableResult
    public func replay(into target: Chain) throws -> UInt64 {
        let head = try head()
        var targetHead = try target.open()
        guard let genesisHeader = try header(at: 0), genesisHeader.stateRoot == targetHead.stateRoot else {
            throw InvalidBlock(message: "genesis state roots differ")
        }
        // Each block's signatures are checked while the block before it executes and commits.
        func fetch(_ height: UInt64) throws -> (Block, [Receipt], PendingSignatures)? {
            try block(at: height).map { ($0.block, $0.receipts, PendingSignatures($0.block.transactions)) }
        }
        var next = try fetch(1)
        var height: UInt64 = 1
        while height <= head.height {
            guard let (block, receipts, signatures) = next else {
                throw InvalidBlock(message: "block \(height) is missing")
            }
            next = height < head.height ? try fetch(height + 1) : nil
            let executed = try target.execute(
                height: height, time: block.header.time, proposer: block.header.proposer, transactions: block.transactions,
                signatures: signatures.wait(), mode: .replay, parentRoot: targetHead.root)
            guard executed.stateRoot == block.header.stateRoot else {
                throw InvalidBlock(message: "block \(height): replayed state root \(executed.stateRoot) differs from stored \(block.header.stateRoot)")
            }
            guard executed.execution.receipts == receipts else {
                throw InvalidBlock(message: "block \(height): replayed receipts differ from the stored ones")
            }
            guard MerkleRoot.of(receipts.map(\.txHash)) == block.header.txRoot,
                  MerkleRoot.of(receipts.map { Hash.sha256($0.canonicalBytes) }) == block.header.receiptRoot else {
                throw InvalidBlock(message: "block \(height): the header's transaction or receipt root does not match its block")
            }
            guard block.header.previousHash == targetHead.blockHash, block.header.gasUsed == executed.execution.gasUsed,
                  block.header.baseFee == executed.execution.baseFee, block.header.chainID == genesis.chainID else {
                throw InvalidBlock(message: "block \(height): the header's parent, gas used, base fee or chain id does not match the replay")
            }
            try target.commit(header: block.header, certificate: block.commit, executed: executed)
            targetHead = try target.head()
            height += 1
        }
        return head.height
    }
}
