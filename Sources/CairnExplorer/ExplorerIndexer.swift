public import CairnPrimitives
import CairnLedger
import CairnBank
import CairnMarket
import CairnModels
import CairnGovernance
import CairnExchange
import CairnStorage
public import CairnChain
import Foundation
import Synchronization

/// One block's figures in the explorer's index, with running totals from genesis up to and including it.
///
/// Burns are counted from what the ledger reports: the base fee each receipt burned plus every `bank.burn` of
/// ucairn (slashes, burned deposits, the market's burn); emission is every `bank.mint` of ucairn.
public struct BlockStats: Sendable, Equatable, CanonicalCodable {
    /// The block time, Unix milliseconds.
    public var time: UInt64
    public var transactions: UInt32
    public var failed: UInt32
    public var gasUsed: UInt64
    public var baseFee: Amount
    public var proposer: Address
    /// Base fees burned by this block's transactions.
    public var feesBurned: Amount
    public var tips: Amount
    public var minted: Amount
    /// Everything burned: base fees and `bank.burn` events.
    public var burned: Amount
    /// Payment-channel claims: how many, and what they paid (before the protocol fee and royalties).
    public var claims: UInt32
    public var paid: Amount
    public var royalties: Amount
    public var protocolFees: Amount
    /// What the claims paid for: tokens and requests served (the increase in the claimed vouchers' usage).
    public var tokens: UInt64
    public var requests: UInt64

    /// Totals from genesis to this block, included.
    public var totalTransactions: UInt64
    public var totalClaims: UInt64
    public var totalPaid: Amount
    public var totalRoyalties: Amount
    public var totalMinted: Amount
    public var totalBurned: Amount
    public var totalTokens: UInt64
    public var totalRequests: UInt64

    /// The encoding's version; an index written with another is rebuilt.
    static let version: UInt8 = 2

    public func encode(to w: inout CanonicalWriter) {
        w.write(Self.version)
        w.write(time)
        w.write(transactions)
        w.write(failed)
        w.write(gasUsed)
        w.write(baseFee)
        w.write(proposer)
        w.write(feesBurned)
        w.write(tips)
        w.write(minted)
        w.write(burned)
        w.write(claims)
        w.write(paid)
        w.write(royalties)
        w.write(protocolFees)
        w.write(totalTransactions)
        w.write(totalClaims)
        w.write(totalPaid)
        w.write(totalRoyalties)
        w.write(totalMinted)
        w.write(totalBurned)
        w.write(tokens)
        w.write(requests)
        w.write(totalTokens)
        w.write(totalRequests)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        let version = try r.readUInt8()
        guard version == Self.version else { throw DecodeError("unknown block-stats version \(version)") }
        time = try r.readUInt64()
        transactions = try r.readUInt32()
        failed = try r.readUInt32()
        gasUsed = try r.readUInt64()
        baseFee = try r.readAmount()
        proposer = try r.readAddress()
        feesBurned = try r.readAmount()
        tips = try r.readAmount()
        minted = try r.readAmount()
        burned = try r.readAmount()
        claims = try r.readUInt32()
        paid = try r.readAmount()
        royalties = try r.readAmount()
        protocolFees = try r.readAmount()
        totalTransactions = try r.readUInt64()
        totalClaims = try r.readUInt64()
        totalPaid = try r.readAmount()
        totalRoyalties = try r.readAmount()
        totalMinted = try r.readAmount()
        totalBurned = try r.readAmount()
        tokens = try r.readUInt64()
        requests = try r.readUInt64()
        totalTokens = try r.readUInt64()
        totalRequests = try r.readUInt64()
    }

    init(header: BlockHeader) {
        time = header.time
        transactions = 0
        failed = 0
        gasUsed = header.gasUsed
        baseFee = header.baseFee
        proposer = header.proposer
        feesBurned = .zero
        tips = .zero
        minted = .zero
        burned = .zero
        claims = 0
        paid = .zero
        royalties = .zero
        protocolFees = .zero
        tokens = 0
        requests = 0
        totalTokens = 0
        totalRequests = 0
        totalTransactions = 0
        totalClaims = 0
        totalPaid = .zero
        totalRoyalties = .zero
        totalMinted = .zero
        totalBurned = .zero
    }
}

