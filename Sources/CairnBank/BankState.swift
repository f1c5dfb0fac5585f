public import CairnPrimitives
public import CairnLedger

/// The bank's state, under the `bank/` prefix:
/// - `bank/bal/<address 20 bytes>/<denom>`: balance (16-byte big-endian amount; absent means zero)
/// - `bank/supply/<denom>`: everything ever minted (genesis and later emission)
/// - `bank/burned/<denom>`: everything burned (base fees)
public enum BankKeys {
    public static let module = "bank"

    public static func balance(_ address: Address, _ denom: String) -> [UInt8] {
        StateKey.make(prefix: allBalancesPrefix, address.bytes, denom)
    }

    public static func balancePrefix(_ address: Address) -> [UInt8] {
        StateKey.make(module, Array("bal".utf8), address.bytes) + [UInt8(ascii: "/")]
    }

    public static let allBalancesPrefix = StateKey.make(module, "bal") + [UInt8(ascii: "/")]

    public static func supply(_ denom: String) -> [UInt8] { StateKey.make(module, Array("supply".utf8), Array(denom.utf8)) }
    public static let supplyPrefix = StateKey.make(module, "supply") + [UInt8(ascii: "/")]
    public static func burned(_ denom: String) -> [UInt8] { StateKey.make(module, Array("burned".utf8), Array(denom.utf8)) }

    static func encode(_ a: Amount) -> [UInt8] {
        var w = CanonicalWriter()
        w.write(a)
        return w.bytes
    }

    static func decode(_ raw: [UInt8]?) throws -> Amount {
        guard let raw else { return .zero }
        var r = CanonicalReader(raw)
        let a = try r.readAmount()
        try r.expectEnd()
        return a
    }
}

/// Reads and writes balances; used by the handler, the fee hooks and genesis.
struct BankStore {
    let state: StateOverlay

    func balance(_ a: Address, _ denom: String) throws(LedgerError) -> Amount {
        do { return try BankKeys.decode(try state.get(BankKeys.balance(a, denom))) } catch {
            throw BankError.badCoins("corrupt balance record for \(a): \(error)")
        }
    }

    func setBalance(_ a: Address, _ denom: String, _ v: Amount) {
        let key = BankKeys.balance(a, denom)
        if v == .zero { state.delete(key) } else { state.set(key, BankKeys.encode(v)) }
    }

    func subtract(_ a: Address, _ coin: Coin) throws(LedgerError) {
        let have = try balance(a, coin.denom)
        guard let left = have.subtracting(coin.amount) else {
            throw BankError.insufficientFunds(coin.denom, have: have.description, need: coin.amount.description)
        }
        setBalance(a, coin.denom, left)
    }

    func add(_ a: Address, _ coin: Coin) throws(LedgerError) {
        guard let total = try balance(a, coin.denom).adding(coin.amount) else { throw BankError.overflow("balance of \(a)") }
        setBalance(a, coin.denom, total)
    }

    func addTo(_ key: [UInt8], _ amount: Amount) throws(LedgerError) {
        let current: Amount
        do { current = try BankKeys.decode(try state.get(key)) } catch { throw BankError.badCoins("corrupt record: \(error)") }
        guard let total = current.adding(amount) else { throw BankError.overflow("supply") }
        state.set(key, BankKeys.encode(total))
    }
}
