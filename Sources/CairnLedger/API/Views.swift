public import CairnPrimitives
public import Foundation

/// `GET /v1/status`.
public struct StatusView: Codable, Sendable {
    public init(chainID: String, height: UInt64, latestBlockHash: Hash, latestBlockTime: UInt64, stateRoot: Hash, baseFee: Amount,
                mempoolSize: Int, blockGasLimit: UInt64, catchingUp: Bool = false) {
        self.chainID = chainID
        self.height = height
        self.latestBlockHash = latestBlockHash
        self.latestBlockTime = latestBlockTime
        self.stateRoot = stateRoot
        self.baseFee = baseFee
        self.mempoolSize = mempoolSize
        self.blockGasLimit = blockGasLimit
        self.catchingUp = catchingUp
    }

    public var chainID: String
    public var height: UInt64
    public var latestBlockHash: Hash
    public var latestBlockTime: UInt64
    public var stateRoot: Hash
    public var baseFee: Amount
    public var mempoolSize: Int
    public var blockGasLimit: UInt64
    /// True while the node is behind its peers and fetching blocks by block sync rather than deciding them.
    public var catchingUp: Bool
}

extension StatusView {
    enum CodingKeys: String, CodingKey {
        case chainID, height, latestBlockHash, latestBlockTime, stateRoot, baseFee, mempoolSize, blockGasLimit, catchingUp
        /// The same flag under CometBFT's name, which tools written for CometBFT's `/status` read.
        case catchingUpSnake = "catching_up"
    }

    /// Decodes a status; the catching-up flag is absent from nodes older than the field and reads as false.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(chainID: try c.decode(String.self, forKey: .chainID), height: try c.decode(UInt64.self, forKey: .height),
                  latestBlockHash: try c.decode(Hash.self, forKey: .latestBlockHash),
                  latestBlockTime: try c.decode(UInt64.self, forKey: .latestBlockTime), stateRoot: try c.decode(Hash.self, forKey: .stateRoot),
                  baseFee: try c.decode(Amount.self, forKey: .baseFee), mempoolSize: try c.decode(Int.self, forKey: .mempoolSize),
                  blockGasLimit: try c.decode(UInt64.self, forKey: .blockGasLimit),
                  catchingUp: try c.decodeIfPresent(Bool.self, forKey: .catchingUp) ?? c.decodeIfPresent(Bool.self, forKey: .catchingUpSnake) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(chainID, forKey: .chainID)
        try c.encode(height, forKey: .height)
        try c.encode(latestBlockHash, forKey: .latestBlockHash)
        try c.encode(latestBlockTime, forKey: .latestBlockTime)
        try c.encode(stateRoot, forKey: .stateRoot)
        try c.encode(baseFee, forKey: .baseFee)
        try c.encode(mempoolSize, forKey: .mempoolSize)
        try c.encode(blockGasLimit, forKey: .blockGasLimit)
        try c.encode(catchingUp, forKey: .catchingUp)
        try c.encode(catchingUp, forKey: .catchingUpSnake)
    }
}

/// `GET /v1/blocks/{height}`.
public struct BlockView: Codable, Sendable {
    public var hash: Hash
    public var header: BlockHeader
    public var transactions: [Hash]
    public var blockEvents: [Event]
    /// The round of the height that decided the block (0 when its first proposal was decided), from its certificate.
    public var commitRound: UInt32
    public var signatures: [SignatureView]

    public struct SignatureView: Codable, Sendable {
        public var validator: String
        public var signature: String

        public init(validator: String, signature: String) {
            self.validator = validator
            self.signature = signature
        }
    }

    public init(hash: Hash, header: BlockHeader, transactions: [Hash], blockEvents: [Event], commitRound: UInt32, signatures: [SignatureView]) {
        self.hash = hash
        self.header = header
        self.transactions = transactions
        self.blockEvents = blockEvents
        self.commitRound = commitRound
        self.signatures = signatures
    }
}

