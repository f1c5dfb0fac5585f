public import CairnPrimitives
public import CairnLedger
public import CairnBank

/// What tests read about accounts between blocks: native balance and next nonce.
public struct AccountSnapshot: Sendable, Equatable {
    public var balances: [Address: Amount]
    public var nonces: [Address: UInt64]

    /// Reads `accounts` from `state`.
    public init(ledger: Ledger, state: any StateReader, accounts: [Address]) throws {
        var balances: [Address: Amount] = [:]
        var nonces: [Address: UInt64] = [:]
        for a in accounts {
            balances[a] = try ledger.feeBank.nativeBalance(of: a, state: state)
            nonces[a] = try ledger.nonce(of: a, state: state)
        }
        self.balances = balances
        self.nonces = nonces
    }

    public func balance(_ a: Address) -> Amount { balances[a] ?? .zero }
    public func nonce(_ a: Address) -> UInt64 { nonces[a] ?? 0 }
}

/// The ledger invariants tests check after every block; each returns a description per violation.
public enum LedgerAudit {
    /// The bank's own invariants (supply = balances + burned, positive records) plus a stricter decode of
    /// every balance record as exactly 16 bytes.
    public static func bankViolations(state: any StateReader) throws -> [String] {
        var violations = try BankModule().checkInvariants(state: state)
        for entry in try state.scan(prefix: BankKeys.allBalancesPrefix) {
            var r = CanonicalReader(entry.value)
            do {
                let amount = try r.readAmount()
                try r.expectEnd()
                if amount == .zero { violations.append("zero balance stored at \(entry.key.hexString)") }
            } catch {
                violations.append("balance record \(entry.key.hexString) does not decode: \(error)")
            }
        }
        return violations
    }

    /// Nonce violations between two snapshots: a nonce that went down, or that moved by other than
    /// the number of transactions the account got included (`included[address]`, absent meaning zero).
    public static func nonceViolations(before: AccountSnapshot, after: AccountSnapshot,
                                       included: [Address: UInt64]) -> [String] {
        var violations = [String]()
        for (a, old) in before.nonces {
            let new = after.nonce(a)
            if new < old { violations.append("nonce of \(a) went down from \(old) to \(new)") }
            let expected = old + included[a, default: 0]
            if new != expected { violations.append("nonce of \(a) is \(new), expected \(expected)") }
        }
        return violations
    }

    /// How many transactions each sender got included.
    public static func includedCounts(_ txs: [Transaction]) -> [Address: UInt64] {
        var counts: [Address: UInt64] = [:]
        for tx in txs { counts[tx.body.sender, default: 0] += 1 }
        return counts
    }
}
