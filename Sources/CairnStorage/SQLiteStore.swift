public import CairnPrimitives
import Foundation
import GRDBSQLite
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
    /// The commit certificate of the block before, which this block carries.
    public var lastCommit: [UInt8]
    /// The evidence the block carries.
    public var evidence: [UInt8]
    public var time: UInt64
    public var transactions: [StoredTransaction]
    public var blockEvents: [UInt8]
    public var stateChanges: [(key: [UInt8], value: [UInt8]?)]
    public var treeNodes: [NodeKey: TreeNode]
    public var stateRoot: TreeRoot

    public init(height: UInt64, blockHash: Hash, header: [UInt8], commit: [UInt8], lastCommit: [UInt8], evidence: [UInt8],
                time: UInt64, transactions: [StoredTransaction], blockEvents: [UInt8], stateChanges: [(key: [UInt8], value: [UInt8]?)],
                treeNodes: [NodeKey: TreeNode], stateRoot: TreeRoot) {
        self.height = height
        self.blockHash = blockHash
        self.header = header
        self.commit = commit
        self.lastCommit = lastCommit
        self.evidence = evidence
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
    /// The version (block height) that stored the state tree's root node.
    public var stateRootVersion: UInt64

    public init(height: UInt64, blockHash: Hash, stateRoot: Hash, stateRootVersion: UInt64) {
        self.height = height
        self.blockHash = blockHash
        self.stateRoot = stateRoot
        self.stateRootVersion = stateRootVersion
    }

    /// The state tree's root, to apply the next block to.
    public var root: TreeRoot { TreeRoot(hash: stateRoot, version: stateRootVersion) }
}

/// A stored block's parts.
public struct StoredBlock: Sendable {
    public var height: UInt64
    public var hash: Hash
    public var header: [UInt8]
    public var commit: [UInt8]
    public var lastCommit: [UInt8]
    public var evidence: [UInt8]
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
///
/// The write-ahead log is checkpointed into the database file by a connection of its own on a background
/// queue, never by the committing connection: a block's commit pays only for appending and syncing its own
/// pages to the log, and copying them into the database (with its own sync) overlaps the next block.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool
    let checkpointer: Checkpointer

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws {
        var config = Configuration()
        // Another connection may hold the file for a moment (the last checkpoint of a store just released, an
        // index or probe write): wait for it rather than fail.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 64 MiB of page cache: tree-node inserts land on random B-tree pages.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoints are the checkpointer's job, off the commit path.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try SQLiteStore.migrator.migrate(pool)
            checkpointer = try Checkpointer(path: path)
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
        // Transactions are stored in block order and found by hash through an index: inserting rows of a
        // kilobyte at random places in a table keyed by hash cost more than the rest of the commit.
        m.registerMigration("v2-txs-in-block-order") { db in
            try db.execute(sql: """
                CREATE TABLE txs_v2 (height INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                                     body BLOB NOT NULL, receipt BLOB NOT NULL, PRIMARY KEY (height, idx)) WITHOUT ROWID;
                INSERT INTO txs_v2 (height, idx, hash, body, receipt) SELECT height, idx, hash, body, receipt FROM txs ORDER BY height, idx;
                DROP TABLE txs;
                ALTER TABLE txs_v2 RENAME TO txs;
                CREATE UNIQUE INDEX txs_by_hash ON txs(hash);
                """)
        }
        // Tree nodes keyed by (version, depth, path) instead of by hash, so each block appends its nodes.
        // The head's tree is carried over under the head's height; older roots' nodes are not.
        m.registerMigration("v3-tree-nodes-by-version") { db in
            try TreeMigration.run(db)
        }
        // The explorer's index: figures per block, references from accounts, channels, models and proposals to the
        // transactions that touch them, running totals. The node writes it behind the blocks, from the stored blocks.
        m.registerMigration("v4-explorer-index") { db in
            try db.execute(sql: ExplorerTables.create)
        }
        // The node's probes of the providers' endpoints, for their uptime: this node's observations, not chain state.
        m.registerMigration("v5-provider-probes") { db in
            try db.execute(sql: ProbeTables.create)
        }
        // BFT consensus: each block carries the commit of the block before and the evidence it reports.
        m.registerMigration("v6-block-last-commit-evidence") { db in
            try db.execute(sql: """
                ALTER TABLE blocks ADD COLUMN last_commit BLOB NOT NULL DEFAULT x'';
                ALTER TABLE blocks ADD COLUMN evidence BLOB NOT NULL DEFAULT x'';
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
            try db.execute(sql: """
                INSERT INTO blocks (height, hash, header, commit_cert, last_commit, evidence, time, tx_count, events)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                           arguments: [Int64(batch.height), Data(batch.blockHash.bytes), Data(batch.header), Data(batch.commit),
                                       Data(batch.lastCommit), Data(batch.evidence), Int64(batch.time), batch.transactions.count,
                                       Data(batch.blockEvents)])
            let insertTx = try db.cachedStatement(sql: "INSERT INTO txs (hash, height, idx, body, receipt) VALUES (?, ?, ?, ?, ?)")
            for (i, tx) in batch.transactions.enumerated() {
                try BulkInsert.run(insertTx, db) { s in
                    BulkInsert.bind(s, 1, tx.hash.bytes)
                    sqlite3_bind_int64(s, 2, Int64(batch.height))
                    sqlite3_bind_int64(s, 3, Int64(i))
                    BulkInsert.bind(s, 4, tx.bytes)
                    BulkInsert.bind(s, 5, tx.receipt)
                }
            }
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)")
            let delete = try db.cachedStatement(sql: "DELETE FROM state WHERE key = ?")
            for change in batch.stateChanges {
                if let v = change.value {
                    try BulkInsert.run(upsert, db) { s in
                        BulkInsert.bind(s, 1, change.key)
                        BulkInsert.bind(s, 2, v)
                    }
                } else {
                    try BulkInsert.run(delete, db) { s in BulkInsert.bind(s, 1, change.key) }
                }
            }
            let insertNode = try db.cachedStatement(sql: "INSERT INTO tree_nodes (key, node) VALUES (?, ?)")
            // Every key starts with this block's version, so in key order the rows are appended.
            for (key, node) in batch.treeNodes.sorted(by: { $0.key < $1.key }) {
                try BulkInsert.run(insertNode, db) { s in
                    BulkInsert.bind(s, 1, key.encoded)
                    BulkInsert.bind(s, 2, node.encoded)
                }
            }
            let setMeta = try db.cachedStatement(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
            try setMeta.execute(arguments: ["head_height", Data(BigEndian.bytes(batch.height))])
            try setMeta.execute(arguments: ["head_hash", Data(batch.blockHash.bytes)])
            try setMeta.execute(arguments: ["state_root", Data(batch.stateRoot.hash.bytes)])
            try setMeta.execute(arguments: ["state_root_version", Data(BigEndian.bytes(batch.stateRoot.version))])
        }
        checkpointer.request()
    }

