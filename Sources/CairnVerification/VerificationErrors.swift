public import CairnPrimitives
public import CairnLedger

/// Errors of the verification module (codespace `verification`). Codes are stable; never renumber.
public enum VerificationError {
    public static let codespace = "verification"

    public static func notVerifier(_ a: Address) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "\(a) is not a registered verifier")
    }
    public static func bondTooSmall(_ what: String, _ amount: Amount, minimum: Amount) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "\(what) of \(amount) ucairn is below the minimum of \(minimum) ucairn")
    }
    public static func verifierBusy(_ a: Address, committees: UInt32) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "verifier \(a) sits on \(committees) undecided committee(s) and cannot leave yet")
    }
    public static func badReceipt(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "the receipt cannot be challenged: \(why)")
    }
    public static func alreadyChallenged(_ receipt: Hash, by id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "receipt \(receipt.hex) is already challenged by challenge \(id)")
    }
    public static func notEnoughVerifiers(_ eligible: Int, needed: UInt32) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "\(eligible) verifier(s) can sit on this challenge's committee; \(needed) are needed")
    }
    public static func unknownChallenge(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "no challenge with id \(id)")
    }
    public static func notOnCommittee(_ a: Address, _ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "\(a) does not sit on the committee of challenge \(id)")
    }
    public static func wrongPhase(_ id: UInt64, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "challenge \(id): \(why)")
    }
    public static func commitmentMismatch(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "challenge \(id): the verdict and salt do not match the commitment")
    }
    public static func invalidMessage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: why)
    }
    public static func alreadyReported(_ receipt: Hash) -> LedgerError {
        LedgerError(module: codespace, code: 12, message: "a check of receipt \(receipt.hex) was already reported")
    }
    public static func corrupt(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "corrupt record: \(what)")
    }
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 14, message: "invalid verification genesis: \(why)")
    }
    public static func badEvidence(_ id: UInt64, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 15, message: "challenge \(id): \(why)")
    }
}
