public import CairnLedger

/// Errors of the models module (codespace `models`). Codes are stable; never renumber.
public enum ModelsError {
    public static let codespace = "models"

    public static func invalidMessage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: why)
    }
}
