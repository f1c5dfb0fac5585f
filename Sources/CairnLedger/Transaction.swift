public import CairnPrimitives

/// A message inside a transaction, kept as its type name and canonical body; the module that owns
/// the type decodes it.
public struct RawMessage: Sendable, Equatable, CanonicalCodable {
    /// `module/name`, e.g. `bank/send`.
    public var type: String
    public var body: [UInt8]

    public init(type: String, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    /// Wraps a typed message.
    public init<M: LedgerMessage>(_ message: M) {
        self.init(type: M.typeName, body: message.canonicalBytes)
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(type)
        w.write(bytes: body)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        type = try r.readString(limit: 128)
        body = try r.readBytes(limit: 1 << 20)
    }
}

/// The signed part of a transaction.
public struct TransactionBody: Sendable, Equatable, CanonicalCodable {
    public var chainID: String
    public var signer: PublicKey
    /// The signer's next nonce; each nonce is used exactly once, so a signed transaction cannot be replayed.
    public var nonce: UInt64
    public var gasLimit: UInt64
    /// The most the signer pays per gas, base fee and tip together (ucairn).
    public var maxFeePerGas: Amount
    /// The most the signer tips the proposer per gas (ucairn).
    public var maxPriorityFeePerGas: Amount
    public var messages: [RawMessage]
    public var memo: String

    public init(chainID: String, signer: PublicKey, nonce: UInt64, gasLimit: UInt64, maxFeePerGas: Amount,
                maxPriorityFeePerGas: Amount, messages: [RawMessage], memo: String = "") {
        self.chainID = chainID
        self.signer = signer
        self.nonce = nonce
        self.gasLimit = gasLimit
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.messages = messages
        self.memo = memo
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(chainID)
        w.write(bytes: signer.rawRepresentation)
        w.write(nonce)
        w.write(gasLimit)
        w.write(maxFeePerGas)
        w.write(maxPriorityFeePerGas)
        w.write(array: messages) { w, m in m.encode(to: &w) }
        w.write(memo)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        chainID = try r.readString(limit: 64)
        guard let key = PublicKey(rawRepresentation: try r.readBytes(limit: 32)) else {
            throw DecodeError("signer is not a valid Ed25519 public key")
        }
        signer = key
        nonce = try r.readUInt64()
        gasLimit = try r.readUInt64()
        maxFeePerGas = try r.readAmount()
        maxPriorityFeePerGas = try r.readAmount()
        messages = try r.readArray(limit: 256) { (r: inout CanonicalReader) throws(DecodeError) in try RawMessage(from: &r) }
        memo = try r.readString(limit: 1024)
    }

    /// The signer's address.
    public var sender: Address { signer.address }

    /// Signs this body with `key`.
    public func signed(with key: PrivateKey) -> Transaction {
        Transaction(body: self, signature: key.sign(domain: .transaction, chainID: chainID, payload: canonicalBytes))
    }
}

/// A signed transaction.
public struct Transaction: Sendable, Equatable, CanonicalCodable {
    public var body: TransactionBody
    /// Ed25519 signature over the body in the `transaction` domain on the body's chain.
    public var signature: [UInt8]

    public init(body: TransactionBody, signature: [UInt8]) {
        self.body = body
        self.signature = signature
    }

    public func encode(to w: inout CanonicalWriter) {
        body.encode(to: &w)
        w.write(bytes: signature)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        body = try TransactionBody(from: &r)
        signature = try r.readBytes(limit: 64)
    }

    /// SHA-256 of the canonical bytes: the transaction's id.
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    /// Whether the signature verifies for the signer over the body.
    public var hasValidSignature: Bool { hasValidSignature(bodyBytes: body.canonicalBytes) }

    /// Whether the signature verifies over `bodyBytes`, the body's canonical bytes (taken from the transaction's bytes as
    /// received, so they are not encoded again).
    func hasValidSignature(bodyBytes: [UInt8]) -> Bool {
        body.signer.isValidSignature(signature, domain: .transaction, chainID: body.chainID, payload: bodyBytes)
    }
}
