public import CairnPrimitives
public import CairnLedger
import CairnStorage

/// A store an earlier version wrote (parameters as JSON text, or headers from before BFT consensus): this version
/// computes other state roots and block hashes from the same blocks, so the store must be migrated (re-executed) before
/// a node uses it.
public struct LegacyStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension Chain {
    /// Whether the store was written before BFT consensus: its head header does not decode as this version's.
    public func hasLegacyHeaders() throws -> Bool {
        try store.read { snap in
            guard let head = try snap.head(), let block = try snap.block(at: head.height) else { return false }
            return (try? BlockHeader(canonicalBytes: block.header)) == nil
        }
    }

    /// Re-executes every stored block of this chain (a store an earlier, one-validator version wrote) into `target`, an
    /// empty chain of the same genesis, and makes each block final again with a precommit signed by `key`, the genesis
    /// validator's: the same transactions in the same blocks, at the same times and proposers, under this version's
    /// encoding and so with new state roots, block hashes and certificates.
    ///
    /// Each stored block's certificate (the validator's signature over the old header) is checked first, and each
    /// block's receipts must come out exactly as stored.
    /// - Returns: the number of blocks migrated.
    /// - Throws: `InvalidBlock` naming the first block that does not check out (nothing is changed in this chain).
    public func migrate(into target: Chain, signingWith key: PrivateKey) throws -> UInt64 {
        let head = try head()
        var targetHead = try target.open()
        var lastCommit = CommitCertificate.none
        var height: UInt64 = 1
        while height <= head.height {
            guard let block = try legacyParts(at: height) else { throw InvalidBlock(message: "block \(height) is missing") }
            // The stored certificate: the block is what the validator signed.
            guard block.signatures.count == 1, block.signatures[0].validator == key.publicKey,
                  key.publicKey.isValidSignature(block.signatures[0].signature, domain: .block, chainID: genesis.chainID,
                                                 payload: block.headerBytes) else {
                throw InvalidBlock(message: "block \(height): the stored certificate is not the validator's signature over the header")
            }
            let transactions: [CheckedTransaction]
            do { transactions = try PendingChecks(block.transactions, ledger: target.ledger).wait() } catch {
                throw InvalidBlock(message: "block \(height): \(error.message)")
            }
            let executed = try target.execute(height: height, time: block.time, proposer: block.proposer, transactions: transactions,
                                              mode: .replay, parentRoot: targetHead.root, lastCommit: lastCommit)
            guard executed.execution.receipts == block.receipts else {
                throw InvalidBlock(message: "block \(height): re-executed receipts differ from the stored ones")
            }
            let header = executed.header(chainID: genesis.chainID, height: height, time: block.time, previousHash: targetHead.blockHash,
                                         proposer: block.proposer)
            lastCommit = .signed(height: height, blockHash: header.hash, by: [key], chainID: genesis.chainID)
            try target.commit(header: header, certificate: lastCommit, executed: executed)
            targetHead = try target.head()
            height += 1
        }
        return head.height
    }

    /// A block as an earlier version stored it: the header's bytes and the fields the migration reuses, the Solo
    /// certificate's signatures, the transactions and receipts.
    struct LegacyBlockParts {
        let headerBytes: [UInt8]
        let time: UInt64
        let proposer: Address
        let signatures: [(validator: PublicKey, signature: [UInt8])]
        let transactions: [[UInt8]]
        let receipts: [Receipt]
    }

    func legacyParts(at height: UInt64) throws -> LegacyBlockParts? {
        try store.read { snap in
            guard let stored = try snap.block(at: height) else { return nil }
            let records = try snap.transactions(inBlock: height)
            // The earlier header: chain id, height, time, parent, tx root, state root, receipt root, base fee, gas, proposer.
            var r = CanonicalReader(stored.header)
            _ = try r.readString(limit: 64)
            _ = try r.readUInt64()
            let time = try r.readUInt64()
            for _ in 0..<4 { _ = try r.readHash() }
            _ = try r.readAmount()
            _ = try r.readUInt64()
            let proposer = try r.readAddress()
            try r.expectEnd()
            var c = CanonicalReader(stored.commit)
            let signatures = try c.readArray(limit: 16) { (c: inout CanonicalReader) throws(DecodeError) in
                guard let key = PublicKey(rawRepresentation: try c.readBytes(limit: 32)) else { throw DecodeError("invalid key in a certificate") }
                return (validator: key, signature: try c.readBytes(limit: 64))
            }
            return LegacyBlockParts(headerBytes: stored.header, time: time, proposer: proposer, signatures: signatures,
                                    transactions: records.map(\.bytes), receipts: try records.map { try Receipt(canonicalBytes: $0.receipt) })
        }
    }
}
