public import CairnPrimitives
public import CairnLedger

/// Pending transactions: ordered by tip then arrival, each sender's in nonce order, bounded.
///
/// A pure state machine; the node owns it and feeds it the sender's committed nonce and balance.
public struct Mempool: Sendable {
    public struct Entry: Sendable {
        public let tx: CheckedTransaction
        public var hash: Hash { tx.hash }
        public let arrival: UInt64
        public let reserve: Amount
        var tip: Amount { tx.body.maxPriorityFeePerGas }
    }

    /// Most transactions held.
    public let capacity: Int
    /// Most pending transactions of one sender.
    public let perSenderLimit: Int
    var bySender: [Address: [UInt64: Entry]] = [:]
    var byHash: [Hash: Address] = [:]
    var nextArrival: UInt64 = 0

    public init(capacity: Int = 20_000, perSenderLimit: Int = 1_000) {
        self.capacity = capacity
        self.perSenderLimit = perSenderLimit
    }

    public var count: Int { byHash.count }

    public func contains(_ hash: Hash) -> Bool { byHash[hash] != nil }

    /// Admits `tx` (already checked statelessly, signature included) against the sender's committed
    /// `nonce` and native `balance`.
    public mutating func insert(_ tx: CheckedTransaction, nonce committed: UInt64, balance: Amount) -> MempoolRejection? {
        let hash = tx.hash
        let sender = tx.body.sender
        let body = tx.body
        guard byHash[hash] == nil else { return .duplicate }
        guard body.nonce >= committed else { return .nonceTooLow(got: body.nonce, expected: committed) }
        var queue = bySender[sender, default: [:]]
        let replacing = queue[body.nonce]
        let nextFree = committed + UInt64(queue.count)
        if replacing == nil, body.nonce != nextFree { return .nonceGap(got: body.nonce, expected: nextFree) }
        if let old = replacing {
            guard body.maxPriorityFeePerGas > old.tx.body.maxPriorityFeePerGas, body.maxFeePerGas >= old.tx.body.maxFeePerGas else {
                return .underpricedReplacement
            }
        }
        guard replacing != nil || queue.count < perSenderLimit else { return .senderLimit(perSenderLimit) }
        let reserve = body.maxFeePerGas.multiplied(by: UInt128(body.gasLimit)) ?? Amount(.max)
        var pendingReserve = queue.values.reduce(UInt128(0)) { $0 &+ $1.reserve.value } &+ reserve.value
        if let old = replacing { pendingReserve &-= old.reserve.value }
        guard pendingReserve <= balance.value else { return .insufficientBalance(needed: Amount(pendingReserve), available: balance) }
        if replacing == nil, count >= capacity {
            // Never the sender's own last transaction: the arriving one needs it, evicting it would leave a gap.
            guard let victim = lowestEvictable(excluding: sender), victim.tip < body.maxPriorityFeePerGas else { return .full }
            remove(victim.hash)
            queue = bySender[sender, default: [:]]
        }
        if let old = replacing { byHash[old.hash] = nil }
        queue[body.nonce] = Entry(tx: tx, arrival: nextArrival, reserve: reserve)
        nextArrival += 1
        bySender[sender] = queue
        byHash[hash] = sender
        return nil
    }

    /// The lowest-tip transaction that is the last of its sender's queue (evicting it leaves no gap),
    /// among senders other than `excluded`.
    func lowestEvictable(excluding excluded: Address) -> Entry? {
        var worst: Entry? = nil
        for (sender, queue) in bySender where sender != excluded {
            guard let last = queue.values.max(by: { $0.tx.body.nonce < $1.tx.body.nonce }) else { continue }
            if worst == nil || last.tip < worst!.tip || (last.tip == worst!.tip && last.arrival > worst!.arrival) { worst = last }
        }
        return worst
    }

