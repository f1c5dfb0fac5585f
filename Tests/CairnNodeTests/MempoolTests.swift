import Testing
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnNode
import CairnTestSupport

/// The mempool as a pure state machine: admission rules, replacement, eviction and block selection.
@Suite struct MempoolTests {
    static let alice = DevAccount("alice")
    static let bob = DevAccount("bob")
    static let carol = DevAccount("carol")
    static let dave = DevAccount("dave")
    static let sink = DevAccount("sink").address
    static let rich: Amount = 1_000_000_000_000

    static let ledger = TestGenesis.makeLedger()

    /// A transfer of 1 ucairn, checked as the node checks a submission; its fee reserve is `maxFee * gas`
    /// (20 * 50,000 = 1,000,000 by default).
    static func tx(_ from: DevAccount, nonce: UInt64, tip: Amount, maxFee: Amount = 20, gas: UInt64 = 50_000,
                   amount: Amount = 1) -> CheckedTransaction {
        ledger.check(from.send(amount, to: sink, nonce: nonce, gasLimit: gas, maxFee: maxFee, tip: tip))
    }

    /// Inserts `tx` against a rich account with committed nonce `nonce`, expecting acceptance.
    static func admit(_ pool: inout Mempool, _ tx: CheckedTransaction, committed nonce: UInt64 = 0,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        let rejection = pool.insert(tx, nonce: nonce, balance: rich)
        #expect(rejection == nil, "unexpected rejection \(rejection.map(\.code.rawValue) ?? "")", sourceLocation: sourceLocation)
    }

    static func senders(_ txs: [CheckedTransaction]) -> [Address] { txs.map(\.body.sender) }

    @Test func selectionOrdersByTipThenArrival() {
        var pool = Mempool()
        Self.admit(&pool, Self.tx(Self.alice, nonce: 0, tip: 1))
        Self.admit(&pool, Self.tx(Self.bob, nonce: 0, tip: 5))
        Self.admit(&pool, Self.tx(Self.carol, nonce: 0, tip: 5))
        Self.admit(&pool, Self.tx(Self.dave, nonce: 0, tip: 3))
        let picked = pool.select(gasLimit: .max)
        #expect(Self.senders(picked) == [Self.bob.address, Self.carol.address, Self.dave.address, Self.alice.address])
    }

    @Test func aSendersTransactionsLeaveInNonceOrderEvenWhenALaterNonceTipsMore() {
        var pool = Mempool()
        Self.admit(&pool, Self.tx(Self.alice, nonce: 0, tip: 1))
        Self.admit(&pool, Self.tx(Self.alice, nonce: 1, tip: 10))
        Self.admit(&pool, Self.tx(Self.alice, nonce: 2, tip: 1))
        Self.admit(&pool, Self.tx(Self.bob, nonce: 0, tip: 5))
        let picked = pool.select(gasLimit: .max)
        #expect(picked.count == 4)
        let aliceNonces = picked.filter { $0.body.sender == Self.alice.address }.map(\.body.nonce)
        #expect(aliceNonces == [0, 1, 2])
        #expect(picked.first?.body.sender == Self.bob.address, "bob's tip 5 beats alice's first transaction (tip 1)")
    }

    @Test func aNonceGapIsRejected() {
        var pool = Mempool()
        let gap = Self.tx(Self.alice, nonce: 1, tip: 1)
        let rejection = pool.insert(gap, nonce: 0, balance: Self.rich)
        #expect(rejection == .nonceGap(got: 1, expected: 0))
        #expect(rejection?.code == .nonceGap)
        #expect(pool.count == 0)

        Self.admit(&pool, Self.tx(Self.alice, nonce: 0, tip: 1))
        let skip = Self.tx(Self.alice, nonce: 2, tip: 1)
        #expect(pool.insert(skip, nonce: 0, balance: Self.rich) == .nonceGap(got: 2, expected: 1))
    }

