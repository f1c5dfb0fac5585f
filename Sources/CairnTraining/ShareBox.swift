public import CairnPrimitives
import Crypto

/// The sealed envelope that carries a participant's two shares (of its self-mask seed and of its mask secret key)
/// to one other participant through the chain: ChaCha20-Poly1305 under a key derived from the X25519 agreement of
/// their encryption keys, bound to the job, the round and both addresses, so nobody else can read it and it cannot
/// be replayed into another round or to another recipient.
public enum ShareBox {
    /// What a box holds: one share of each secret.
    public struct Contents: Sendable, Equatable {
        public var selfShare: [UInt8]
        public var keyShare: [UInt8]
        public init(selfShare: [UInt8], keyShare: [UInt8]) {
            self.selfShare = selfShare
            self.keyShare = keyShare
        }
    }

    /// The sealed size: two shares and the 28 bytes of nonce and tag.
    public static let sealedBytes = 2 * SecureAggregation.shareBytes + 28

    static func key(secret: [UInt8], peerKey: [UInt8], from: Address, to: Address, scope: SecureAggregation.Scope) -> SymmetricKey? {
        guard let priv = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret),
              let pub = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerKey),
              let shared = try? priv.sharedSecretFromKeyAgreement(with: pub) else { return nil }
        return shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: Array("cairn/train/share-box/v1".utf8),
                                              sharedInfo: scope.bytes + from.bytes + to.bytes, outputByteCount: 32)
    }

    /// Seals `contents` from `from` (holding the encryption secret `secret`) to `to` (whose encryption key is
    /// `peerKey`). The nonce is fixed: each key seals exactly one box.
    public static func seal(_ contents: Contents, secret: [UInt8], peerKey: [UInt8], from: Address, to: Address,
                            scope: SecureAggregation.Scope) -> [UInt8]? {
        guard let key = key(secret: secret, peerKey: peerKey, from: from, to: to, scope: scope),
              let box = try? ChaChaPoly.seal(contents.selfShare + contents.keyShare, using: key,
                                             nonce: try ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        else { return nil }
        return Array(box.combined)
    }

    /// Opens a box sealed by `from` (whose encryption key is `peerKey`) to `to` (holding `secret`); nil when it does
    /// not open.
    public static func open(_ sealed: [UInt8], secret: [UInt8], peerKey: [UInt8], from: Address, to: Address,
                            scope: SecureAggregation.Scope) -> Contents? {
        guard let key = key(secret: secret, peerKey: peerKey, from: from, to: to, scope: scope),
              let box = try? ChaChaPoly.SealedBox(combined: sealed),
              let plain = try? ChaChaPoly.open(box, using: key), plain.count == 2 * SecureAggregation.shareBytes
        else { return nil }
        let bytes = Array(plain)
        return Contents(selfShare: Array(bytes[0..<SecureAggregation.shareBytes]), keyShare: Array(bytes[SecureAggregation.shareBytes...]))
    }
}
