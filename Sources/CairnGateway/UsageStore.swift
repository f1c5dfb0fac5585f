public import CairnPrimitives
import Foundation
import GRDB

/// What was used and spent, for one API key or one provider.
public struct UsageTotals: Sendable, Equatable, Codable {
    public var requests: UInt64 = 0
    public var failed: UInt64 = 0
    public var promptTokens: UInt64 = 0
    public var completionTokens: UInt64 = 0
    public var embeddingTokens: UInt64 = 0
    /// ucairn paid (the receipts' costs).
    public var spend: Amount = .zero

    public init() {}

    mutating func add(_ other: UsageTotals) {
        requests += other.requests
        failed += other.failed
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        embeddingTokens += other.embeddingTokens
        spend = spend.adding(other.spend) ?? spend
    }
}

/// One served request as the usage ledger records it.
public struct UsageRecord: Sendable, Equatable {
    public var key: String
    /// The provider that served it (nil when none did).
    public var provider: Address?
    public var model: String
    public var succeeded: Bool
    public var promptTokens: UInt32
    public var completionTokens: UInt32
    public var embeddingTokens: UInt32
    public var cost: Amount

    public init(key: String, provider: Address?, model: String, succeeded: Bool, promptTokens: UInt32 = 0,
                completionTokens: UInt32 = 0, embeddingTokens: UInt32 = 0, cost: Amount = .zero) {
        self.key = key
        self.provider = provider
        self.model = model
        self.succeeded = succeeded
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.embeddingTokens = embeddingTokens
        self.cost = cost
    }
}

/// The gateway's usage ledger: requests, tokens and spend per API key, provider and model, in SQLite (WAL) under the
/// gateway's home. Each request is one transaction, so a gateway killed at any point keeps every request recorded
/// before it.
public final class UsageStore: Sendable {
    let queue: DatabaseQueue
    public let path: String

    public init(path: String) throws(GatewayError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // WAL with synchronous=NORMAL: a commit survives the process being killed (a power cut may lose the last ones).
            var config = Configuration()
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            queue = try DatabaseQueue(path: path, configuration: config)
            _ = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch {
            throw GatewayError("cannot open the usage store at \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            // Spend as decimal text: ucairn amounts can pass SQLite's 2^63 integers.
            try db.execute(sql: """
                CREATE TABLE usage (
                    api_key TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    requests INTEGER NOT NULL,
                    failed INTEGER NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    embedding_tokens INTEGER NOT NULL,
                    spend TEXT NOT NULL,
                    PRIMARY KEY (api_key, provider, model)
                );
                """)
        }
        return m
    }

    /// Adds one request to its key's, provider's and model's row.
    public func record(_ r: UsageRecord) throws(GatewayError) {
        let provider = r.provider?.bech32 ?? ""
        do {
            try queue.write { db in
                let row = try Row.fetchOne(db, sql: "SELECT spend FROM usage WHERE api_key = ? AND provider = ? AND model = ?",
                                           arguments: [r.key, provider, r.model])
                let before = try row.map { row -> Amount in
                    let text: String = row["spend"]
                    guard let value = UInt128(text) else { throw GatewayError("the usage store has a corrupt spend '\(text)'") }
                    return Amount(value)
                } ?? .zero
                guard let spend = before.adding(r.cost) else { throw GatewayError("spend overflows") }
                try db.execute(sql: """
                    INSERT INTO usage VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)
                    ON CONFLICT (api_key, provider, model) DO UPDATE SET
                        requests = requests + 1, failed = failed + excluded.failed,
                        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                        completion_tokens = completion_tokens + excluded.completion_tokens,
                        embedding_tokens = embedding_tokens + excluded.embedding_tokens,
                        spend = ?
                    """, arguments: [r.key, provider, r.model, r.succeeded ? 0 : 1, Int64(r.promptTokens), Int64(r.completionTokens),
                                     Int64(r.embeddingTokens), spend.value.description, spend.value.description])
            }
        } catch let e as GatewayError {
            throw e
        } catch {
            throw GatewayError("cannot record usage: \(error)")
        }
    }

    /// Every row, summed by `group` (the API key, the provider or the model).
    public func totals(by group: Group, key: String? = nil) throws(GatewayError) -> [(name: String, totals: UsageTotals)] {
        var sums: [String: UsageTotals] = [:]
        do {
            let rows = try queue.read { db in
                if let key { return try Row.fetchAll(db, sql: "SELECT * FROM usage WHERE api_key = ?", arguments: [key]) }
                return try Row.fetchAll(db, sql: "SELECT * FROM usage")
            }
            for row in rows {
                let name: String = row[group.rawValue]
                var t = UsageTotals()
                t.requests = UInt64(row["requests"] as Int64)
                t.failed = UInt64(row["failed"] as Int64)
                t.promptTokens = UInt64(row["prompt_tokens"] as Int64)
                t.completionTokens = UInt64(row["completion_tokens"] as Int64)
                t.embeddingTokens = UInt64(row["embedding_tokens"] as Int64)
                let text: String = row["spend"]
                guard let spend = UInt128(text) else { throw GatewayError("the usage store has a corrupt spend '\(text)'") }
                t.spend = Amount(spend)
                sums[name, default: UsageTotals()].add(t)
            }
        } catch let e as GatewayError {
            throw e
        } catch {
            throw GatewayError("cannot read usage: \(error)")
        }
        return sums.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public enum Group: String, Sendable {
        case key = "api_key", provider, model
    }
}
