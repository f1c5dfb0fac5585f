public import CairnLedger

/// Why the node refused a submitted transaction: a typed code with a stable string value, and a message.
public struct SubmitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable code of a refusal, as the API answers it (`rawValue`).
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The bytes do not decode as a transaction: `malformed_tx`.
        case malformedTx
        /// A check of the ledger refused it: `MODULE/CODE`, the ledger error's stable pair (`ledger/2`: a bad signature).
        case ledger(module: String, code: UInt32)
        /// The mempool refused it (`nonce_gap`, `mempool_full`, ...).
        case mempool(MempoolRejection.Code)
        /// The node could not read its own state: `internal`.
        case `internal`

        /// The code as the API spells it.
        public var rawValue: String {
            switch self {
            case .malformedTx: "malformed_tx"
            case let .ledger(module, code): "\(module)/\(code)"
            case let .mempool(code): code.rawValue
            case .internal: "internal"
            }
        }

        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A ledger check's refusal.
    public init(_ e: LedgerError) { self.init(.ledger(module: e.module, code: e.code), e.message) }

    /// The mempool's refusal.
    public init(_ rejection: MempoolRejection) { self.init(.mempool(rejection.code), rejection.message) }

    public var description: String { "\(code.rawValue): \(message)" }
}
