public import CairnPrimitives
public import CairnLedger
import CairnBank

/// Builds, prices and signs transactions.
public struct TxBuilder: Sendable {
    public let chainID: String
    /// Tip per gas offered to the proposer.
    public var tip: Amount = 1

    public init(chainID: String, tip: Amount = 1) {
        self.chainID = chainID
        self.tip = tip
    }

    /// Gas for `messages`: the intrinsic gas of the encoded size plus each message's gas, with 10% headroom.
    public func gasLimit(messages: [any LedgerMessage], key: PublicKey, memo: String) -> UInt64 {
        let raws = messages.map { RawMessage(type: type(of: $0).typeName, body: $0.canonicalBytes) }
        let probe = TransactionBody(chainID: chainID, signer: key, nonce: .max, gasLimit: .max, maxFeePerGas: Amount(.max),
                                    maxPriorityFeePerGas: Amount(.max), messages: raws, memo: memo)
        let size = probe.canonicalBytes.count + 4 + 64
        let needed = messages.reduce(Ledger.intrinsicGas(byteCount: size)) { $0 + $1.gas }
        return needed + needed / 10
    }

    /// A signed transaction paying at most twice the current base fee plus the tip per gas.
    public func build(messages: [any LedgerMessage], key: PrivateKey, nonce: UInt64, baseFee: Amount, memo: String = "") -> Transaction {
        let raws = messages.map { RawMessage(type: type(of: $0).typeName, body: $0.canonicalBytes) }
        let maxFee = baseFee.multiplied(by: 2).flatMap { $0.adding(tip) } ?? Amount(.max)
        let body = TransactionBody(chainID: chainID, signer: key.publicKey, nonce: nonce,
                                   gasLimit: gasLimit(messages: messages, key: key.publicKey, memo: memo),
                                   maxFeePerGas: maxFee, maxPriorityFeePerGas: tip, messages: raws, memo: memo)
        return body.signed(with: key)
    }
}

/// Checks an account's proof against a header's state root and the balances and nonce shown.
public enum AccountProofCheck {
    /// Whether every entry of `view.proof` verifies under `stateRoot`, and the entries are the account's
    /// nonce and balances with the values the view shows.
    public static func verify(_ view: AccountView, stateRoot: Hash) -> Result<Int, ClientError> {
        guard let proof = view.proof else { return .failure(ClientError("the node sent no proof")) }
        guard proof.stateRoot == stateRoot else {
            return .failure(ClientError("proof is for state root \(proof.stateRoot), the header of block \(proof.height) has \(stateRoot)"))
        }
        var checked = 0
        for entry in proof.entries {
            guard let key = [UInt8](hex: entry.key) else { return .failure(ClientError("proof key is not hex")) }
            let value = entry.value.flatMap { [UInt8](hex: $0) }
            guard entry.proof.verify(root: stateRoot, key: key, value: value) else {
                return .failure(ClientError("the proof of state key \(entry.key) does not verify"))
            }
            checked += 1
        }
        // The shown values must be the proven ones.
        var nonceWriter = CanonicalWriter()
        nonceWriter.write(view.nonce)
        let nonceKey = Ledger.nonceKey(view.address).hexString
        guard let nonceEntry = proof.entries.first(where: { $0.key == nonceKey }) else {
            return .failure(ClientError("the proof does not cover the nonce"))
        }
        let provenNonce = nonceEntry.value ?? ""
        guard provenNonce == (view.nonce == 0 ? "" : nonceWriter.bytes.hexString) else {
            return .failure(ClientError("the nonce shown differs from the proven one"))
        }
        for coin in view.balances {
            var w = CanonicalWriter()
            w.write(coin.amount)
            let key = BankKeys.balance(view.address, coin.denom).hexString
            guard proof.entries.contains(where: { $0.key == key && $0.value == w.bytes.hexString }) else {
                return .failure(ClientError("the balance of \(coin.denom) shown is not the proven one"))
            }
        }
        return .success(checked)
    }
}
