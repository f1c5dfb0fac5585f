public import CairnPrimitives
public import CairnLedger

/// Errors of the models module (codespace `models`). Codes are stable; never renumber.
public enum ModelsError {
    public static let codespace = "models"

    /// A malformed message (name, architecture, licence, royalty above 10000, share count).
    public static func invalidMessage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: why)
    }
    /// No model has this id.
    public static func unknownModel(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "no model \(id)")
    }
    /// Another model already has this name.
    public static func nameTaken(_ name: String, by id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "the name '\(name)' is already model \(id)'s")
    }
    /// Another model already has these weights.
    public static func weightsTaken(_ hash: Hash, by id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "weights \(hash) are already registered as model \(id)")
    }
    /// The royalty is above the `maxRoyaltyBps` parameter.
    public static func royaltyAboveCap(_ bps: UInt32, cap: UInt32) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "royalty of \(bps) basis points is above the cap of \(cap)")
    }
    /// Only the model's owner may do this.
    public static func notOwner(_ id: UInt64, _ signer: Address) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "\(signer) does not own model \(id)")
    }
    /// Shares of the model were issued already (they are issued once).
    public static func sharesAlreadyIssued(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "shares of model \(id) were already issued")
    }
    /// The model has no shares, so it has no royalties to claim (they go to its owner directly).
    public static func noShares(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "model \(id) has no shares; its royalties are paid to its owner directly")
    }
    /// The signer has no whole unit of royalty to claim.
    public static func nothingToClaim(_ id: UInt64, _ holder: Address) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "\(holder) has no royalties of model \(id) to claim")
    }
    /// Arithmetic overflow.
    public static func overflow(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "arithmetic overflow in \(what)")
    }
    /// A stored record does not decode.
    public static func corrupt(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "corrupt models record: \(what)")
    }
    /// The genesis section is invalid.
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 12, message: "invalid models genesis: \(why)")
    }
    /// Royalties are paid in the native denomination only.
    public static func royaltyDenom(_ denom: String) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "royalties are paid in \(Denom.native), not \(denom)")
    }
    /// A `model/...` denomination that is not the shares of an issued model; no balance of it may exist.
    public static func notShares(_ denom: String) -> LedgerError {
        LedgerError(module: codespace, code: 14, message: "'\(denom)' is not the share denomination of a model with issued shares")
    }
    /// A module account cannot own a model: the royalties paid to it would break its module's accounting.
    public static func moduleAccountOwner(_ a: Address) -> LedgerError {
        LedgerError(module: codespace, code: 15, message: "\(a) is a module account and cannot own a model")
    }
}
