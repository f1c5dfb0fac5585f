import Foundation
import CairnPrimitives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of the consensus write-ahead log: a caller-chosen kind and its bytes.
///
/// The log reserves no kinds; the consensus driver picks them (a received vote, a timeout, a message it signed, ...).
/// On disk the record body is the kind byte followed by `payload`, so the checksum covers the kind too.
public struct WALRecord: Sendable, Equatable {
    /// What the record holds; chosen by the caller.
    public var kind: UInt8
    /// The record's bytes, opaque to the log.
    public var payload: [UInt8]

    /// Creates a record.
    public init(kind: UInt8, payload: [UInt8]) {
        self.kind = kind
        self.payload = payload
    }
}

/// The consensus write-ahead log: every input a validator acts on and every message it signs is appended here first,
/// so that after a crash it replays the height and re-sends the very same signed messages.
///
/// The file is a sequence of records `[length: UInt32 BE][crc32: UInt32 BE][body]`, where the body is the kind byte
/// then the payload, `length` counts the body and the CRC is CRC-32 (IEEE) over it. Opening the log reads every
/// record; a torn or corrupt tail, which is what a crash mid-append leaves, is cut off at the end of the last good
/// record. A bad record also drops every record after it: nothing after a tear was ever acknowledged by `sync()`.
///
/// Not `Sendable`: one actor (the consensus driver) owns the log and is the only one to call it, and the compiler
/// holds us to that.
public final class WriteAheadLog {
    /// The largest record body (kind byte and payload) the log writes or accepts; a larger length on disk is corruption.
    public static let maxRecordSize = 4 << 20

    /// The log file's path.
    public let path: String
    /// The records the file held when it was opened (or none after `reset()`), in the order they were appended.
    public private(set) var recovered: [WALRecord]
    /// What recovery cut off at open, if anything; worth logging, since it means the last run ended mid-write.
    public private(set) var warning: String?

    private var fd: Int32
    /// Where the next record goes. Appends use `pwrite` at this offset, so a failed append can be rolled back to it.
    private var end: Int64

