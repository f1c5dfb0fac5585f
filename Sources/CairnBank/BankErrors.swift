public import CairnLedger
public import CairnPrimitives

/// Errors of the bank module (codespace `bank`). Codes are stable; never renumber.
public enum BankError {
    public static let codespace = "bank"

    public static func insufficientFunds(_ denom: String, have: String, need: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "insufficient \(denom): balance \(have), needed \(need)")
    }
    public static func invalidDenom(_ denom: String) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "'\(denom)' is not a valid denomination")
    }
    public static func zeroAmount() -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "amounts must be greater than zero")
    }
    public static func overflow(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "amount overflow in \(what)")
    }
    public static func badCoins(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: why)
    }
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "invalid bank genesis: \(why)")
    }
    public static func blockedRecipient(_ a: Address) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "\(a) is a module account that only its module pays into")
    }
}
