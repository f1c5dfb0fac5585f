public import CairnLedger

/// Errors of the market module (codespace `market`). Codes are stable; never renumber.
public enum MarketError {
    public static let codespace = "market"

    public static func invalidMessage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: why)
    }
}