    /// Opens the log at `path`, creating it and its folder when missing, and recovers its records.
    ///
    /// - Throws: only when the file cannot be opened, created, read or truncated; a damaged tail is repaired and
    ///   reported in ``warning``.
    public init(path: String) throws(WALError) {
        self.path = path
        let existed = FileManager.default.fileExists(atPath: path)
        let fd: Int32
        do {
            try DurableFile.createParentFolder(of: path)
            fd = try DurableFile.open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o644)
        } catch {
            throw WALError(.io, "cannot open the write-ahead log", error)
        }
        do {
            // A new file's folder entry must be durable too, or a crash could lose the whole log.
            if !existed { try DurableFile.syncFolder(of: path) }
            (recovered, end, warning) = try Self.recover(fd: fd, path: path)
        } catch {
            DurableFile.close(fd)
            throw WALError(.io, "cannot recover the write-ahead log", error)
        }
        self.fd = fd
    }

    deinit { close() }

    /// Appends `record`. It reaches the OS at once (a process crash keeps it) but is durable only after ``sync()``.
    ///
    /// - Throws: `.recordTooLarge` when the body exceeds ``maxRecordSize``, `.closed` after ``close()``, `.io` when the
    ///   write fails (the file is then cut back to its last whole record).
    public func append(_ record: WALRecord) throws(WALError) {
        guard fd >= 0 else { throw WALError(.closed, "append to the closed write-ahead log \(path)") }
        let bodyLength = 1 + record.payload.count
        guard bodyLength <= Self.maxRecordSize else {
            throw WALError(.recordTooLarge, "a record of \(bodyLength) bytes exceeds the write-ahead log's limit of \(Self.maxRecordSize)")
        }
        var body = [UInt8]()
        body.reserveCapacity(bodyLength)
        body.append(record.kind)
        body.append(contentsOf: record.payload)
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + bodyLength)
        DurableFile.appendBigEndian(UInt32(bodyLength), to: &bytes)
        DurableFile.appendBigEndian(CRC32.checksum(body), to: &bytes)
        bytes.append(contentsOf: body)
        do {
            try DurableFile.write(fd, bytes, at: end, path: path)
        } catch {
            // Best effort: leave no half record for the next append to land behind; recovery would cut it anyway.
            _ = ftruncate(fd, off_t(end))
            throw WALError(.io, "cannot append to the write-ahead log", error)
        }
        end += Int64(bytes.count)
    }

    /// Makes every appended record durable (`fsync`). Call it before sending a message that the log records.
    public func sync() throws(WALError) {
        guard fd >= 0 else { throw WALError(.closed, "sync of the closed write-ahead log \(path)") }
        do { try DurableFile.sync(fd, path: path) } catch { throw WALError(.io, "cannot sync the write-ahead log", error) }
    }

    /// Appends `record` and makes it durable: for a message the caller signed and is about to send.
    public func appendSynced(_ record: WALRecord) throws(WALError) {
        try append(record)
        try sync()
    }

    /// Replaces the log with an empty one, for a new height (the previous one is committed in the chain by then).
    ///
    /// Atomic: an empty file is written and synced beside the log, renamed over it and the folder synced, so a crash
    /// leaves either the old log or the empty one. Afterwards ``recovered`` is empty and ``warning`` nil.
    public func reset() throws(WALError) {
        guard fd >= 0 else { throw WALError(.closed, "reset of the closed write-ahead log \(path)") }
        do {
            try DurableFile.replace(path, with: [], mode: 0o644)
        } catch {
            throw WALError(.io, "cannot reset the write-ahead log", error)
        }
        // The old descriptor now names a deleted file; appends through it would vanish, so it goes either way.
        DurableFile.close(fd)
        fd = -1
        do {
            fd = try DurableFile.open(path, O_RDWR | O_CLOEXEC, mode: 0o644)
        } catch {
            throw WALError(.io, "cannot reopen the write-ahead log after its reset (it is now closed)", error)
        }
        end = 0
        recovered = []
        warning = nil
    }

    /// Closes the file. Records appended but not synced are left to the OS; later calls throw `.closed`.
    public func close() {
        guard fd >= 0 else { return }
        DurableFile.close(fd)
        fd = -1
    }

    /// Reads records from the start of the file and cuts it at the first one that is torn or corrupt.
    private static func recover(fd: Int32, path: String) throws(SystemCallError) -> ([WALRecord], Int64, String?) {
        let size = Int64(lseek(fd, 0, SEEK_END))
        guard size >= 0 else { throw SystemCallError("lseek \(path)", errno) }
        var records: [WALRecord] = []
        var offset: Int64 = 0
        var problem: String?
        while offset < size {
            let remaining = size - offset
            guard remaining >= 8 else { problem = "a torn record header"; break }
            let header = try DurableFile.read(fd, count: 8, at: offset, path: path)
            let length = DurableFile.readBigEndian(header, at: 0)
            let crc = DurableFile.readBigEndian(header, at: 4)
            guard length >= 1, length <= maxRecordSize else {
                problem = "a record with an impossible length of \(length) bytes"
                break
            }
            guard remaining - 8 >= Int64(length) else { problem = "a torn record"; break }
            let body = try DurableFile.read(fd, count: Int(length), at: offset + 8, path: path)
            guard body.count == Int(length) else { problem = "a torn record"; break }
            guard CRC32.checksum(body) == crc else { problem = "a record whose checksum does not match"; break }
            records.append(WALRecord(kind: body[0], payload: Array(body[1...])))
            offset += 8 + Int64(length)
        }
        guard let problem else { return (records, offset, nil) }
        guard ftruncate(fd, off_t(offset)) == 0 else { throw SystemCallError("ftruncate \(path)", errno) }
        // The cut must be durable before new records land behind it.
        try DurableFile.sync(fd, path: path)
        return (records, offset, "truncated \(problem) at byte \(offset) (\(size - offset) bytes dropped)")
    }
}

/// A failure of the write-ahead log: a stable code, a message with the system's reason, and where it was thrown.
///
/// Compare on ``code``; the message is free text and may change.
public struct WALError: Error, Sendable, CustomStringConvertible {
    /// A stable, opaque category of ``WALError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// A system call on the log file or its folder failed.
        public static let io = Code("io")
        /// A record is larger than ``WriteAheadLog/maxRecordSize``.
        public static let recordTooLarge = Code("record-too-large")
        /// The log was used after ``WriteAheadLog/close()``.
        public static let closed = Code("closed")

        public var description: String { name }
    }

    /// The error's stable category.
    public let code: Code
    /// A human-readable explanation, with the failed call and the system's reason when there is one.
    public let message: String
    /// The `errno` of the failed system call, if one failed.
    public let errno: Int32?
    /// The source file that threw.
    public let file: String
    /// The source line that threw.
    public let line: Int

    init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.errno = nil
        self.file = file
        self.line = line
    }

    init(_ code: Code, _ context: String, _ cause: SystemCallError, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = "\(context): \(cause)"
        self.errno = cause.errno
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}

/// CRC-32 as in zlib, gzip and PNG (IEEE 802.3): reflected polynomial 0xEDB88320, initial value and final xor all ones.
public enum CRC32 {
    /// The checksum of `bytes`; `checksum(Array("123456789".utf8)) == 0xCBF43926`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8)
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// `table[n]` is the CRC of the single byte `n`, so the loop above takes one lookup per byte.
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
