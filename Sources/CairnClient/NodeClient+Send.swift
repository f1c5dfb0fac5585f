public import CairnPrimitives
public import CairnLedger

extension NodeClient {
    /// Signs `messages` with `key` at the account's next nonce, submits them and waits for the block.
    ///
    /// A transaction that fails in a block is an error whose `code` is the ledger's `module/code`; the
    /// receipt of a successful one is returned (its events carry what the messages created).
    /// Callers that send from one key concurrently must serialize: the nonce is read from the latest state.
    public func send(_ messages: [any LedgerMessage], key: PrivateKey, tip: Amount = 1, memo: String = "",
                     timeout: Duration = .seconds(30), poll: Duration = .milliseconds(200)) async throws(ClientError) -> Receipt {
        let status = try await status()
        let account = try await account(key.publicKey.address)
        let tx = TxBuilder(chainID: status.chainID, tip: tip)
            .build(messages: messages, key: key, nonce: account.nonce, baseFee: status.baseFee, memo: memo)
        let hash = try await submit(tx)
        let receipt = try await waitForReceipt(hash, timeout: timeout, poll: poll)
        if let e = receipt.error {
            throw ClientError("transaction \(hash) failed: \(e.message)", code: "\(e.module)/\(e.code)")
        }
        return receipt
    }
}
