import CairnPrimitives
@preconcurrency import Crypto
import Foundation

/// A node's long-lived Ed25519 key: it signs the handshake challenge of every link, and its public key gives the
/// node's ``NodeID``.
///
/// This is not a validator or account key: `CairnPrimitives.PrivateKey` signs only in its closed set of
/// `SigningDomain`s, so the node key holds a `Curve25519.Signing` key and signs only the handshake's own
/// domain-tagged bytes (see ``Handshake``).
public struct NodeKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// The raw 32-byte Ed25519 public key.
    public let publicKey: [UInt8]
    /// The id derived from ``publicKey``.
    public let id: NodeID

    /// A new random key.
    public init() {
        self.init(key: Curve25519.Signing.PrivateKey())
    }

    /// The key with the 32-byte `seed`.
    ///
    /// - Throws: ``P2PError/Code/invalidKeyFile`` when the seed is not 32 bytes.
    public init(seed: [UInt8]) throws(P2PError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw P2PError(.invalidKeyFile, "a node key seed is 32 bytes, got \(seed.count)")
        }
        self.init(key: key)
    }

    init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
        publicKey = Array(key.publicKey.rawRepresentation)
        id = NodeID(publicKey: publicKey)
    }

    /// The 32-byte seed (the secret).
    public var seed: [UInt8] { Array(key.rawRepresentation) }

    /// An Ed25519 signature over `bytes`.
    func signature(for bytes: [UInt8]) -> [UInt8] {
        // Ed25519 signing fails only when memory runs out.
        Array(try! key.signature(for: bytes))
    }

    /// Whether `signature` is `publicKey`'s Ed25519 signature over `bytes`.
    static func isValidSignature(_ signature: [UInt8], of bytes: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: bytes)
    }
}

// MARK: - The key file

extension NodeKey {
    /// The JSON form of the key file: `{ "id": hex, "public_key": hex, "seed": hex }`.
    struct File: Codable {
        var seed: String
        var publicKey: String
        var id: String

        enum CodingKeys: String, CodingKey {
            case seed
            case publicKey = "public_key"
            case id
        }
    }

    /// Reads the key at `path`, or creates a new one there (mode 0600) when no file exists.
    ///
    /// - Throws: ``P2PError/Code/invalidKeyFile`` for a malformed or inconsistent file, ``P2PError/Code/io`` when
    ///   the file cannot be read or written. An existing file is never overwritten.
    public static func loadOrCreate(path: String) throws(P2PError) -> NodeKey {
        if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
        let key = NodeKey()
        try key.save(path: path)
        return key
    }

    /// Reads the key at `path`, checking that its public key and id match its seed.
    public static func load(path: String) throws(P2PError) -> NodeKey {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw P2PError(.io, "cannot read the node key \(path)", cause: error)
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw P2PError(.invalidKeyFile, "the node key \(path) is not valid JSON of seed, public_key and id", cause: error)
        }
        guard let seed = [UInt8](hex: file.seed), seed.count == 32 else {
            throw P2PError(.invalidKeyFile, "the seed in \(path) is not 64 hex characters")
        }
        let key = try NodeKey(seed: seed)
        guard file.publicKey.lowercased() == key.publicKey.hexString else {
            throw P2PError(.invalidKeyFile, "the public_key in \(path) does not belong to its seed")
        }
        guard file.id.lowercased() == key.id.hex else {
            throw P2PError(.invalidKeyFile, "the id in \(path) is \(file.id), its key gives \(key.id)")
        }
        return key
    }

    /// Writes the key to `path` atomically with owner-only permissions (0600): a temporary file beside it is
    /// written and synced, then renamed over `path`.
    public func save(path: String) throws(P2PError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(File(seed: seed.hexString, publicKey: publicKey.hexString, id: id.hex)) } catch {
            throw P2PError(.io, "cannot encode the node key", cause: error)
        }
        do {
            try DurableFile.createParentFolder(of: path)
            try DurableFile.replace(path, with: Array(data), mode: 0o600)
        } catch {
            throw P2PError(.io, "cannot write the node key to \(path)", cause: error)
        }
    }
}
