import CairnPrimitives

/// A node's identity on the network: the first 20 bytes of SHA-256 of its 32-byte Ed25519 node public key,
/// written as 40 lower-case hexadecimal characters (the CometBFT node id).
///
/// A node proves its id in every handshake by signing with the key it is derived from.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number of bytes in an id.
    public static let byteCount = 20

    /// The 20 bytes.
    public let bytes: [UInt8]

    /// The id of the node whose raw 32-byte Ed25519 public key is `publicKey`.
    public init(publicKey: [UInt8]) {
        bytes = Array(Hash.sha256(publicKey).bytes.prefix(Self.byteCount))
    }

    /// Parses 40 hexadecimal characters (either case; the id is kept in lower case).
    ///
    /// - Throws: ``P2PError/Code/invalidNodeID`` for any other text.
    public init(hex text: String) throws(P2PError) {
        guard text.utf8.count == 2 * Self.byteCount else {
            throw P2PError(.invalidNodeID, "a node id is \(2 * Self.byteCount) hex characters, got \(text.utf8.count) in \"\(text)\"")
        }
        // `[UInt8](hex:)` also takes a 0x prefix; the length check above leaves no room for one.
        guard !text.hasPrefix("0x"), let bytes = [UInt8](hex: text) else {
            throw P2PError(.invalidNodeID, "a node id is hexadecimal, got \"\(text)\"")
        }
        self.bytes = bytes
    }

    /// The 40 lower-case hexadecimal characters.
    public var hex: String { bytes.hexString }

    public var description: String { hex }

    public static func < (a: NodeID, b: NodeID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

extension NodeID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try NodeID(hex: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
