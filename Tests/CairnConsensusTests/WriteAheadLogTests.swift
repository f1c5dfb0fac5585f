import CairnConsensus
import Foundation
import Testing

/// A folder under the system's temporary directory, removed when the test ends.
final class TemporaryFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-consensus-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func bytes(of name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: file(name)))) }

    func write(_ bytes: [UInt8], to name: String) throws {
        let url = URL(fileURLWithPath: file(name))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
}

struct WriteAheadLogTests {
    let folder = TemporaryFolder()
    /// Three records of 8 + 1 + 3 = 12 bytes each on disk.
    let records = [
        WALRecord(kind: 1, payload: [10, 11, 12]),
        WALRecord(kind: 2, payload: [20, 21, 22]),
        WALRecord(kind: 3, payload: [30, 31, 32]),
    ]

    /// Writes `records` to a fresh log in a nested folder that does not exist yet, and closes it.
    func writeLog() throws -> String {
        let path = folder.file("data/cs.wal/wal")
        let log = try WriteAheadLog(path: path)
        for record in records { try log.append(record) }
        try log.sync()
        log.close()
        return path
    }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func recordsSurviveCloseAndReopenInOrder() throws {
        let path = try writeLog()
        let reopened = try WriteAheadLog(path: path)
        #expect(reopened.recovered == records)
        #expect(reopened.warning == nil)
        #expect(try folder.bytes(of: "data/cs.wal/wal").count == 36)
    }

    @Test func aNewLogIsEmpty() throws {
        let log = try WriteAheadLog(path: folder.file("wal"))
        #expect(log.recovered.isEmpty)
        #expect(log.warning == nil)
    }

    @Test func theFileFormatIsLengthCrcAndKindThenPayload() throws {
        let log = try WriteAheadLog(path: folder.file("wal"))
        try log.appendSynced(WALRecord(kind: 0x31, payload: Array("23456789".utf8)))
        let bytes = try folder.bytes(of: "wal")
        #expect(bytes == [0, 0, 0, 9, 0xCB, 0xF4, 0x39, 0x26] + Array("123456789".utf8))
    }

    /// Cuts the 36-byte file of three records at `size`: inside the third record's header (26) or its payload (33).
    @Test(arguments: [26, 33, 24 + 8])
    func aTornTailIsTruncatedAndTheGoodRecordsKept(size: Int) throws {
        let path = try writeLog()
        try folder.write(Array(try folder.bytes(of: "data/cs.wal/wal").prefix(size)), to: "data/cs.wal/wal")

        let log = try WriteAheadLog(path: path)
        #expect(log.recovered == Array(records.prefix(2)))
        #expect(log.warning == "truncated a torn record\(size < 32 ? " header" : "") at byte 24 (\(size - 24) bytes dropped)")
        #expect(try folder.bytes(of: "data/cs.wal/wal").count == 24)

        let more = WALRecord(kind: 4, payload: [40])
        try log.appendSynced(more)
        log.close()
        let reopened = try WriteAheadLog(path: path)
        #expect(reopened.recovered == Array(records.prefix(2)) + [more])
        #expect(reopened.warning == nil)
    }

    @Test func aFlippedByteInTheLastRecordIsTruncated() throws {
        let path = try writeLog()
        var bytes = try folder.bytes(of: "data/cs.wal/wal")
        bytes[34] ^= 0x01
        try folder.write(bytes, to: "data/cs.wal/wal")

        let log = try WriteAheadLog(path: path)
        #expect(log.recovered == Array(records.prefix(2)))
        #expect(log.warning == "truncated a record whose checksum does not match at byte 24 (12 bytes dropped)")
        #expect(try folder.bytes(of: "data/cs.wal/wal").count == 24)
    }

    @Test(arguments: [UInt32.max, UInt32(WriteAheadLog.maxRecordSize + 1), 0])
    func anImpossibleLengthIsTreatedAsCorruption(length: UInt32) throws {
        let path = try writeLog()
        var bytes = try folder.bytes(of: "data/cs.wal/wal")
        bytes.replaceSubrange(12..<16, with: withUnsafeBytes(of: length.bigEndian, Array.init))
        try folder.write(bytes, to: "data/cs.wal/wal")

        let log = try WriteAheadLog(path: path)
        #expect(log.recovered == [records[0]])
        #expect(log.warning == "truncated a record with an impossible length of \(length) bytes at byte 12 (24 bytes dropped)")
    }

    @Test func aCorruptRecordDropsEveryRecordAfterIt() throws {
        let path = try writeLog()
        var bytes = try folder.bytes(of: "data/cs.wal/wal")
        bytes[20] ^= 0xFF
        try folder.write(bytes, to: "data/cs.wal/wal")

        let log = try WriteAheadLog(path: path)
        #expect(log.recovered == [records[0]])
        #expect(log.warning?.contains("24 bytes dropped") == true)
    }

    @Test func resetEmptiesTheLogAndLaterRecordsFollowFromTheStart() throws {
        let path = try writeLog()
        let log = try WriteAheadLog(path: path)
        try log.reset()
        #expect(log.recovered.isEmpty)
        #expect(try folder.bytes(of: "data/cs.wal/wal").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

        try log.appendSynced(records[2])
        log.close()
        #expect(try WriteAheadLog(path: path).recovered == [records[2]])
    }

    @Test func aRecordOverTheLimitIsRefused() throws {
        let log = try WriteAheadLog(path: folder.file("wal"))
        let error = #expect(throws: WALError.self) {
            try log.append(WALRecord(kind: 1, payload: [UInt8](repeating: 0, count: WriteAheadLog.maxRecordSize)))
        }
        #expect(error?.code == .recordTooLarge)
        #expect(try folder.bytes(of: "wal").isEmpty)
    }

    @Test func theLargestRecordRoundTrips() throws {
        let big = WALRecord(kind: 9, payload: (0..<(WriteAheadLog.maxRecordSize - 1)).map { UInt8(truncatingIfNeeded: $0) })
        let log = try WriteAheadLog(path: folder.file("wal"))
        try log.appendSynced(big)
        log.close()
        #expect(try WriteAheadLog(path: folder.file("wal")).recovered == [big])
    }

    @Test func aClosedLogRefusesAppends() throws {
        let log = try WriteAheadLog(path: folder.file("wal"))
        log.close()
        let error = #expect(throws: WALError.self) { try log.append(records[0]) }
        #expect(error?.code == .closed)
    }

    @Test func aLogThatCannotBeCreatedThrowsAnIOError() throws {
        try folder.write([1], to: "plain")
        let error = #expect(throws: WALError.self) { try WriteAheadLog(path: folder.file("plain/wal")) }
        #expect(error?.code == .io)
    }
}
