public import CairnPrimitives
public import CairnLedger

/// Sends transactions signed with one key, one after the other in the order asked.
///
/// Each send reads the account's nonce from the latest state, so two sends from one key that interleave would sign the
/// same nonce and the second would be refused. Every part of a process that signs with a key (a gateway's channels and
/// its audits' challenges, a wallet and the challenges of its mystery shopping) shares that key's one sender.
public final class TransactionSender: Sendable {
    public let node: NodeClient
    let key: PrivateKey
    let lock = AsyncLock()

    public init(node: NodeClient, key: PrivateKey) {
        self.node = node
        self.key = key
    }

    /// The signing key's address.
    public var address: Address { key.publicKey.address }

    /// Signs `messages` at the account's next nonce once every send asked before has its receipt, submits them and waits
    /// for the block (`NodeClient.send`): a transaction that fails in its block is an error with the ledger's code.
    public func send(_ messages: [any LedgerMessage], memo: String = "") async throws(ClientError) -> Receipt {
        try await lock.run { () async throws(ClientError) in try await node.send(messages, key: key, memo: memo) }
    }
}
