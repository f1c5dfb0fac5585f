public import CairnPrimitives
import Foundation
public import GRDB

/// Everything one block commits: its encoded parts, its state writes and the new state-tree nodes.
///
/// The store keeps bytes; the node encodes and decodes them, so storage knows nothing of ledger types.
public struct CommitBatch: Sendable {
    public struct StoredTransaction: Sendable {
        public var hash: Hash
        public var bytes: [UInt8]
        public var receipt: [UInt8]

        public init(hash: Hash, bytes: [UInt8], receipt: [UInt8]) {
            self.hash = hash
            self.bytes = bytes
            self.receipt = receipt
        }
    }

    public var height: UInt64
    public var blockHash: Hash
    public var header: [UInt8]
    public var commit: [UInt8]
    public var time: UInt64
    public var transactions: [StoredTransaction]
    public var blockEvents: [UInt8]
    public var stateChanges: [(key: [UInt8], value: [UInt8]?)]
    public var treeNodes: [Hash: TreeNode]
    public var stateRoot: Hash

    public init(height: UInt64, blockHash: Hash, header: [UInt8], commit: [UInt8], time: UInt64,
                transactions: [StoredTransaction], blockEvents: [UInt8], stateChanges: [(key: [UInt8], value: [UInt8]?)],
                treeNodes: [Hash: TreeNode], stateRoot: Hash) {
        self.height = height
        self.blockHash = blockHash
        self.header = header
        self.commit = commit
        self.time = time
        self.transactions = transactions
        self.blockEvents = blockEvents
        self.stateChanges = stateChanges
        self.treeNodes = treeNodes
        self.stateRoot = stateRoot
    }
}

/// The head the store last committed.
public struct StoredHead: Sendable, Equatable {
    public var height: UInt64
    public var blockHash: Hash
    public var stateRoot: Hash
}

/// A stored block's parts.
public struct StoredBlock: Sendable {
    public var height: UInt64
    public var hash: Hash
    public var header: [UInt8]
    public var commit: [UInt8]
    public var transactionHashes: [Hash]
    public var blockEvents: [UInt8]
}

/// A stored transaction with its receipt.
public struct StoredTransactionRecord: Sendable {
    public var hash: Hash
    public var height: UInt64
    public var index: Int
    public var bytes: [UInt8]
    public var receipt: [UInt8]
}

/// The embedded SQLite store (through GRDB): blocks, transactions, receipts, events, state and tree nodes.
///
/// A block and all its state changes commit in one SQLite transaction with `synchronous=FULL`, so a
/// committed block survives a crash of the process or the machine.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 64 MiB of page cache: tree-node inserts land on random B-tree pages.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try SQLiteStore.migrator.migrate(pool)
        } catch {
            throw StorageError(.io, "cannot open the database at \(path)", cause: error)
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE blocks (height INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, header BLOB NOT NULL,
                                     commit_cert BLOB NOT NULL, time INTEGER NOT NULL, tx_count INTEGER NOT NULL,
                                     events BLOB NOT NULL);
                CREATE TABLE txs (hash BLOB PRIMARY KEY, height INTEGER NOT NULL, idx INTEGER NOT NULL,
                                  body BLOB NOT NULL, receipt BLOB NOT NULL) WITHOUT ROWID;
                CREATE INDEX txs_by_block ON txs(height, idx);
                CREATE TABLE state (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE tree_nodes (hash BLOB PRIMARY KEY, node BLOB NOT NULL) WITHOUT ROWID;
                """)
        }
        return m
    }

    // MARK: Reads

    /// Runs `body` on one consistent snapshot of the database.
    public func read<T>(_ body: (StoreSnapshot) throws -> T) throws -> T {
        try pool.read { db in try body(StoreSnapshot(db: db)) }
    }

    /// The head, or nil before genesis is committed.
    public func head() throws -> StoredHead? {
        try read { try $0.head() }
    }

    // MARK: Commit

    /// Commits one block atomically and durably.
    public func commit(_ batch: CommitBatch) throws {
        try pool.write { db in
            if let head = try StoreSnapshot(db: db).head(), head.height + 1 != batch.height {
                throw StorageError(.headMismatch, "block \(batch.height) does not follow the head \(head.height)")
            }
            try db.execute(sql: "INSERT INTO blocks (height, hash, header, commit_cert, time, tx_count, events) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [Int64(batch.height), Data(batch.blockHash.bytes), Data(batch.header), Data(batch.commit),
                                       Int64(batch.time), batch.transactions.count, Data(batch.blockEvents)])
            let insertTx = try db.cachedStatement(sql: "INSERT INTO txs (hash, height, idx, body, receipt) VALUES (?, ?, ?, ?, ?)")
            for (i, tx) in batch.transactions.enumerated() {
                try insertTx.execute(arguments: [Data(tx.hash.bytes), Int64(batch.height), i, Data(tx.bytes), Data(tx.receipt)])
            }
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)")
            let delete = try db.cachedStatement(sql: "DELETE FROM state WHERE key = ?")
            for change in batch.stateChanges {
                if let v = change.value {
                    try upsert.execute(arguments: [Data(change.key), Data(v)])
                } else {
                    try delete.execute(arguments: [Data(change.key)])
                }
            }
            let insertNode = try db.cachedStatement(sql: "INSERT OR IGNORE INTO tree_nodes (hash, node) VALUES (?, ?)")
            for (hash, node) in batch.treeNodes {
                try insertNode.execute(arguments: [Data(hash.bytes), Data(node.encoded)])
            }
            let setMeta = try db.cachedStatement(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
            try setMeta.execute(arguments: ["head_height", Data(withUnsafeBytes(of: batch.height.bigEndian) { Array($0) })])
            try setMeta.execute(arguments: ["head_hash", Data(batch.blockHash.bytes)])
            try setMeta.execute(arguments: ["state_root", Data(batch.stateRoot.bytes)])
        }
    }
}
