public import CairnPrimitives
public import CairnLedger

extension BankModule {
    /// For every denomination: the sum of all balances plus what was burned equals everything minted;
    /// and every balance record decodes to a positive amount (absent means zero, so none is negative).
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        var sums: [String: UInt128] = [:]
        let prefix = BankKeys.allBalancesPrefix
        for entry in try state.scan(prefix: prefix) {
            let rest = entry.key[(prefix.count + 21)...]
            let denom = String(decoding: rest, as: UTF8.self)
            guard let amount = try? BankKeys.decode(entry.value), amount > .zero else {
                violations.append("balance record \(entry.key.hexString) is not a positive amount")
                continue
            }
            let (s, o) = sums[denom, default: 0].addingReportingOverflow(amount.value)
            if o { violations.append("sum of \(denom) balances overflows") }
            sums[denom] = s
        }
        var denoms = Set(sums.keys)
        for entry in try state.scan(prefix: BankKeys.supplyPrefix) {
            denoms.insert(String(decoding: entry.key[BankKeys.supplyPrefix.count...], as: UTF8.self))
        }
        for denom in denoms.sorted() {
            let minted = try supply(denom, state: state).value
            let burnt = try burned(denom, state: state).value
            let held = sums[denom, default: 0]
            if held + burnt != minted {
                violations.append("\(denom): balances \(held) + burned \(burnt) != minted \(minted)")
            }
        }
        return violations
    }
}