    @Test func aNonceBelowTheCommittedNonceIsRejected() {
        var pool = Mempool()
        let stale = Self.tx(Self.alice, nonce: 4, tip: 1)
        let rejection = pool.insert(stale, nonce: 5, balance: Self.rich)
        #expect(rejection == .nonceTooLow(got: 4, expected: 5))
        #expect(rejection?.code == .nonceTooLow)
        #expect(pool.count == 0)
    }

    @Test func theSameTransactionTwiceIsADuplicate() {
        var pool = Mempool()
        let tx = Self.tx(Self.alice, nonce: 0, tip: 1)
        Self.admit(&pool, tx)
        #expect(pool.insert(tx, nonce: 0, balance: Self.rich) == .duplicate)
        #expect(pool.count == 1)
    }

    struct Replacement: Sendable, CustomTestStringConvertible {
        let tip: Amount
        let maxFee: Amount
        let accepted: Bool
        var testDescription: String { "tip \(tip), max fee \(maxFee) over tip 2, max fee 20: \(accepted ? "replaces" : "rejected")" }
    }

    @Test(arguments: [
        Replacement(tip: 3, maxFee: 20, accepted: true),
        Replacement(tip: 3, maxFee: 25, accepted: true),
        Replacement(tip: 2, maxFee: 20, accepted: false),
        Replacement(tip: 2, maxFee: 30, accepted: false),
        Replacement(tip: 1, maxFee: 20, accepted: false),
        Replacement(tip: 3, maxFee: 19, accepted: false),
    ])
    func aSameNonceReplacementMustRaiseTheTip(_ r: Replacement) {
        var pool = Mempool()
        let original = Self.tx(Self.alice, nonce: 0, tip: 2, maxFee: 20)
        Self.admit(&pool, original)
        // Another amount, so the replacement is a different transaction even at the same prices.
        let replacement = Self.tx(Self.alice, nonce: 0, tip: r.tip, maxFee: r.maxFee, amount: 2)
        let rejection = pool.insert(replacement, nonce: 0, balance: Self.rich)
        #expect(pool.count == 1)
        if r.accepted {
            #expect(rejection == nil)
            #expect(pool.contains(replacement.hash))
            #expect(!pool.contains(original.hash))
            #expect(pool.select(gasLimit: .max) == [replacement])
        } else {
            #expect(rejection == .underpricedReplacement)
            #expect(rejection?.code == .underpricedReplacement)
            #expect(pool.contains(original.hash))
            #expect(pool.select(gasLimit: .max) == [original])
        }
    }

    @Test func aFullPoolEvictsTheLowestTipForAHigherOne() {
        var pool = Mempool(capacity: 3)
        let a = Self.tx(Self.alice, nonce: 0, tip: 2)
        let b = Self.tx(Self.bob, nonce: 0, tip: 1)
        let c = Self.tx(Self.carol, nonce: 0, tip: 3)
        for t in [a, b, c] { Self.admit(&pool, t) }
        let d = Self.tx(Self.dave, nonce: 0, tip: 4)
        #expect(pool.insert(d, nonce: 0, balance: Self.rich) == nil)
        #expect(pool.count == 3)
        #expect(!pool.contains(b.hash), "the tip-1 transaction is the one evicted")
        #expect(pool.contains(a.hash) && pool.contains(c.hash) && pool.contains(d.hash))
    }

    @Test(arguments: [Amount(1), Amount(0)])
    func aFullPoolRefusesATipNotAboveTheLowest(tip: Amount) {
        var pool = Mempool(capacity: 3)
        for (account, t) in [(Self.alice, Amount(2)), (Self.bob, Amount(1)), (Self.carol, Amount(3))] {
            Self.admit(&pool, Self.tx(account, nonce: 0, tip: t))
        }
        let d = Self.tx(Self.dave, nonce: 0, tip: tip)
        let rejection = pool.insert(d, nonce: 0, balance: Self.rich)
        #expect(rejection == .full)
        #expect(rejection?.code == .full)
        #expect(pool.count == 3)
    }

