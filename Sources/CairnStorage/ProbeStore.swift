public import CairnPrimitives
import Foundation
import GRDB
import GRDBSQLite

/// One probe of a provider's endpoint, as this node saw it. Not part of the chain: each node keeps its own.
public struct ProbeSample: Sendable, Equatable {
    public var provider: Address
    /// When the probe was sent, Unix milliseconds.
    public var time: UInt64
    /// Whether the endpoint answered HTTP 200 within the probe's timeout.
    public var ok: Bool
    /// Milliseconds from sending the request to the end of the answer (or to the failure).
    public var latencyMilliseconds: UInt32
    /// The HTTP status of the answer, or 0 when none came (refused, unreachable, timed out).
    public var status: UInt16

    public init(provider: Address, time: UInt64, ok: Bool, latencyMilliseconds: UInt32, status: UInt16) {
        self.provider = provider
        self.time = time
        self.ok = ok
        self.latencyMilliseconds = latencyMilliseconds
        self.status = status
    }
}

/// How many probes of a provider fell in a window, and how many of them succeeded.
public struct ProbeTally: Sendable, Equatable {
    public var samples: Int
    public var ok: Int

    public init(samples: Int, ok: Int) {
        self.samples = samples
        self.ok = ok
    }

    /// The share of successful probes, or nil without any.
    public var uptime: Double? { samples == 0 ? nil : Double(ok) / Double(samples) }
}

enum ProbeTables {
    /// Samples keyed by provider then time, so every per-provider query is a range of the primary key; the index by
    /// time serves the retention's delete.
    static let create = """
        CREATE TABLE provider_probes (provider BLOB NOT NULL, time INTEGER NOT NULL, ok INTEGER NOT NULL,
                                      latency_ms INTEGER NOT NULL, status INTEGER NOT NULL,
                                      PRIMARY KEY (provider, time)) WITHOUT ROWID;
        CREATE INDEX provider_probes_by_time ON provider_probes(time);
        """

    /// How long samples are kept.
    static let retentionMilliseconds: UInt64 = 8 * 86_400_000
}

extension SQLiteStore {
    /// How long probe samples are kept: they are deleted once older than this.
    public static var probeRetentionMilliseconds: UInt64 { ProbeTables.retentionMilliseconds }

    /// Stores `samples` (replacing any of a provider at the same millisecond) and deletes every sample older than the
    /// retention period before `now` (Unix milliseconds), in one transaction on the store's writer, without blocking
    /// the calling thread.
    public func recordProbes(_ samples: [ProbeSample], now: UInt64) async throws {
        let cutoff = Int64(clamping: now > ProbeTables.retentionMilliseconds ? now - ProbeTables.retentionMilliseconds : 0)
        for s in samples where Int64(exactly: s.time) == nil {
            throw StorageError(.io, "probe time \(s.time) does not fit the store")
        }
        try await pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO provider_probes (provider, time, ok, latency_ms, status) VALUES (?, ?, ?, ?, ?)
                """)
            for s in samples {
                try BulkInsert.run(insert, db) { st in
                    BulkInsert.bind(st, 1, s.provider.bytes)
                    sqlite3_bind_int64(st, 2, Int64(s.time))
                    sqlite3_bind_int64(st, 3, s.ok ? 1 : 0)
                    sqlite3_bind_int64(st, 4, Int64(s.latencyMilliseconds))
                    sqlite3_bind_int64(st, 5, Int64(s.status))
                }
            }
            try db.execute(sql: "DELETE FROM provider_probes WHERE time < ?", arguments: [cutoff])
        }
    }
}

extension StoreSnapshot {
    /// The probes of `provider` at or after `since` (Unix milliseconds), counted.
    public func probeTally(_ provider: Address, since: UInt64) throws -> ProbeTally {
        let stmt = try db.cachedStatement(sql: """
            SELECT COUNT(*), COALESCE(SUM(ok), 0) FROM provider_probes WHERE provider = ? AND time >= ?
            """)
        guard let row = try Row.fetchOne(stmt, arguments: [Data(provider.bytes), Int64(clamping: since)]) else {
            return ProbeTally(samples: 0, ok: 0)
        }
        return ProbeTally(samples: row[0], ok: row[1])
    }

    /// The newest `limit` probes of `provider`, newest first.
    public func probes(_ provider: Address, limit: Int) throws -> [ProbeSample] {
        let stmt = try db.cachedStatement(sql: """
            SELECT time, ok, latency_ms, status FROM provider_probes WHERE provider = ? ORDER BY time DESC LIMIT ?
            """)
        return try Row.fetchAll(stmt, arguments: [Data(provider.bytes), limit]).map {
            ProbeSample(provider: provider, time: UInt64($0["time"] as Int64), ok: ($0["ok"] as Int64) != 0,
                        latencyMilliseconds: UInt32(clamping: $0["latency_ms"] as Int64), status: UInt16(clamping: $0["status"] as Int64))
        }
    }

    /// The newest probe of `provider`, or nil when it was never probed (or not within the retention period).
    public func lastProbe(_ provider: Address) throws -> ProbeSample? {
        try probes(provider, limit: 1).first
    }
}