/// What the index keeps for a provider: its claims, what they paid, what it kept after fee and royalties, and the
/// tokens and requests they paid for.
public struct ProviderTotals: Sendable, Equatable, CanonicalCodable {
    public var claims: UInt64 = 0
    public var paid: Amount = .zero
    public var earned: Amount = .zero
    public var firstClaimHeight: UInt64 = 0
    public var lastClaimHeight: UInt64 = 0
    public var tokens: UInt64 = 0
    public var requests: UInt64 = 0

    public init() {}

    public func encode(to w: inout CanonicalWriter) {
        w.write(claims)
        w.write(paid)
        w.write(earned)
        w.write(firstClaimHeight)
        w.write(lastClaimHeight)
        w.write(tokens)
        w.write(requests)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        claims = try r.readUInt64()
        paid = try r.readAmount()
        earned = try r.readAmount()
        firstClaimHeight = try r.readUInt64()
        lastClaimHeight = try r.readUInt64()
        tokens = try r.readUInt64()
        requests = try r.readUInt64()
    }
}

/// What the index keeps for a model: the claims that paid it a royalty and how much, and the tokens and requests
/// claims paid for on it.
public struct ModelTotals: Sendable, Equatable, CanonicalCodable {
    public var payments: UInt64 = 0
    public var royalties: Amount = .zero
    public var tokens: UInt64 = 0
    public var requests: UInt64 = 0

    public init() {}

    public func encode(to w: inout CanonicalWriter) {
        w.write(payments)
        w.write(royalties)
        w.write(tokens)
        w.write(requests)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        payments = try r.readUInt64()
        royalties = try r.readAmount()
        tokens = try r.readUInt64()
        requests = try r.readUInt64()
    }
}

/// The kinds of keys the index files references under.
public enum IndexKind {
    public static let account: UInt8 = 1
    public static let channel: UInt8 = 2
    public static let model: UInt8 = 3
    public static let proposal: UInt8 = 4
    public static let pool: UInt8 = 5

    static func idKey(_ id: UInt64) -> [UInt8] { withUnsafeBytes(of: id.bigEndian) { Array($0) } }

    public static func providerTotals(_ a: Address) -> [UInt8] { Array("p".utf8) + a.bytes }
    public static func modelTotals(_ id: UInt64) -> [UInt8] { Array("m".utf8) + idKey(id) }
}

/// Builds the explorer index from the stored blocks' receipts and events, behind the head: each commit asks for
/// a catch-up on a background queue, so the block's commit never waits for it (the index adds a row per account
/// a transaction touches, at scattered places in its table). The index trails the head by the blocks committed
/// while a catch-up runs; a chain stored before the index existed is indexed the same way.
public final class ExplorerIndexer: Sendable {
    let chain: any ChainReader
    let store: any ExplorerStore
    let worker = CoalescingWorker(label: "cairn.explorer.index")
    /// One catch-up at a time, whether on the worker or called directly; holds whether the stored index's version
    /// was checked (once, at the first catch-up).
    let exclusive = Mutex<Bool>(false)
    /// The last error a background catch-up met (it is retried at the next request).
    let lastError = Mutex<String?>(nil)

    /// An indexer of `chain` writing into `store`; `start()` sets it going.
    public init(chain: any ChainReader, store: any ExplorerStore) {
        self.chain = chain
        self.store = store
    }

    /// Catches up after every commit of the chain from now on, and once now (for blocks stored before).
    public func start() {
        chain.onCommit { [self] _ in request() }
        request()
    }

    /// Asks for a catch-up soon on the background queue; requests made while one runs fold into one more run.
    public func request() {
        worker.request { [self] in
            do {
                try catchUp()
                lastError.withLock { $0 = nil }
            } catch {
                lastError.withLock { $0 = "\(error)" }
            }
        }
    }

