/// The 8-byte big-endian form of the `UInt64`s the store keeps (head height, root version, node versions).
enum BigEndian {
    static func bytes(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    /// The value of exactly 8 bytes, or nil.
    static func uint64(_ b: some Collection<UInt8>) -> UInt64? {
        b.count == 8 ? b.reduce(0) { $0 << 8 | UInt64($1) } : nil
    }
}

/// A storage failure: an opaque code, a message and the underlying cause if any.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable {
        case missingTreeNode, corruptTree, corruptRecord, headMismatch, io, notFound
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message): \(cause)" }
        return message
    }
}
