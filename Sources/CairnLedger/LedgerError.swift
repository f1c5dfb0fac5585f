public import CairnPrimitives

/// A ledger error with a stable `(module, code)` pair that never changes meaning, and a readable message.
public struct LedgerError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The module that owns the code (its codespace).
    public let module: String
    /// The code, stable within the module.
    public let code: UInt32
    /// A readable explanation of this occurrence.
    public let message: String

    public init(module: String, code: UInt32, message: String) {
        self.module = module
        self.code = code
        self.message = message
    }

    /// Whether this error has the same `(module, code)` as `other`, whatever the message.
    public func matches(_ other: LedgerError) -> Bool { module == other.module && code == other.code }

    public var description: String { "\(module)/\(code): \(message)" }
}

/// Errors of the ledger core (codespace `ledger`). Never renumber.
public enum CoreError {
    public static let codespace = "ledger"

    public static func wrongChain(_ got: String, expected: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "transaction is for chain '\(got)', this chain is '\(expected)'")
    }
    public static func badSignature() -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "signature does not verify for the signer's key")
    }
    public static func badNonce(got: UInt64, expected: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "nonce \(got) is not the account's next nonce \(expected)")
    }
    public static func feeTooLow(maxFee: Amount, baseFee: Amount) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "max fee per gas \(maxFee) is below the base fee \(baseFee)")
    }
    public static func insufficientFee(needed: Amount, available: Amount) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "balance \(available)ucairn cannot cover the maximum fee \(needed)ucairn")
    }
    public static func outOfGas(limit: UInt64, needed: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "out of gas: limit \(limit), needed at least \(needed)")
    }
    public static func unknownMessage(_ type: String) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "unknown message type '\(type)'")
    }
    public static func malformedMessage(_ type: String, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "malformed '\(type)' message: \(why)")
    }
    public static func noMessages() -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "transaction has no messages")
    }
    public static func gasLimitTooHigh(_ limit: UInt64, blockLimit: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "gas limit \(limit) exceeds the block gas limit \(blockLimit)")
    }
    public static func priorityAboveMax() -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "max priority fee per gas exceeds max fee per gas")
    }
    public static func memoTooLong(_ n: Int, limit: Int) -> LedgerError {
        LedgerError(module: codespace, code: 12, message: "memo is \(n) bytes, the limit is \(limit)")
    }
    public static func txTooLarge(_ n: Int, limit: Int) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "transaction is \(n) bytes, the limit is \(limit)")
    }
    public static func overflow(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 14, message: "arithmetic overflow in \(what)")
    }
    public static func unauthorized(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 15, message: "unauthorized: \(why)")
    }
    public static func gasLimitTooLow(_ limit: UInt64, intrinsic: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 16, message: "gas limit \(limit) is below the intrinsic gas \(intrinsic) of this transaction")
    }
    public static func unknownParameter(_ module: String, _ key: String, known: [String]) -> LedgerError {
        let list = known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))"
        return LedgerError(module: codespace, code: 17, message: "module '\(module)' has no parameter '\(key)'\(list)")
    }
    public static func invalidParameter(_ module: String, _ key: String, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 18, message: "invalid value for parameter \(module).\(key): \(why)")
    }
}
