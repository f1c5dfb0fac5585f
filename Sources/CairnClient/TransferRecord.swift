public import CairnPrimitives
import Foundation
import Synchronization

/// The final account of one transfer a load run sent: one line of its log.
public struct TransferRecord: Sendable, Equatable, Encodable {
    public var hash: Hash
    public var nonce: UInt64
    public var from: Address
    public var to: Address
    public var amount: Amount
    /// The node (its URL) the transfer was first submitted to.
    public var firstNode: String
    /// When it was first submitted, in Unix milliseconds.
    public var submittedMs: Int64
    /// Whether a node returned its receipt.
    public var committed: Bool
    /// The block it was committed in.
    public var height: UInt64?
    /// Milliseconds from the first submission to the first sighting of its receipt.
    public var latencyMs: Double?
    /// Submissions of its bytes.
    public var attempts: Int
    /// Why it was not committed, or the receipt's error when it was committed but failed.
    public var error: String?

    public init(hash: Hash, nonce: UInt64, from: Address, to: Address, amount: Amount, firstNode: String, submittedMs: Int64,
                committed: Bool, height: UInt64?, latencyMs: Double?, attempts: Int, error: String?) {
        self.hash = hash
        self.nonce = nonce
        self.from = from
        self.to = to
        self.amount = amount
        self.firstNode = firstNode
        self.submittedMs = submittedMs
        self.committed = committed
        self.height = height
        self.latencyMs = latencyMs
        self.attempts = attempts
        self.error = error
    }

    enum Keys: String, CodingKey {
        case hash, nonce, from, to, amount, committed, height, attempts, error
        case firstNode = "first_node", submittedMs = "submitted_ms", latencyMs = "latency_ms"
    }

    /// Every key is written, absent values as `null`, so each line has the same shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(hash.hex, forKey: .hash)
        try c.encode(nonce, forKey: .nonce)
        try c.encode(from.bech32, forKey: .from)
        try c.encode(to.bech32, forKey: .to)
        try c.encode(amount, forKey: .amount)
        try c.encode(firstNode, forKey: .firstNode)
        try c.encode(submittedMs, forKey: .submittedMs)
        try c.encode(committed, forKey: .committed)
        try c.encode(height, forKey: .height)
        try c.encode(latencyMs.map { ($0 * 1000).rounded() / 1000 }, forKey: .latencyMs)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(error, forKey: .error)
    }
}

/// A JSON-lines file of transfer records, each appended with one `write` as soon as it is final, so a reader sees
/// every finished transfer even if the process is killed.
public final class TransferLog: Sendable {
    let handle: Mutex<FileHandle>

    /// Opens `path` for appending, creating it when missing.
    public init(path: String) throws(ClientError) {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path), !fm.createFile(atPath: path, contents: nil) {
            throw ClientError("cannot create the log file \(path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            self.handle = Mutex(handle)
        } catch {
            throw ClientError("cannot open the log file \(path): \(error.localizedDescription)")
        }
    }

    /// Appends `record` as one line.
    public func append(_ record: TransferRecord) throws(ClientError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line: Data
        do { line = try encoder.encode(record) } catch { throw ClientError("cannot encode a log line: \(error)") }
        line.append(0x0A)
        do { try handle.withLock { try $0.write(contentsOf: line) } } catch {
            throw ClientError("cannot write the log: \(error.localizedDescription)")
        }
    }

    deinit { handle.withLock { try? $0.close() } }
}
