import Testing
import Foundation
import GRDB
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire
import CairnTestSupport

/// The durable voucher store: what it keeps survives a reopen, and a damaged row is reported, not trusted.
@Suite struct VoucherStoreTests {
    static let client = TestClient()

    static func record(_ id: UInt64, delivered: [(UInt64, Amount)], voucher: [(UInt64, Amount)]?) -> ChannelTab {
        let parts = delivered.sorted { $0.0 < $1.0 }.map { ModelAmount(modelID: $0.0, amount: $0.1) }
        return ChannelTab(channelID: id, delivered: parts.reduce(.zero) { $0.adding($1.amount)! }, deliveredPerModel: parts,
                             voucher: voucher.map { client.voucher(id, $0) })
    }

    @Test func recordsSurviveReopening() throws {
        let dir = try TemporaryDirectory()
        let path = VoucherStore.path(home: dir.url.path)
        let a = Self.record(1, delivered: [(7, 120), (3, 5)], voucher: [(7, 120), (3, 5)])
        let b = Self.record(2, delivered: [], voucher: nil)
        do {
            let store = try VoucherStore(path: path)
            try store.save(a)
            try store.save(b)
            try store.save(Self.record(1, delivered: [(7, 100)], voucher: [(7, 100)]))
            try store.save(a)
        }
        let reopened = try VoucherStore(path: path)
        #expect(try reopened.load() == [a, b])
        let mode = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test(arguments: [
        ("delivered", "'not a number'", "delivered is not a decimal amount"),
        ("delivered", "'999'", "sums to"),
        ("delivered_per_model", "'{\"oops\":1}'", "delivered_per_model"),
        ("voucher", "x'0102'", "the voucher does not decode"),
        ("delivered", "x'00ff'", "delivered is not a decimal amount"),
    ])
    func aCorruptRowIsRejectedClearly(column: String, value: String, expected: String) throws {
        let dir = try TemporaryDirectory()
        let path = VoucherStore.path(home: dir.url.path)
        try VoucherStore(path: path).save(Self.record(4, delivered: [(7, 120)], voucher: [(7, 120)]))
        try DatabaseQueue(path: path).write { try $0.execute(sql: "UPDATE channels SET \(column) = \(value) WHERE channel_id = 4") }
        let error = #expect(throws: ProviderError.self) { try VoucherStore(path: path).load() }
        #expect(error?.code == .corruptStore)
        #expect(error?.message.contains("channel 4") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test func aVoucherStoredUnderTheWrongChannelIsRejected() throws {
        let dir = try TemporaryDirectory()
        let path = VoucherStore.path(home: dir.url.path)
        let store = try VoucherStore(path: path)
        try store.save(Self.record(5, delivered: [], voucher: [(7, 10)]))
        let other = Data(Self.client.voucher(6, [(7, 10)]).canonicalBytes)
        try DatabaseQueue(path: path).write { try $0.execute(sql: "UPDATE channels SET voucher = ? WHERE channel_id = 5", arguments: [other]) }
        let error = #expect(throws: ProviderError.self) { try store.load() }
        #expect(error?.message.contains("is for channel 6") == true, "\(error?.message ?? "")")
    }
}
