public import CairnLedger

/// Errors of the governance module (codespace `gov`). Codes are stable; never renumber.
public enum GovError {
    public static let codespace = "gov"

    public static func unknownProposal(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "no proposal with id \(id)")
    }
    public static func invalidProposal(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "invalid proposal: \(why)")
    }
    /// A parameter change that the dry run at submission refused; `index` counts from 1.
    public static func invalidParameterChange(_ index: Int, _ module: String, _ key: String, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "change \(index) (\(module).\(key)): \(why)")
    }
    public static func zeroAmount(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "\(what) must be greater than zero")
    }
    public static func depositPeriodOver(_ id: UInt64, status: ProposalStatus) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "proposal \(id) takes no deposits: it is \(status.phrase)")
    }
    public static func votingNotStarted(_ id: UInt64, depositEnd: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 6, message:
            "voting on proposal \(id) has not begun: it is in its deposit period (until height \(depositEnd))")
    }
    public static func votingEnded(_ id: UInt64, endedAt: UInt64?, status: ProposalStatus) -> LedgerError {
        let when = endedAt.map { " at height \($0)" } ?? ""
        return LedgerError(module: codespace, code: 7, message: "voting on proposal \(id) ended\(when): it is \(status.phrase)")
    }
    public static func overflow(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "arithmetic overflow in \(what)")
    }
    public static func corruptRecord(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "corrupt record: \(what)")
    }
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "invalid gov genesis: \(why)")
    }
    public static func readFailed(_ what: String, _ error: any Error) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "cannot read \(what): \(error)")
    }
}
