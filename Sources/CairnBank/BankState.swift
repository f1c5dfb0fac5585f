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

/// Reads and writes balances; used by the handler, the fee hooks and genesis. Every balance change goes
/// through `change`, which tells the observers of the denomination first.
struct BankStore {
    let state: StateOverlay
    let observers: [any BalanceObserver]

    init(state: StateOverlay, observers: [any BalanceObserver] = []) {
        self.state = state
        self.observers = observers
    }

    func balance(_ a: Address, _ denom: String) throws(LedgerError) -> Amount {
        do { return try BankKeys.decode(try state.get(BankKeys.balance(a, denom))) } catch {
            throw BankError.badCoins("corrupt balance record for \(a): \(error)")
        }
    }

    /// Sets `a`'s balance of `denom` from `current` to `next`, after the denomination's observers have seen it.
    func change(_ a: Address, _ denom: String, from current: Amount, to next: Amount) throws(LedgerError) {
        for observer in observers where observer.observes(denom: denom) {
            try observer.willChangeBalance(of: a, denom: denom, from: current, to: next, state: state)
        }
        let key = BankKeys.balance(a, denom)
        if next == .zero { state.delete(key) } else { state.set(key, BankKeys.encode(next)) }
    }

    func subtract(_ a: Address, _ coin: Coin) throws(LedgerError) {
        let have = try balance(a, coin.denom)
        guard let left = have.subtracting(coin.amount) else {
            throw BankError.insufficientFunds(coin.denom, have: have.description, need: coin.amount.description)
        }
        try change(a, coin.denom, from: have, to: left)
    }

    func add(_ a: Address, _ coin: Coin) throws(LedgerError) {
        let have = try balance(a, coin.denom)
        guard let total = have.adding(coin.amount) else { throw BankError.overflow("balance of \(a)") }
        try change(a, coin.denom, from: have, to: total)
    }

    func addTo(_ key: [UInt8], _ amount: Amount) throws(LedgerError) {
        let current: Amount
        do { current = try BankKeys.decode(try state.get(key)) } catch { throw BankError.badCoins("corrupt record: \(error)") }
        guard let total = current.adding(amount) else { throw BankError.overflow("supply") }
        state.set(key, BankKeys.encode(total))
    }
}
