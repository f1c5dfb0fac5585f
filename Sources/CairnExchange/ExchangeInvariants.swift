import CairnPrimitives
public import CairnLedger

extension ExchangeModule {
    /// Every pool decodes under its id and its pair; reserves are positive and within 2^112 - 1; the pools' account
    /// holds exactly the sum of the reserves of each denomination and nothing else; each pool's share supply equals its
    /// record's total, of which the locked account holds exactly the minimum; the buybacks' burned totals are within the
    /// bank's.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let reader = ExchangeReader(state: state)
        let next = try reader.nextPoolID()
        var reserves = [String: UInt128]()
        for entry in try state.scan(prefix: ExchangeKeys.poolPrefix) {
            guard let p = try? Pool(canonicalBytes: entry.value) else {
                violations.append("pool record \(entry.key.hexString) does not decode")
                continue
            }
            if entry.key != ExchangeKeys.pool(p.id) { violations.append("pool \(p.id) is stored under another id") }
            if p.id >= next { violations.append("pool \(p.id) is not below the next id \(next)") }
            if try reader.poolID(p.denom0, p.denom1) != p.id { violations.append("pool \(p.id): its pair does not index it") }
            if !Array(p.denom0.utf8).lexicographicallyPrecedes(Array(p.denom1.utf8)) { violations.append("pool \(p.id): denominations out of order") }
            if p.reserve0 == 0 || p.reserve1 == 0 { violations.append("pool \(p.id) has an empty reserve") }
            if p.reserve0 > PoolMath.maxReserve || p.reserve1 > PoolMath.maxReserve { violations.append("pool \(p.id): a reserve passes 2^112 - 1") }
            for (d, r) in [(p.denom0, p.reserve0), (p.denom1, p.reserve1)] {
                let (s, o) = reserves[d, default: 0].addingReportingOverflow(r)
                if o { violations.append("the reserves of \(d) overflow") }
                reserves[d] = s
            }
            let minted = try bank.supply(p.shareDenom, state: state).value
            let burnt = try bank.burned(p.shareDenom, state: state).value
            if minted &- burnt != p.totalShares {
                violations.append("pool \(p.id): \(p.shareDenom) in existence \(minted &- burnt), the record says \(p.totalShares)")
            }
            let locked = try bank.balance(of: ExchangeAccounts.locked, denom: p.shareDenom, state: state).value
            if locked != PoolMath.minimumLiquidity { violations.append("pool \(p.id): \(locked) shares locked, not \(PoolMath.minimumLiquidity)") }
            if p.totalShares < PoolMath.minimumLiquidity { violations.append("pool \(p.id): fewer shares than the locked minimum") }
        }
        var held = [String: UInt128]()
        for coin in try bank.balances(of: ExchangeAccounts.pools, state: state) { held[coin.denom] = coin.amount.value }
        for denom in Set(reserves.keys).union(held.keys).sorted() where reserves[denom, default: 0] != held[denom, default: 0] {
            violations.append("\(denom): the pools' account holds \(held[denom, default: 0]), the reserves sum to \(reserves[denom, default: 0])")
        }
        var byCause: UInt128 = 0
        for cause in BuybackCause.allCases { byCause &+= try reader.burned(cause).value }
        if byCause > (try bank.burned(Denom.native, state: state)).value { violations.append("the buybacks burned more than the bank recorded") }
        return violations
    }
}
