import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp

/// Number formatting for the outputs: fixed rules, so the same figures always give the same bytes.
public enum SimFormat {
    /// An integer-valued number without decimals, others with up to 6 significant digits.
    public static func number(_ v: Double) -> String {
        if !v.isFinite { return "0" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }

    /// `v` with `places` decimals.
    public static func fixed(_ v: Double, _ places: Int) -> String {
        String(format: "%.\(places)f", v.isFinite ? v : 0)
    }
}