    /// Waits until the background catch-up that is running or asked for has finished.
    public func waitForBackgroundCatchUp() { worker.waitUntilIdle() }

    /// Why the last background catch-up failed, if it did.
    public var failure: String? { lastError.withLock { $0 } }

    /// The index of one block. `previous` is the block before it (nil for genesis); `total` reads a running
    /// total as it stands before this block.
    static func batch(header: BlockHeader, transactions: [Transaction], receipts: [Receipt], blockEvents: [Event],
                      previous: BlockStats?, total: ([UInt8]) throws -> [UInt8]?) throws -> (IndexBatch, BlockStats) {
        var stats = BlockStats(header: header)
        if let p = previous {
            stats.totalTransactions = p.totalTransactions
            stats.totalClaims = p.totalClaims
            stats.totalPaid = p.totalPaid
            stats.totalRoyalties = p.totalRoyalties
            stats.totalMinted = p.totalMinted
            stats.totalBurned = p.totalBurned
            stats.totalTokens = p.totalTokens
            stats.totalRequests = p.totalRequests
        }
        var refs = Set<IndexBatch.Ref>()
        var providers: [Address: ProviderTotals] = [:]
        var models: [UInt64: ModelTotals] = [:]

        func provider(_ a: Address) throws -> ProviderTotals {
            if let t = providers[a] { return t }
            return try total(IndexKind.providerTotals(a)).map { try ProviderTotals(canonicalBytes: $0) } ?? ProviderTotals()
        }
        func model(_ id: UInt64) throws -> ModelTotals {
            if let t = models[id] { return t }
            return try total(IndexKind.modelTotals(id)).map { try ModelTotals(canonicalBytes: $0) } ?? ModelTotals()
        }
        func file(_ events: [Event], index: Int32) throws {
            for e in events {
                for attribute in e.attributes {
                    let v = attribute.value
                    if v.hasPrefix(Address.prefix + "1"), let a = try? Address(bech32: v) {
                        refs.insert(.init(kind: IndexKind.account, key: a.bytes, index: index))
                    }
                }
                if let id = MarketEvents.channelID(of: e) {
                    refs.insert(.init(kind: IndexKind.channel, key: IndexKind.idKey(id), index: index))
                } else if let id = ModelsEvents.modelID(of: e) {
                    refs.insert(.init(kind: IndexKind.model, key: IndexKind.idKey(id), index: index))
                } else if let id = GovEvents.proposalID(of: e) {
                    refs.insert(.init(kind: IndexKind.proposal, key: IndexKind.idKey(id), index: index))
                } else if let id = ExchangeEvents.poolID(of: e) {
                    refs.insert(.init(kind: IndexKind.pool, key: IndexKind.idKey(id), index: index))
                }
                if let mint = BankEvents.Mint(e), mint.coin.denom == Denom.native {
                    stats.minted = stats.minted.plus(mint.coin.amount)
                } else if let burn = BankEvents.Burn(e), burn.coin.denom == Denom.native {
                    stats.burned = stats.burned.plus(burn.coin.amount)
                } else if let claim = MarketEvents.Claimed(e) {
                    stats.claims += 1
                    stats.paid = stats.paid.plus(claim.amount)
                    stats.royalties = stats.royalties.plus(claim.royalties)
                    stats.protocolFees = stats.protocolFees.plus(claim.fee)
                    let (tokens, requests) = (claim.tokens, claim.requests)
                    stats.tokens &+= tokens
                    stats.requests &+= requests
                    for u in claim.served {
                        var t = try model(u.modelID)
                        t.tokens &+= u.tokens
                        t.requests &+= u.requests
                        models[u.modelID] = t
                    }
                    var t = try provider(claim.provider)
                    t.claims += 1
                    t.tokens &+= tokens
                    t.requests &+= requests
                    t.paid = t.paid.plus(claim.amount)
                    t.earned = t.earned.plus(claim.providerAmount)
                    if t.firstClaimHeight == 0 { t.firstClaimHeight = header.height }
                    t.lastClaimHeight = header.height
                    providers[claim.provider] = t
                } else if let royalty = ModelsEvents.Royalty(e) {
                    var t = try model(royalty.id)
                    t.payments += 1
                    t.royalties = t.royalties.plus(royalty.amount)
                    models[royalty.id] = t
                }
            }
        }

        for (i, receipt) in receipts.enumerated() {
            let index = Int32(i)
            stats.transactions += 1
            if !receipt.success { stats.failed += 1 }
            stats.feesBurned = stats.feesBurned.plus(receipt.burned)
            stats.tips = stats.tips.plus(receipt.tip)
            if i < transactions.count {
                refs.insert(.init(kind: IndexKind.account, key: transactions[i].body.sender.bytes, index: index))
            }
            try file(receipt.events, index: index)
        }
        try file(blockEvents, index: IndexBatch.blockEvents)

        stats.burned = stats.burned.plus(stats.feesBurned)
        // Genesis mints the initial balances: supply the chain starts with, not emission.
        if header.height == 0 { stats.minted = .zero }
        stats.totalTransactions += UInt64(stats.transactions)
        stats.totalClaims += UInt64(stats.claims)
        stats.totalPaid = stats.totalPaid.plus(stats.paid)
        stats.totalRoyalties = stats.totalRoyalties.plus(stats.royalties)
        stats.totalMinted = stats.totalMinted.plus(stats.minted)
        stats.totalBurned = stats.totalBurned.plus(stats.burned)
        stats.totalTokens &+= stats.tokens
        stats.totalRequests &+= stats.requests

        let totals = providers.map { (key: IndexKind.providerTotals($0.key), value: $0.value.canonicalBytes) }
            + models.map { (key: IndexKind.modelTotals($0.key), value: $0.value.canonicalBytes) }
        return (IndexBatch(height: header.height, stats: stats.canonicalBytes, refs: Array(refs), totals: totals), stats)
    }

