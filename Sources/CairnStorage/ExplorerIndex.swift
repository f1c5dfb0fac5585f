import CairnPrimitives
import Foundation
import GRDB
import GRDBSQLite

/// What one block adds to the explorer's index; the node builds it from the block's receipts and events.
///
/// The store keeps bytes here too: `stats` and the totals' values are encoded by the node.
public struct IndexBatch: Sendable {
    /// A place a block's activity is filed under: what the key names (an account, a channel, a model, ...)
    /// and the transaction, or `blockEvents` for the block's own events.
    public struct Ref: Sendable, Hashable {
        public var kind: UInt8
        public var key: [UInt8]
        public var index: Int32

        public init(kind: UInt8, key: [UInt8], index: Int32) {
            self.kind = kind
            self.key = key
            self.index = index
        }
    }

    /// The `index` of a reference to the block's own events (end-of-block work), not to a transaction.
    public static let blockEvents: Int32 = -1

    public var height: UInt64
    /// The block's figures, cumulative ones included.
    public var stats: [UInt8]
    public var refs: [Ref]
    /// Running totals (per provider, per model, ...) after this block, each replacing its stored value.
    public var totals: [(key: [UInt8], value: [UInt8])]

    public init(height: UInt64, stats: [UInt8], refs: [Ref], totals: [(key: [UInt8], value: [UInt8])]) {
        self.height = height
        self.stats = stats
        self.refs = refs
        self.totals = totals
    }
}

/// A reference read back from the index: a transaction (`index` ≥ 0) or a block's own events (`index` -1).
public struct IndexPosition: Sendable, Hashable, Comparable {
    public var height: UInt64
    public var index: Int32

    public init(height: UInt64, index: Int32) {
        self.height = height
        self.index = index
    }

    public static func < (a: IndexPosition, b: IndexPosition) -> Bool {
        (a.height, a.index) < (b.height, b.index)
    }
}

enum ExplorerTables {
    static let create = """
        CREATE TABLE ex_blocks (height INTEGER PRIMARY KEY, stats BLOB NOT NULL);
        CREATE TABLE ex_refs (kind INTEGER NOT NULL, key BLOB NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL,
                              PRIMARY KEY (kind, key, height, idx)) WITHOUT ROWID;
        CREATE TABLE ex_totals (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        """

    /// Writes one block's index rows inside the caller's transaction.
    static func write(_ batch: IndexBatch, _ db: Database) throws {
        guard let height = Int64(exactly: batch.height) else {
            throw StorageError(.io, "block height \(batch.height) does not fit the index")
        }
        let block = try db.cachedStatement(sql: "INSERT OR REPLACE INTO ex_blocks (height, stats) VALUES (?, ?)")
        try BulkInsert.run(block, db) { s in
            sqlite3_bind_int64(s, 1, height)
            BulkInsert.bind(s, 2, batch.stats)
        }
        let ref = try db.cachedStatement(sql: "INSERT OR IGNORE INTO ex_refs (kind, key, height, idx) VALUES (?, ?, ?, ?)")
        for r in batch.refs {
            try BulkInsert.run(ref, db) { s in
                sqlite3_bind_int64(s, 1, Int64(r.kind))
                BulkInsert.bind(s, 2, r.key)
                sqlite3_bind_int64(s, 3, height)
                sqlite3_bind_int64(s, 4, Int64(r.index))
            }
        }
        let total = try db.cachedStatement(sql: "INSERT OR REPLACE INTO ex_totals (key, value) VALUES (?, ?)")
        for t in batch.totals {
            try BulkInsert.run(total, db) { s in
                BulkInsert.bind(s, 1, t.key)
                BulkInsert.bind(s, 2, t.value)
            }
        }
    }
}

extension SQLiteStore {
    /// Adds the index of blocks already committed, in one transaction. Blocks must follow the index's head.
    public func writeIndex(_ batches: [IndexBatch]) throws {
        try pool.write { db in
            var expected = try StoreSnapshot(db: db).indexHead().map { $0 + 1 } ?? 0
            for batch in batches {
                guard batch.height == expected else {
                    throw StorageError(.headMismatch, "index of block \(batch.height) does not follow the index head \(expected)")
                }
                try ExplorerTables.write(batch, db)
                expected += 1
            }
        }
    }

    /// Drops the whole index (the node rebuilds it from the stored blocks).
    public func dropIndex() throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM ex_blocks; DELETE FROM ex_refs; DELETE FROM ex_totals;")
        }
    }
}

extension StoreSnapshot {
    /// The highest block the index holds, or nil when it is empty.
    public func indexHead() throws -> UInt64? {
        try Int64.fetchOne(db, sql: "SELECT MAX(height) FROM ex_blocks").map { UInt64($0) }
    }

    /// The indexed figures of the block at `height`.
    public func blockStats(at height: UInt64) throws -> [UInt8]? {
        guard let h = Int64(exactly: height) else { return nil }
        let stmt = try db.cachedStatement(sql: "SELECT stats FROM ex_blocks WHERE height = ?")
        return try Data.fetchOne(stmt, arguments: [h]).map { Array($0) }
    }

    /// The indexed figures of up to `limit` blocks below `before` (all when nil), newest first.
    public func blockStats(before: UInt64?, limit: Int) throws -> [(height: UInt64, stats: [UInt8])] {
        let upper = before.map { Int64(clamping: $0) } ?? Int64.max
        return try Row.fetchAll(db, sql: "SELECT height, stats FROM ex_blocks WHERE height < ? ORDER BY height DESC LIMIT ?",
                                arguments: [upper, limit])
            .map { (height: UInt64($0["height"] as Int64), stats: Array($0["stats"] as Data)) }
    }

    /// The newest `limit` references filed under (`kind`, `key`) strictly before `before` (from the newest when nil).
    public func refs(kind: UInt8, key: [UInt8], before: IndexPosition?, limit: Int) throws -> [IndexPosition] {
        let rows: [Row]
        if let before {
            let h = Int64(clamping: before.height)
            rows = try Row.fetchAll(db, sql: """
                SELECT height, idx FROM ex_refs WHERE kind = ? AND key = ? AND (height, idx) < (?, ?)
                ORDER BY height DESC, idx DESC LIMIT ?
                """, arguments: [Int64(kind), Data(key), h, Int64(before.index), limit])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT height, idx FROM ex_refs WHERE kind = ? AND key = ? ORDER BY height DESC, idx DESC LIMIT ?",
                                    arguments: [Int64(kind), Data(key), limit])
        }
        return rows.map { IndexPosition(height: UInt64($0["height"] as Int64), index: Int32($0["idx"] as Int64)) }
    }

    /// A running total's stored value.
    public func total(_ key: [UInt8]) throws -> [UInt8]? {
        let stmt = try db.cachedStatement(sql: "SELECT value FROM ex_totals WHERE key = ?")
        return try Data.fetchOne(stmt, arguments: [Data(key)]).map { Array($0) }
    }
}
