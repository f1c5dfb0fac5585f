public import CairnPrimitives
public import Foundation
import Crypto
import _CryptoExtras

/// Named keys kept under a home folder's `keys/`, one file per key, readable by the owner only.
///
/// Two backends: `test` stores the seed in clear (devnets and tests); `file` encrypts it with a
/// passphrase (scrypt, N=2^15, r=8, p=1, then AES-256-GCM).
public struct Keyring: Sendable {
    /// How a key is kept on disk.
    public enum Backend: String, Sendable, Codable, CaseIterable {
        case test
        case file
    }

    public let directory: URL

    public init(home: String) {
        directory = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("keys")
    }

    /// A key as listed: its name, address and backend.
    public struct Info: Sendable, Codable {
        public var name: String
        public var address: Address
        public var publicKey: String
        public var backend: Backend
    }

    struct Stored: Codable {
        var name: String
        var address: Address
        var publicKey: String
        var backend: Backend
        /// Hex seed, for `test`.
        var seed: String?
        /// For `file`: scrypt salt, AES-GCM sealed box (nonce + ciphertext + tag), all hex.
        var salt: String?
        var sealed: String?
    }

    func file(_ name: String) -> URL { directory.appendingPathComponent("\(name).json") }

    static func checkName(_ name: String) throws(ClientError) {
        guard (1...64).contains(name.count),
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }),
              !name.hasPrefix(".") else {
            throw ClientError("key name '\(name)' is invalid: use 1 to 64 letters, digits, '-', '_' or '.'")
        }
    }

    /// Adds `key` (a new random one by default) under `name`; refuses an existing name.
    @discardableResult
    public func add(_ name: String, key: PrivateKey = PrivateKey(), backend: Backend, passphrase: String? = nil) throws(ClientError) -> Info {
        try Keyring.checkName(name)
        guard !FileManager.default.fileExists(atPath: file(name).path) else { throw ClientError("a key named '\(name)' already exists") }
        let pub = key.publicKey
        var stored = Stored(name: name, address: pub.address, publicKey: pub.rawRepresentation.hexString, backend: backend)
        switch backend {
        case .test:
            stored.seed = key.seed.hexString
        case .file:
            guard let passphrase, passphrase.count >= 8 else { throw ClientError("the passphrase must be at least 8 characters") }
            let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
            do {
                let k = try Keyring.derive(passphrase, salt: salt)
                let box = try AES.GCM.seal(key.seed, using: k)
                stored.salt = salt.hexString
                stored.sealed = Array(box.combined!).hexString
            } catch {
                throw ClientError("cannot encrypt the key: \(error)")
            }
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let data = try JSONEncoder().encode(stored)
            let tmp = file(name).appendingPathExtension("tmp")
            guard FileManager.default.createFile(atPath: tmp.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw ClientError("cannot write \(tmp.path)")
            }
            try FileManager.default.moveItem(at: tmp, to: file(name))
        } catch let e as ClientError {
            throw e
        } catch {
            throw ClientError("cannot store the key: \(error)")
        }
        return Info(name: name, address: stored.address, publicKey: stored.publicKey, backend: backend)
    }

    static func derive(_ passphrase: String, salt: [UInt8]) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(from: Array(passphrase.utf8), salt: salt, outputByteCount: 32, rounds: 1 << 15,
                                 blockSize: 8, parallelism: 1)
    }

    func load(_ name: String) throws(ClientError) -> Stored {
        try Keyring.checkName(name)
        let data: Data
        do { data = try Data(contentsOf: file(name)) } catch {
            throw ClientError("no key named '\(name)' in \(directory.path) (add one with `cairn keys add \(name)`)")
        }
        do { return try JSONDecoder().decode(Stored.self, from: data) } catch {
            throw ClientError("the key file \(file(name).path) is corrupt: \(error)")
        }
    }

    /// The public information of `name`.
    public func show(_ name: String) throws(ClientError) -> Info {
        let s = try load(name)
        return Info(name: s.name, address: s.address, publicKey: s.publicKey, backend: s.backend)
    }

    /// Every key, sorted by name.
    public func list() throws(ClientError) -> [Info] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        } catch {
            return []
        }
        return try names.sorted().map { name throws(ClientError) in try show(String(name.dropLast(5))) }
    }

    /// Whether `name` needs a passphrase to sign.
    public func isEncrypted(_ name: String) throws(ClientError) -> Bool { try load(name).backend == .file }

    /// The private key of `name`, decrypting with `passphrase` when it is encrypted.
    public func privateKey(_ name: String, passphrase: String? = nil) throws(ClientError) -> PrivateKey {
        let s = try load(name)
        let seed: [UInt8]
        switch s.backend {
        case .test:
            guard let hex = s.seed, let bytes = [UInt8](hex: hex) else { throw ClientError("key '\(name)' has no valid seed") }
            seed = bytes
        case .file:
            guard let passphrase else { throw ClientError("key '\(name)' is encrypted: a passphrase is needed") }
            guard let salt = s.salt.flatMap({ [UInt8](hex: $0) }), let sealed = s.sealed.flatMap({ [UInt8](hex: $0) }) else {
                throw ClientError("key file of '\(name)' is corrupt")
            }
            do {
                let box = try AES.GCM.SealedBox(combined: sealed)
                seed = Array(try AES.GCM.open(box, using: try Keyring.derive(passphrase, salt: salt)))
            } catch {
                throw ClientError("wrong passphrase for key '\(name)'")
            }
        }
        let key: PrivateKey
        do { key = try PrivateKey(seed: seed) } catch { throw ClientError("key '\(name)' is corrupt: \(error)") }
        guard key.publicKey.address == s.address else { throw ClientError("key file of '\(name)' does not match its address") }
        return key
    }
}
