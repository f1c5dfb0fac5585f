public import CairnLedger

/// Errors of the exchange (codespace `exchange`). Codes are stable; never renumber.
public enum ExchangeError {
    public static let codespace = "exchange"

    public static func unknownPool(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: "no pool with id \(id)")
    }
    public static func invalidDenom(_ denom: String, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "denomination '\(denom)' \(why)")
    }
    public static func poolExists(_ id: UInt64, _ d0: String, _ d1: String) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "pool \(id) already trades \(d0) against \(d1)")
    }
    public static func zeroAmount(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "\(what) must be greater than zero")
    }
    public static func deadlinePassed(_ deadline: UInt64, height: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "the deadline height \(deadline) has passed (this block is \(height))")
    }
    public static func slippage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "slippage limit: \(why)")
    }
    public static func insufficientLiquidity(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "insufficient liquidity: \(why)")
    }
    public static func tooLarge(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "amount too large: \(why)")
    }
    public static func invariant(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "constant-product check failed: \(why)")
    }
    public static func corrupt(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "corrupt record: \(what)")
    }
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "invalid exchange genesis: \(why)")
    }

    /// The ledger error for a failure of the pool arithmetic in `what`.
    static func from(_ f: PoolMath.Failure, _ what: String) -> LedgerError {
        switch f {
        case .insufficientInput: slippage("\(what): the input is zero or below what the limits allow")
        case .insufficientOutput: slippage("\(what): the output is below the minimum asked for")
        case .insufficientLiquidity: insufficientLiquidity("\(what): the pool cannot pay that much out")
        case .insufficientLiquidityMinted: insufficientLiquidity("\(what): the deposit would mint no shares or fewer than the minimum")
        case .insufficientLiquidityBurned: insufficientLiquidity("\(what): the shares would pay out nothing of one side, or more shares than exist")
        case .overflow: tooLarge("\(what): a reserve would pass 2^112 - 1")
        case .kDecreased: invariant(what)
        }
    }
}
