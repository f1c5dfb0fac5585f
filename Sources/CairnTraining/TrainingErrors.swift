public import CairnLedger

/// Errors of the training module (codespace `train`). Codes are stable; never renumber.
public enum TrainingError {
    public static let codespace = "train"

    public static func unknownJob(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "no training job with id \(id)")
    }
    public static func invalidJob(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "invalid training job: \(why)")
    }
    public static func invalidJoin(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "cannot join: \(why)")
    }
    public static func notParticipant(_ job: UInt64, _ who: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "\(who) is not a participant of job \(job)")
    }
    public static func wrongPhase(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "not now: \(why)")
    }
    public static func wrongRound(_ job: UInt64, got: UInt32, expected: UInt32) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "job \(job) is in round \(expected), not round \(got)")
    }
    public static func duplicate(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "already done: \(what)")
    }
    public static func badVector(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "bad update: \(why)")
    }
    public static func invalidShares(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "bad shares: \(why)")
    }
    public static func unknownModel(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "no registered model with id \(id) to train over")
    }
    public static func corrupt(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "corrupt record: \(what)")
    }
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 12, message: "invalid training genesis: \(why)")
    }
    public static func invalidTestSet(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "test set: \(why)")
    }
}
