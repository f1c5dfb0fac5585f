public import CairnPrimitives
public import CairnLedger
import Synchronization

/// Sends transactions signed with one key: each takes the nonce after the one before, so sends asked for together go
/// into the mempool together and land in the same block, and none takes another's nonce.
///
/// Signing and submitting are serialized (in the order asked); waiting for the block is not. The nonce is the larger
/// of the account's committed nonce and the one after this sender's last accepted transaction, so other users of the
/// key are followed. Every part of a process that signs with a key (a gateway's channels and its audits' challenges,
/// a wallet and the challenges of its mystery shopping) shares that key's one sender.
public final class TransactionSender: Sendable {
    public let node: NodeClient
    let key: PrivateKey
    let lock = AsyncLock()
    /// The nonce after the last transaction of this sender's that the node accepted; nil once the node may have
    /// dropped one (a refusal for its nonce, a receipt that never came), so that the next send starts from the chain.
    let next = Mutex<UInt64?>(nil)

    public init(node: NodeClient, key: PrivateKey) {
        self.node = node
        self.key = key
    }

    /// The signing key's address.
    public var address: Address { key.publicKey.address }

    /// Signs `messages` at the key's next nonce, submits them and waits for the block: a transaction that fails in
    /// its block is an error with the ledger's `module/code`; the receipt of one that succeeds is returned.
    public func send(_ messages: [any LedgerMessage], memo: String = "", timeout: Duration = .seconds(30)) async throws(ClientError) -> Receipt {
        let hash = try await lock.run { () async throws(ClientError) -> Hash in
            do throws(ClientError) {
                return try await submit(messages, memo: memo)
            } catch {
                guard Self.nonceRefusals.contains(error.code ?? "") else { throw error }
                // Another user of the key took the nonce, or a transaction before it was dropped: once more from the chain.
                next.withLock { $0 = nil }
                return try await submit(messages, memo: memo)
            }
        }
        let receipt: Receipt
        do throws(ClientError) {
            receipt = try await node.waitForReceipt(hash, timeout: timeout)
        } catch {
            next.withLock { $0 = nil }
            throw error
        }
        if let e = receipt.error {
            throw ClientError("transaction \(hash) failed: \(e.message)", code: "\(e.module)/\(e.code)")
        }
        return receipt
    }

    /// The mempool's refusals that say the nonce was wrong.
    static let nonceRefusals: Set<String> = ["nonce_too_low", "nonce_gap", "replacement_underpriced"]

    private func submit(_ messages: [any LedgerMessage], memo: String) async throws(ClientError) -> Hash {
        let status = try await node.status()
        let committed = try await node.account(address).nonce
        let nonce = max(committed, next.withLock { $0 } ?? 0)
        let tx = TxBuilder(chainID: status.chainID).build(messages: messages, key: key, nonce: nonce, baseFee: status.baseFee, memo: memo)
        let hash = try await node.submit(tx)
        next.withLock { $0 = nonce + 1 }
        return hash
    }
}
