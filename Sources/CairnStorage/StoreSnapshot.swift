public import CairnPrimitives
import Foundation
import GRDB

/// Reads from one consistent snapshot of the store; valid only inside `SQLiteStore.read`.
public struct StoreSnapshot: TreeNodeSource {
    let db: Database

    /// The value stored at a state key.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        let stmt = try db.cachedStatement(sql: "SELECT value FROM state WHERE key = ?")
        return try Data.fetchOne(stmt, arguments: [Data(key)]).map { Array($0) }
    }

    /// State entries whose key starts with `prefix`, in key order.
    public func scan(prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        var upper = prefix
        while let last = upper.last, last == 0xff { upper.removeLast() }
        let rows: [Row]
        if upper.isEmpty {
            rows = try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE key >= ? ORDER BY key", arguments: [Data(prefix)])
        } else {
            upper[upper.count - 1] += 1
            rows = try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key",
                                    arguments: [Data(prefix), Data(upper)])
        }
        return rows.map { (key: Array($0["key"] as Data), value: Array($0["value"] as Data)) }
    }

    public func treeNode(_ key: NodeKey) throws -> TreeNode? {
        let stmt = try db.cachedStatement(sql: "SELECT node FROM tree_nodes WHERE key = ?")
        guard let data = try Data.fetchOne(stmt, arguments: [Data(key.encoded)]) else { return nil }
        do { return try TreeNode(encoded: Array(data)) } catch {
            throw StorageError(.corruptRecord, "tree node \(key) is corrupt: \(error)")
        }
    }

    /// The committed head, or nil before genesis.
    public func head() throws -> StoredHead? {
        let values = try meta()
        guard let height = values["head_height"].flatMap(BigEndian.uint64), let hash = values["head_hash"].flatMap(Hash.init(bytes:)),
              let root = values["state_root"].flatMap(Hash.init(bytes:)),
              let version = values["state_root_version"].flatMap(BigEndian.uint64) else { return nil }
        return StoredHead(height: height, blockHash: hash, stateRoot: root, stateRootVersion: version)
    }

    /// The `meta` table: the head's height, hash, state root and root version.
    func meta() throws -> [String: [UInt8]] {
        var values: [String: [UInt8]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") { values[r["key"]] = Array(r["value"] as Data) }
        return values
    }

    /// The block at `height`.
    public func block(at height: UInt64) throws -> StoredBlock? {
        guard Int64(exactly: height) != nil else { return nil }
        guard let row = try Row.fetchOne(db, sql: "SELECT hash, header, commit_cert, last_commit, evidence, events FROM blocks WHERE height = ?",
                                         arguments: [Int64(height)]) else { return nil }
        let hashes = try Data.fetchAll(db, sql: "SELECT hash FROM txs WHERE height = ? ORDER BY idx", arguments: [Int64(height)])
        return StoredBlock(height: height, hash: Hash(bytes: Array(row["hash"] as Data))!, header: Array(row["header"] as Data),
                           commit: Array(row["commit_cert"] as Data), lastCommit: Array(row["last_commit"] as Data),
                           evidence: Array(row["evidence"] as Data), transactionHashes: hashes.compactMap { Hash(bytes: Array($0)) },
                           blockEvents: Array(row["events"] as Data))
    }

    /// The hash of the block at `height`.
    public func hash(ofBlockAt height: UInt64) throws -> Hash? {
        guard let h = Int64(exactly: height) else { return nil }
        let stmt = try db.cachedStatement(sql: "SELECT hash FROM blocks WHERE height = ?")
        return try Data.fetchOne(stmt, arguments: [h]).flatMap { Hash(bytes: Array($0)) }
    }

    /// The height of the block with this hash.
    public func height(ofBlock hash: Hash) throws -> UInt64? {
        try Int64.fetchOne(db, sql: "SELECT height FROM blocks WHERE hash = ?", arguments: [Data(hash.bytes)]).map { UInt64($0) }
    }

    /// The transactions of the block at `height`, in order.
    public func transactions(inBlock height: UInt64) throws -> [StoredTransactionRecord] {
        guard Int64(exactly: height) != nil else { return [] }
        return try Row.fetchAll(db, sql: "SELECT hash, idx, body, receipt FROM txs WHERE height = ? ORDER BY idx", arguments: [Int64(height)])
            .map { StoredTransactionRecord(hash: Hash(bytes: Array($0["hash"] as Data))!, height: height, index: $0["idx"],
                                           bytes: Array($0["body"] as Data), receipt: Array($0["receipt"] as Data)) }
    }

    /// A transaction and its receipt by hash.
    public func transaction(_ hash: Hash) throws -> StoredTransactionRecord? {
        guard let r = try Row.fetchOne(db, sql: "SELECT height, idx, body, receipt FROM txs WHERE hash = ?",
                                       arguments: [Data(hash.bytes)]) else { return nil }
        return StoredTransactionRecord(hash: hash, height: UInt64(r["height"] as Int64), index: r["idx"],
                                       bytes: Array(r["body"] as Data), receipt: Array(r["receipt"] as Data))
    }

    /// The number of stored transactions.
    public func transactionCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM txs") ?? 0
    }

    /// The transaction at position `index` of block `height`.
    public func transaction(height: UInt64, index: Int) throws -> StoredTransactionRecord? {
        guard let h = Int64(exactly: height) else { return nil }
        guard let r = try Row.fetchOne(db, sql: "SELECT hash, body, receipt FROM txs WHERE height = ? AND idx = ?",
                                       arguments: [h, index]) else { return nil }
        return StoredTransactionRecord(hash: Hash(bytes: Array(r["hash"] as Data))!, height: height, index: index,
                                       bytes: Array(r["body"] as Data), receipt: Array(r["receipt"] as Data))
    }

    /// Up to `limit` transactions strictly before position (`height`, `index`), newest first.
    public func transactions(before: IndexPosition?, limit: Int) throws -> [StoredTransactionRecord] {
        let rows: [Row]
        if let before {
            let h = Int64(clamping: before.height)
            rows = try Row.fetchAll(db, sql: """
                SELECT hash, height, idx, body, receipt FROM txs WHERE (height, idx) < (?, ?)
                ORDER BY height DESC, idx DESC LIMIT ?
                """, arguments: [h, Int64(before.index), limit])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT hash, height, idx, body, receipt FROM txs ORDER BY height DESC, idx DESC LIMIT ?",
                                    arguments: [limit])
        }
        return rows.map {
            StoredTransactionRecord(hash: Hash(bytes: Array($0["hash"] as Data))!, height: UInt64($0["height"] as Int64), index: $0["idx"],
                                    bytes: Array($0["body"] as Data), receipt: Array($0["receipt"] as Data))
        }
    }
}