    /// Evicting the sender's own queued transaction to make room for its next nonce would leave that
    /// next nonce pending behind a gap.
    @Test func evictionNeverLeavesAGapInTheArrivingSendersQueue() {
        var pool = Mempool(capacity: 2)
        let a0 = Self.tx(Self.alice, nonce: 0, tip: 1)
        Self.admit(&pool, a0)
        Self.admit(&pool, Self.tx(Self.bob, nonce: 0, tip: 5))
        let a1 = Self.tx(Self.alice, nonce: 1, tip: 10)
        let rejection = pool.insert(a1, nonce: 0, balance: Self.rich)
        #expect(pool.count <= 2)
        if rejection == nil {
            #expect(pool.contains(a0.hash), "alice's nonce 1 is pending, so her nonce 0 must be too")
        }
        let aliceNonces = pool.select(gasLimit: .max).filter { $0.body.sender == Self.alice.address }.map(\.body.nonce)
        #expect(aliceNonces == Array(0..<UInt64(aliceNonces.count)), "pending nonces start at the committed one, without gaps")
    }

    @Test func insufficientBalanceForTheSummedMaximumFeesIsRejected() {
        var pool = Mempool()
        let balance: Amount = 1_999_999 // one reserve of 1,000,000 fits, two do not
        let first = Self.tx(Self.alice, nonce: 0, tip: 1)
        #expect(pool.insert(first, nonce: 0, balance: balance) == nil)
        let second = Self.tx(Self.alice, nonce: 1, tip: 1)
        let rejection = pool.insert(second, nonce: 0, balance: balance)
        #expect(rejection == .insufficientBalance(needed: 2_000_000, available: balance))
        #expect(rejection?.code == .insufficientBalance)
        #expect(pool.count == 1)
    }

    @Test func aReplacementIsChargedOnlyItsOwnReserve() {
        var pool = Mempool()
        let balance: Amount = 1_500_000
        let original = Self.tx(Self.alice, nonce: 0, tip: 1)
        #expect(pool.insert(original, nonce: 0, balance: balance) == nil)
        let replacement = Self.tx(Self.alice, nonce: 0, tip: 2)
        #expect(pool.insert(replacement, nonce: 0, balance: balance) == nil)
    }

    @Test(arguments: [
        (UInt64(49_999), 0), (50_000, 1), (99_999, 1), (100_000, 2), (149_999, 2), (150_000, 3), (.max, 3),
    ])
    func selectionStopsAtTheGasLimit(gasLimit: UInt64, expected: Int) {
        var pool = Mempool()
        Self.admit(&pool, Self.tx(Self.alice, nonce: 0, tip: 3))
        Self.admit(&pool, Self.tx(Self.bob, nonce: 0, tip: 2))
        Self.admit(&pool, Self.tx(Self.carol, nonce: 0, tip: 1))
        let picked = pool.select(gasLimit: gasLimit)
        #expect(picked.count == expected)
        #expect(picked.reduce(0) { $0 + $1.body.gasLimit } <= gasLimit)
        #expect(Self.senders(picked) == Array([Self.alice.address, Self.bob.address, Self.carol.address].prefix(expected)))
    }

    @Test func aSmallerTransactionStillFitsAfterALargerOneDoesNot() {
        var pool = Mempool()
        Self.admit(&pool, Self.tx(Self.alice, nonce: 0, tip: 3, gas: 80_000))
        Self.admit(&pool, Self.tx(Self.bob, nonce: 0, tip: 2, gas: 30_000))
        let picked = pool.select(gasLimit: 50_000)
        #expect(Self.senders(picked) == [Self.bob.address])
    }

    @Test func pruneDropsTransactionsBelowTheCommittedNonce() {
        var pool = Mempool()
        let txs = (0..<3).map { Self.tx(Self.alice, nonce: $0, tip: 1) }
        for t in txs { Self.admit(&pool, t) }
        pool.prune(sender: Self.alice.address, committedNonce: 2)
        #expect(pool.count == 1)
        #expect(!pool.contains(txs[0].hash) && !pool.contains(txs[1].hash) && pool.contains(txs[2].hash))
        // The queue continues from the remaining nonce.
        Self.admit(&pool, Self.tx(Self.alice, nonce: 3, tip: 1), committed: 2)
        #expect(pool.select(gasLimit: .max).map(\.body.nonce) == [2, 3])
    }
}
