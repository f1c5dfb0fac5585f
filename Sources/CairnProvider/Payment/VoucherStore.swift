import Foundation
import CairnPrimitives
import CairnMarket
import GRDB

/// The provider's durable payment records: per channel, what was delivered (in total, per model, and in tokens and
/// requests per model) and the client's best voucher, in SQLite (WAL, `synchronous=FULL`) under the provider's home.
///
/// A record is written before the receipt of the request that changed it is returned, so a provider killed at any
/// point keeps every voucher it accepted and every delivery it signed for.
public final class VoucherStore: Sendable {
    let queue: DatabaseQueue
    /// Where the database lives.
    public let path: String

    /// Opens (creating if needed) the store at `path`.
    public init(path: String) throws(ProviderError) {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            queue = try DatabaseQueue(path: path, configuration: config)
            _ = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch {
            throw ProviderError(.storage, "cannot open the voucher store at \(path)", cause: error)
        }
    }

    /// The store's file under a provider home.
    public static func path(home: String) -> String {
        URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("provider").appendingPathComponent("vouchers.sqlite").path
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            // Amounts as decimal text (SQLite integers stop at 2^63); the voucher as its canonical bytes.
            try db.execute(sql: """
                CREATE TABLE channels (
                    channel_id INTEGER PRIMARY KEY,
                    delivered TEXT NOT NULL,
                    delivered_per_model TEXT NOT NULL,
                    voucher BLOB
                );
                """)
        }
        m.registerMigration("v2-delivered-usage") { db in
            // Tokens and requests delivered per model, as JSON; records from before count none.
            try db.execute(sql: "ALTER TABLE channels ADD COLUMN delivered_usage TEXT NOT NULL DEFAULT '[]'")
        }
        return m
    }

    /// Writes a channel's record, replacing the previous one, durably.
    public func save(_ record: ChannelTab) throws(ProviderError) {
        do {
            let perModel = String(decoding: try JSONEncoder().encode(record.deliveredPerModel), as: UTF8.self)
            let usage = String(decoding: try JSONEncoder().encode(record.deliveredUsage), as: UTF8.self)
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO channels (channel_id, delivered, delivered_per_model, delivered_usage, voucher) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(channel_id) DO UPDATE SET delivered = excluded.delivered,
                        delivered_per_model = excluded.delivered_per_model, delivered_usage = excluded.delivered_usage,
                        voucher = excluded.voucher
                    """, arguments: [Int64(bitPattern: record.channelID), record.delivered.description, perModel, usage,
                                     record.voucher.map { Data($0.canonicalBytes) }])
            }
        } catch {
            throw ProviderError(.storage, "cannot write channel \(record.channelID) to the voucher store at \(path)", cause: error)
        }
    }

    /// Every record, by channel id.
    /// - Throws: `.corruptStore` naming the channel and what is wrong when a row does not decode.
    public func load() throws(ProviderError) -> [ChannelTab] {
        let rows: [Row]
        do {
            rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM channels ORDER BY channel_id") }
        } catch {
            throw ProviderError(.storage, "cannot read the voucher store at \(path)", cause: error)
        }
        return try rows.map { row throws(ProviderError) in try Self.decode(row) }
    }

    static func decode(_ row: Row) throws(ProviderError) -> ChannelTab {
        // Each column is converted without GRDB's fatal errors on a wrong type: a corrupt row is reported, not a crash.
        func value<T: DatabaseValueConvertible>(_ column: String, _ type: T.Type) -> T? {
            T.fromDatabaseValue(row[column] as DatabaseValue)
        }
        let id = UInt64(bitPattern: value("channel_id", Int64.self) ?? 0)
        func corrupt(_ what: String) -> ProviderError {
            ProviderError(.corruptStore, "the voucher store's row for channel \(id) is corrupt: \(what)")
        }
        guard let deliveredText = value("delivered", String.self), let delivered = Amount(decimal: deliveredText) else {
            throw corrupt("delivered is not a decimal amount")
        }
        guard let perModelText = value("delivered_per_model", String.self),
              let perModel = try? JSONDecoder().decode([ModelAmount].self, from: Data(perModelText.utf8)) else {
            throw corrupt("delivered_per_model is not a list of model amounts")
        }
        guard let usageText = value("delivered_usage", String.self),
              let usage = try? JSONDecoder().decode([ModelUsage].self, from: Data(usageText.utf8)) else {
            throw corrupt("delivered_usage is not a list of model usages")
        }
        var voucher: SignedVoucher?
        let stored: DatabaseValue = row["voucher"]
        if !stored.isNull {
            guard let bytes = Data.fromDatabaseValue(stored) else { throw corrupt("the voucher is not a blob") }
            do { voucher = try SignedVoucher(canonicalBytes: Array(bytes)) } catch {
                throw corrupt("the voucher does not decode (\(error))")
            }
        }
        let record = ChannelTab(channelID: id, delivered: delivered, deliveredPerModel: perModel, deliveredUsage: usage, voucher: voucher)
        do { try record.validate() } catch { throw corrupt(error.message) }
        return record
    }
}