    /// Copies the whole write-ahead log into the database file now and waits for it.
    public func checkpoint() throws {
        try checkpointer.run()
    }

    /// Copies the log into the database file and closes every connection: the file can then be moved. The store must
    /// not be used afterwards.
    public func close() throws {
        checkpointer.worker.waitUntilIdle()
        try checkpointer.run()
        try pool.close()
        try checkpointer.connection.close()
    }

    /// Copies the probe samples of the store at `path` (an earlier store of the same node) into this one.
    public func copyProbes(from path: String) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS earlier", arguments: [path])
            defer { try? db.execute(sql: "DETACH DATABASE earlier") }
            try db.inTransaction {
                try db.execute(sql: "INSERT OR IGNORE INTO provider_probes SELECT * FROM earlier.provider_probes")
                return .commit
            }
        }
    }
}

/// Binds and steps a prepared statement through SQLite's C interface: the block commit writes tens of
/// thousands of rows, and going through GRDB's `StatementArguments` copies each blob into `Data` first.
enum BulkInsert {
    /// Binds `bytes` as a blob (an empty one too, never NULL); SQLite copies it before returning.
    static func bind(_ statement: SQLiteStatement, _ index: Int32, _ bytes: [UInt8]) {
        if bytes.isEmpty {
            _ = sqlite3_bind_zeroblob(statement, index, 0)
            return
        }
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), SQLITE_TRANSIENT_VALUE)
        }
    }

    /// Resets `statement`, lets `bind` bind its parameters, and runs it to completion.
    static func run(_ statement: Statement, _ db: Database, bind: (SQLiteStatement) -> Void) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_clear_bindings(s)
        bind(s)
        let code = sqlite3_step(s)
        guard code == SQLITE_DONE else {
            throw StorageError(.io, "SQLite write failed (\(code)): \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
        }
    }

    /// `SQLITE_TRANSIENT`, which the C header spells as a cast Swift cannot import.
    static let SQLITE_TRANSIENT_VALUE = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// Checkpoints the write-ahead log from its own connection, on its own queue, at most one at a time
/// (requests made while one runs fold into one more). A passive checkpoint copies what no reader still needs
/// and never blocks the writer; whatever it leaves is copied by the next one.
final class Checkpointer: Sendable {
    let connection: DatabaseQueue
    let worker = CoalescingWorker(label: "cairn.sqlite.checkpoint")

    init(path: String) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        connection = try DatabaseQueue(path: path, configuration: config)
    }

    /// Asks for a passive checkpoint soon.
    func request() {
        // A failed passive checkpoint (the database busy, say) loses nothing: the frames stay in the log.
        worker.request { [connection] in _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) } }
    }

    /// A full checkpoint now, on the caller's thread.
    func run() throws {
        _ = try connection.writeWithoutTransaction { db in try db.checkpoint(.full) }
    }
}
