public import CairnPrimitives
public import CairnTraining
import Foundation
import CairnLedger
import Crypto

/// A participant's secrets for one job, kept encrypted under its home folder: its X25519 encryption key and, per
/// round, its mask key, self-mask seed and its own shares of them. The file is sealed with AES-256-GCM under a key
/// derived (HKDF-SHA256) from the participant's signing key, so it is as safe as the wallet key itself (encrypted by
/// passphrase when the key is), and is replaced atomically so a crash never leaves half of it.
public struct ParticipantVault: Sendable {
    public struct Contents: Sendable, Codable, Equatable {
        public var job: UInt64
        public var encryptionSecret: [UInt8]
        /// Secrets of the rounds, by round; older rounds are dropped as new ones come.
        public var rounds: [UInt32: RoundSecrets]
    }

    public let path: String
    let keyBytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// The vault of `job` for the holder of `signingKey` under `home`.
    public init(home: String, job: UInt64, signingKey: PrivateKey) {
        path = home + "/train/job-\(job)-\(signingKey.publicKey.address.bech32).vault"
        keyBytes = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: signingKey.seed), salt: Array("cairn/train/vault/v1".utf8),
                                          info: StateKey.bigEndian(job), outputByteCount: 32).withUnsafeBytes { Array($0) }
    }

    /// The stored contents, or nil when there is no vault yet. A file that does not open is an error, never replaced.
    public func load() throws -> Contents? {
        guard let sealed = try DurableFile.readIfPresent(path) else { return nil }
        do {
            let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key)
            return try JSONDecoder().decode(Contents.self, from: plain)
        } catch {
            throw TrainerError("the training vault \(path) does not open with this key (\(error)); it is left as it is")
        }
    }

    /// Writes `contents` (keeping the last two rounds' secrets).
    public func store(_ contents: Contents) throws {
        var c = contents
        if let newest = c.rounds.keys.max() { c.rounds = c.rounds.filter { $0.key + 1 >= newest } }
        let plain = try JSONEncoder().encode(c)
        guard let combined = try AES.GCM.seal(plain, using: key).combined else { throw TrainerError("cannot seal the training vault") }
        try DurableFile.createParentFolder(of: path)
        try DurableFile.replace(path, with: Array(combined), mode: 0o600)
    }

    /// The stored contents, or new ones with a fresh encryption secret, stored before they are returned.
    public func loadOrCreate(job: UInt64, randomness: inout some RandomNumberGenerator) throws -> Contents {
        if let c = try load() { return c }
        let c = Contents(job: job, encryptionSecret: (0..<32).map { _ in UInt8.random(in: 0...255, using: &randomness) }, rounds: [:])
        try store(c)
        return c
    }
}