/// A message inside a transaction view: its type and its fields.
public struct MessageView: Encodable, Sendable {
    public let type: String
    public let value: any LedgerMessage

    public init(type: String, value: any LedgerMessage) {
        self.type = type
        self.value = value
    }

    enum Keys: String, CodingKey { case type, value }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(type, forKey: .type)
        try value.encode(to: c.superEncoder(forKey: .value))
    }
}

/// `GET /v1/txs/{hash}`.
public struct TransactionView: Encodable, Sendable {
    public var hash: Hash
    public var height: UInt64
    public var index: Int
    public var chainID: String
    public var sender: Address
    public var signer: String
    public var nonce: UInt64
    public var gasLimit: UInt64
    public var maxFeePerGas: Amount
    public var maxPriorityFeePerGas: Amount
    public var memo: String
    public var messages: [MessageView]
    public var signature: String
    public var receipt: Receipt

    public init(hash: Hash, height: UInt64, index: Int, chainID: String, sender: Address, signer: String, nonce: UInt64,
                gasLimit: UInt64, maxFeePerGas: Amount, maxPriorityFeePerGas: Amount, memo: String, messages: [MessageView],
                signature: String, receipt: Receipt) {
        self.hash = hash
        self.height = height
        self.index = index
        self.chainID = chainID
        self.sender = sender
        self.signer = signer
        self.nonce = nonce
        self.gasLimit = gasLimit
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.memo = memo
        self.messages = messages
        self.signature = signature
        self.receipt = receipt
    }
}

/// `GET /v1/accounts/{address}`.
public struct AccountView: Codable, Sendable {
    public var address: Address
    public var nonce: UInt64
    public var balances: [Coin]
    public var proof: AccountProof?

    public init(address: Address, nonce: UInt64, balances: [Coin], proof: AccountProof?) {
        self.address = address
        self.nonce = nonce
        self.balances = balances
        self.proof = proof
    }
}

/// The proof attached to an account with `?prove=true`: each of its state entries under the state
/// root of block `height`.
public struct AccountProof: Codable, Sendable {
    public var height: UInt64
    public var stateRoot: Hash
    public var entries: [Entry]

    public struct Entry: Codable, Sendable {
        /// Hex of the state key.
        public var key: String
        /// Hex of the value; nil when the key is absent.
        public var value: String?
        public var proof: StateProof

        public init(key: String, value: String?, proof: StateProof) {
            self.key = key
            self.value = value
            self.proof = proof
        }
    }

    public init(height: UInt64, stateRoot: Hash, entries: [Entry]) {
        self.height = height
        self.stateRoot = stateRoot
        self.entries = entries
    }
}

/// One block's record on the event stream.
public struct BlockRecord: Codable, Sendable {
    public var header: BlockHeader
    public var hash: Hash
    public var receipts: [Receipt]
    public var blockEvents: [Event]

    public init(header: BlockHeader, receipts: [Receipt], blockEvents: [Event]) {
        self.header = header
        self.hash = header.hash
        self.receipts = receipts
        self.blockEvents = blockEvents
    }

    public var json: String {
        // Encoding plain Codable values cannot fail.
        String(decoding: try! JSONEncoder.api.encode(self), as: UTF8.self)
    }
}

/// The error body of every 4xx and 5xx: `{ "error": { "code", "message" } }`.
public struct ErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: String
        public var message: String
    }

    public var error: Detail

    public init(code: String, message: String) { error = Detail(code: code, message: message) }
}

/// `POST /v1/txs` request and response.
public struct SubmitRequest: Codable, Sendable {
    /// Hex of the transaction's canonical bytes.
    public var tx: String
    public init(tx: String) { self.tx = tx }
}

public struct SubmitResponse: Codable, Sendable {
    public var hash: Hash
    public init(hash: Hash) { self.hash = hash }
}

extension JSONEncoder {
    /// The API's encoder: sorted keys so outputs are stable.
    public static var api: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
