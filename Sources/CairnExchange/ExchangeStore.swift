import CairnPrimitives
import CairnLedger

/// Reads of the exchange's records over any state.
struct ExchangeReader {
    let state: any StateReader

    func pool(_ id: UInt64) throws(LedgerError) -> Pool? { try read(ExchangeKeys.pool(id), "pool \(id)") }

    func existingPool(_ id: UInt64) throws(LedgerError) -> Pool {
        guard let p = try pool(id) else { throw ExchangeError.unknownPool(id) }
        return p
    }

    /// The pool trading `a` against `b` (in either order).
    func poolID(_ a: String, _ b: String) throws(LedgerError) -> UInt64? {
        let (d0, d1) = Pool.order(a, b)
        guard let raw = try get(ExchangeKeys.pair(d0, d1), "pair \(d0)/\(d1)") else { return nil }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw ExchangeError.corrupt("pair \(d0)/\(d1)") }
        return id
    }

    func nextPoolID() throws(LedgerError) -> UInt64 {
        guard let raw = try get(ExchangeKeys.nextPool, "next pool id") else { return 1 }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw ExchangeError.corrupt("next pool id") }
        return id
    }

    /// Every pool, in id order.
    func pools() throws(LedgerError) -> [Pool] {
        try entries(ExchangeKeys.poolPrefix).map { (e) throws(LedgerError) -> Pool in try Self.decode(e.value, "pool \(e.key.hexString)") }
    }

    func observation(_ id: UInt64) throws(LedgerError) -> Observation? { try read(ExchangeKeys.observation(id), "observation \(id)") }

    func burned(_ cause: BuybackCause) throws(LedgerError) -> Amount { try amount(ExchangeKeys.burned(cause), "burned \(cause.rawValue)") ?? .zero }

    func treasuryMark() throws(LedgerError) -> Amount? { try amount(ExchangeKeys.treasuryMark, "treasury mark") }

    func amount(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> Amount? {
        guard let raw = try get(key, what()) else { return nil }
        guard raw.count == 16 else { throw ExchangeError.corrupt(what()) }
        var r = CanonicalReader(raw)
        do { return try r.readAmount() } catch { throw ExchangeError.corrupt(what()) }
    }

    func entries(_ prefix: [UInt8]) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw ExchangeError.corrupt("scan: \(error)") }
    }

    func get(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> [UInt8]? {
        do { return try state.get(key) } catch { throw ExchangeError.corrupt("\(what()): \(error)") }
    }

    func read<T: CanonicalCodable>(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T? {
        guard let raw = try get(key, what()) else { return nil }
        return try Self.decode(raw, what())
    }

    static func decode<T: CanonicalCodable>(_ raw: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T {
        do { return try T(canonicalBytes: raw) } catch { throw ExchangeError.corrupt("\(what()): \(error)") }
    }
}

/// Writes of the exchange's records.
struct ExchangeStore {
    let state: StateOverlay
    var read: ExchangeReader { ExchangeReader(state: state) }

    func write(_ pool: Pool) { state.set(ExchangeKeys.pool(pool.id), pool.canonicalBytes) }

    /// Stores a new pool under its id and indexes its pair.
    func create(_ pool: Pool) {
        write(pool)
        state.set(ExchangeKeys.pair(pool.denom0, pool.denom1), StateKey.bigEndian(pool.id))
        state.set(ExchangeKeys.nextPool, StateKey.bigEndian(pool.id + 1))
    }

    func write(_ observation: Observation, pool id: UInt64) { state.set(ExchangeKeys.observation(id), observation.canonicalBytes) }

    func setAmount(_ key: [UInt8], _ amount: Amount) {
        var w = CanonicalWriter()
        w.write(amount)
        state.set(key, w.bytes)
    }
}
