public import CairnPrimitives
public import Foundation

/// What a provider signs after serving one request: what was asked, what was returned, what it cost, and
/// the channel's cumulative total after it. The client checks it before signing its next voucher; later,
/// verifiers can re-run a sampled receipt and challenge a mismatch.
public struct ServiceReceipt: Sendable, Equatable, Codable, CanonicalCodable {
    /// The provider's address (the address of `SignedReceipt.publicKey`).
    public var provider: Address
    public var channelID: UInt64
    /// SHA-256 of the request body as received.
    public var requestHash: Hash
    /// SHA-256 of the output: the generated text (UTF-8) or the embedding vectors (little-endian F32, in order).
    public var outputHash: Hash
    public var modelID: UInt64
    /// The model's name as the provider serves it.
    public var model: String
    public var promptTokens: UInt32
    public var completionTokens: UInt32
    public var embeddingTokens: UInt32
    /// Every token the request counted: prompt, completion and embedding tokens.
    public var tokens: UInt64 { UInt64(promptTokens) + UInt64(completionTokens) + UInt64(embeddingTokens) }
    /// The price the request was charged at.
    public var price: ModelPrice
    /// This request's cost: `price.cost(...)` of the token counts.
    public var cost: Amount
    /// The channel's total delivered after this request; the client's next voucher covers it.
    public var cumulative: Amount
    /// The model's part of `cumulative`.
    public var modelCumulative: Amount
    /// The model's tokens and requests on the channel after this request (this request's tokens and one request
    /// included); the client's next voucher counts them.
    public var modelTokens: UInt64
    public var modelRequests: UInt64
    /// What a check of the job needs beyond the request (which holds the sampling settings) and the output text: the hash
    /// of the weights file the provider served (its registry entry's `weightsHash`), SHA-256 of the completion's token
    /// ids (``tokensHash(_:)``; zero when the backend does not report them, as an external server does not), and why
    /// generation stopped (`stop`, `length`, `tool_calls`; choices joined by commas; empty for embeddings).
    public var weightsHash: Hash
    public var outputTokensHash: Hash
    public var finishReason: String

    public init(provider: Address, channelID: UInt64, requestHash: Hash, outputHash: Hash, modelID: UInt64, model: String,
                promptTokens: UInt32, completionTokens: UInt32, embeddingTokens: UInt32, price: ModelPrice, cost: Amount,
                cumulative: Amount, modelCumulative: Amount, modelTokens: UInt64 = 0, modelRequests: UInt64 = 0,
                weightsHash: Hash = .zero, outputTokensHash: Hash = .zero, finishReason: String = "") {
        self.provider = provider
        self.channelID = channelID
        self.requestHash = requestHash
        self.outputHash = outputHash
        self.modelID = modelID
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.embeddingTokens = embeddingTokens
        self.price = price
        self.cost = cost
        self.cumulative = cumulative
        self.modelCumulative = modelCumulative
        self.modelTokens = modelTokens
        self.modelRequests = modelRequests
        self.weightsHash = weightsHash
        self.outputTokensHash = outputTokensHash
        self.finishReason = finishReason
    }

    /// SHA-256 of token ids as little-endian 32-bit integers, in order.
    public static func tokensHash(_ ids: [Int32]) -> Hash {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * ids.count)
        for id in ids { withUnsafeBytes(of: UInt32(bitPattern: id).littleEndian) { bytes.append(contentsOf: $0) } }
        return Hash.sha256(bytes)
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(provider)
        w.write(channelID)
        w.write(requestHash)
        w.write(outputHash)
        w.write(modelID)
        w.write(model)
        w.write(promptTokens)
        w.write(completionTokens)
        w.write(embeddingTokens)
        price.encode(to: &w)
        w.write(cost)
        w.write(cumulative)
        w.write(modelCumulative)
        w.write(modelTokens)
        w.write(modelRequests)
        w.write(weightsHash)
        w.write(outputTokensHash)
        w.write(finishReason)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        provider = try r.readAddress()
        channelID = try r.readUInt64()
        requestHash = try r.readHash()
        outputHash = try r.readHash()
        modelID = try r.readUInt64()
        model = try r.readString(limit: 256)
        promptTokens = try r.readUInt32()
        completionTokens = try r.readUInt32()
        embeddingTokens = try r.readUInt32()
        price = try ModelPrice(from: &r)
        cost = try r.readAmount()
        cumulative = try r.readAmount()
        modelCumulative = try r.readAmount()
        modelTokens = try r.readUInt64()
        modelRequests = try r.readUInt64()
        weightsHash = try r.readHash()
        outputTokensHash = try r.readHash()
        finishReason = try r.readString(limit: 256)
    }

    /// Signs the receipt with the provider's key (domain `cairn/receipt/v1`).
    public func signed(by key: PrivateKey, chainID: String) -> SignedReceipt {
        SignedReceipt(receipt: self, publicKey: key.publicKey.rawRepresentation,
                      signature: key.sign(domain: .receipt, chainID: chainID, payload: canonicalBytes))
    }
}

/// A receipt with the provider's public key and signature.
public struct SignedReceipt: Sendable, Equatable, Codable, CanonicalCodable {
    public var receipt: ServiceReceipt
    /// The provider's 32-byte Ed25519 public key; its address must be `receipt.provider`.
    public var publicKey: [UInt8]
    /// 64 bytes.
    public var signature: [UInt8]

    public init(receipt: ServiceReceipt, publicKey: [UInt8], signature: [UInt8]) {
        self.receipt = receipt
        self.publicKey = publicKey
        self.signature = signature
    }

    /// Whether the receipt is signed on `chainID` by the key of the provider it names.
    public func isValid(chainID: String) -> Bool {
        guard let key = PublicKey(rawRepresentation: publicKey), key.address == receipt.provider else { return false }
        return key.isValidSignature(signature, domain: .receipt, chainID: chainID, payload: receipt.canonicalBytes)
    }

    public func encode(to w: inout CanonicalWriter) {
        receipt.encode(to: &w)
        w.write(bytes: publicKey)
        w.write(bytes: signature)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        receipt = try ServiceReceipt(from: &r)
        publicKey = try r.readBytes(limit: 32)
        signature = try r.readBytes(limit: 64)
    }

    /// The header value: base64 of the canonical bytes.
    public var headerValue: String { Data(canonicalBytes).base64EncodedString() }

    /// Parses a header value; nil when it is not base64 of a well-formed signed receipt.
    public init?(headerValue: String) {
        guard let data = Data(base64Encoded: headerValue.trimmingCharacters(in: .whitespaces)),
              let v = try? SignedReceipt(canonicalBytes: Array(data)) else { return nil }
        self = v
    }
}