    /// Indexes the stored blocks the index does not hold yet, `chunk` blocks per transaction; returns how many.
    @discardableResult
    public func catchUp(chunk: Int = 500) throws -> UInt64 {
        try exclusive.withLock { checked in
            if !checked {
                try dropIndexOfAnotherVersion()
                checked = true
            }
            return try catchUpAlone(chunk: chunk)
        }
    }

    /// Drops an index written by an earlier version of the figures: it is rebuilt from the blocks.
    func dropIndexOfAnotherVersion() throws {
        let stored = try store.readIndex { index in try index.indexHead().flatMap { try index.blockStats(at: $0) } }
        if let stored, stored.first != BlockStats.version { try store.dropIndex() }
    }

    func catchUpAlone(chunk: Int) throws -> UInt64 {
        let head = try chain.head()
        var next = try store.readIndex { try $0.indexHead() }.map { $0 + 1 } ?? 0
        var done: UInt64 = 0
        var previous: BlockStats? = next == 0 ? nil : try store.readIndex { try $0.stats(at: next - 1) }
        while next <= head.height {
            var batches: [IndexBatch] = []
            var pending: [[UInt8]: [UInt8]] = [:]
            let end = min(head.height, next + UInt64(chunk) - 1)
            for height in next...end {
                guard let committed = try chain.block(at: height) else {
                    throw StorageError(.notFound, "block \(height) is missing from the store")
                }
                let block = committed.block
                let (batch, stats) = try store.readIndex { index in
                    try Self.batch(header: block.header, transactions: block.transactions, receipts: committed.receipts,
                                   blockEvents: committed.blockEvents, previous: previous, total: { key in try pending[key] ?? index.total(key) })
                }
                for t in batch.totals { pending[t.key] = t.value }
                batches.append(batch)
                previous = stats
            }
            try store.writeIndex(batches)
            done += end - next + 1
            next = end + 1
        }
        return done
    }
}

extension Amount {
    /// The sum, held at the largest amount instead of overflowing (figures, never balances).
    func plus(_ other: Amount) -> Amount { adding(other) ?? Amount(UInt128.max) }
}