    /// Removes one transaction by hash.
    public mutating func remove(_ hash: Hash) {
        guard let sender = byHash.removeValue(forKey: hash) else { return }
        bySender[sender] = bySender[sender]?.filter { $0.value.hash != hash }
        if bySender[sender]?.isEmpty == true { bySender[sender] = nil }
    }

    /// Drops every transaction of `sender` below its committed `nonce` (included or made stale by a block).
    public mutating func prune(sender: Address, committedNonce nonce: UInt64) {
        guard let queue = bySender[sender] else { return }
        for (n, e) in queue where n < nonce { byHash[e.hash] = nil }
        let kept = queue.filter { $0.key >= nonce }
        bySender[sender] = kept.isEmpty ? nil : kept
    }

    /// Transactions for the next block: highest tip first (then earliest arrival), each sender's in
    /// nonce order, until `gasLimit` is used up.
    public func select(gasLimit: UInt64, maxCount: Int = .max) -> [CheckedTransaction] {
        let all = bySender.values.flatMap(\.values).sorted {
            $0.tip != $1.tip ? $0.tip > $1.tip : $0.arrival < $1.arrival
        }
        var firstNonce: [Address: UInt64] = [:]
        for (sender, q) in bySender { firstNonce[sender] = q.keys.min() }
        var out = [CheckedTransaction]()
        var gas: UInt64 = 0
        var next = firstNonce
        var waiting: [Address: [UInt64: Entry]] = [:]
        func take(_ e: Entry) -> Bool {
            guard e.tx.body.gasLimit <= gasLimit - gas, out.count < maxCount else { return false }
            out.append(e.tx)
            gas += e.tx.body.gasLimit
            return true
        }
        for e in all {
            let sender = e.tx.body.sender
            if e.tx.body.nonce != next[sender] {
                waiting[sender, default: [:]][e.tx.body.nonce] = e
                continue
            }
            guard take(e) else { continue }
            var n = e.tx.body.nonce + 1
            while let w = waiting[sender]?[n], take(w) { n += 1 }
            next[sender] = n
        }
        return out
    }
}

/// Why the mempool refused a transaction.
public enum MempoolRejection: Sendable, Equatable {
    case duplicate
    case nonceTooLow(got: UInt64, expected: UInt64)
    case nonceGap(got: UInt64, expected: UInt64)
    case underpricedReplacement
    case senderLimit(Int)
    case insufficientBalance(needed: Amount, available: Amount)
    case full

    /// The mempool's stable codes, answered by the API; never change a raw value.
    public enum Code: String, Sendable, CaseIterable {
        case duplicate = "mempool_duplicate"
        case nonceTooLow = "nonce_too_low"
        case nonceGap = "nonce_gap"
        case underpricedReplacement = "replacement_underpriced"
        case senderLimit = "sender_limit"
        case insufficientBalance = "insufficient_balance"
        case full = "mempool_full"
    }

    /// This rejection's stable code.
    public var code: Code {
        switch self {
        case .duplicate: .duplicate
        case .nonceTooLow: .nonceTooLow
        case .nonceGap: .nonceGap
        case .underpricedReplacement: .underpricedReplacement
        case .senderLimit: .senderLimit
        case .insufficientBalance: .insufficientBalance
        case .full: .full
        }
    }

    public var message: String {
        switch self {
        case .duplicate: "transaction is already in the mempool"
        case let .nonceTooLow(got, expected): "nonce \(got) was already used; the account's next nonce is \(expected)"
        case let .nonceGap(got, expected): "nonce \(got) leaves a gap; the next acceptable nonce is \(expected)"
        case .underpricedReplacement: "a transaction with this nonce is pending; a replacement must raise the tip and not lower the max fee"
        case let .senderLimit(n): "the sender already has \(n) pending transactions"
        case let .insufficientBalance(needed, available): "balance \(available)ucairn cannot cover the pending maximum fees \(needed)ucairn"
        case .full: "the mempool is full and this transaction's tip is not above the lowest pending tip"
        }
    }
}
