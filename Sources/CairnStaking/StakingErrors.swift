public import CairnLedger

/// Errors of the staking module (codespace `staking`). Codes are stable; never renumber.
public enum StakingError {
    public static let codespace = "staking"

    public static func unknownOperator(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "no operator \(what)")
    }
    public static func insufficientDelegation(have: String, need: String) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "delegation is \(have), cannot take \(need) from it")
    }
    public static func zeroAmount() -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "staking amounts must be greater than zero")
    }
    public static func overflow(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "arithmetic overflow in \(what)")
    }
    public static func operatorWithoutTokens(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "operator \(what) has shares but no tokens left (fully slashed); it takes no delegations")
    }
    public static func corrupt(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "corrupt staking record: \(what)")
    }
    /// A commission or slash fraction over 100%.
    public static func basisPointsAbove10000(_ what: String, _ bps: UInt32) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "\(what) of \(bps) basis points is above 10000")
    }
    public static func operatorExists(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "operator \(what) is already registered")
    }
    public static func invalidMessage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: why)
    }
    public static func invalidEvidence(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "invalid evidence: \(why)")
    }
    public static func cannotUnjail(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "cannot unjail: \(why)")
    }
    public static func selfBondTooLow(have: String, minimum: String) -> LedgerError {
        LedgerError(module: codespace, code: 12, message: "self-bond \(have) would be below the minimum \(minimum) (undelegate all of it to leave)")
    }
    public static func redelegationHop(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "stake redelegated to \(what) is still maturing and cannot be redelegated again")
    }
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 14, message: "invalid staking genesis: \(why)")
    }
}
