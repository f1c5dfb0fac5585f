public import Foundation
@preconcurrency import Crypto

/// The domain-separation tag of each kind of signed object; a signature made for one kind never verifies as another.
public enum SigningDomain: String, Sendable, CaseIterable {
    case transaction = "cairn/tx/v1"
    case block = "cairn/block/v1"
    case vote = "cairn/vote/v1"
    case proposal = "cairn/proposal/v1"
    case voucher = "cairn/voucher/v1"
    case receipt = "cairn/receipt/v1"

    /// The bytes that are signed: tag, chain id and payload, each length-prefixed.
    public func signingBytes(chainID: String, payload: [UInt8]) -> [UInt8] {
        var w = CanonicalWriter()
        w.write(rawValue)
        w.write(chainID)
        w.write(bytes: payload)
        return w.bytes
    }
}

/// An Ed25519 public key.
public struct PublicKey: Hashable, Sendable {
    /// The 32 raw bytes.
    public let rawRepresentation: [UInt8]
    let key: Curve25519.Signing.PublicKey

    /// Wraps 32 raw bytes; nil if they are not a valid key.
    public init?(rawRepresentation bytes: [UInt8]) {
        guard bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return nil }
        self.key = key
        self.rawRepresentation = bytes
    }

    /// The address derived from this key.
    public var address: Address { Address(publicKey: self) }

    /// Checks `signature` over `payload` in `domain` on `chainID`.
    public func isValidSignature(_ signature: [UInt8], domain: SigningDomain, chainID: String, payload: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        return key.isValidSignature(signature, for: domain.signingBytes(chainID: chainID, payload: payload))
    }

    public static func == (a: PublicKey, b: PublicKey) -> Bool { a.rawRepresentation == b.rawRepresentation }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }
}

/// An Ed25519 private key.
public struct PrivateKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() {
        key = Curve25519.Signing.PrivateKey()
    }

    /// A key from its 32-byte seed.
    public init(seed: [UInt8]) throws(KeyError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw KeyError(message: "a private key seed is 32 bytes")
        }
        self.key = key
    }

    /// A deterministic key from a passphrase-free label, for dev accounts and tests only.
    public static func deterministic(_ label: String) -> PrivateKey {
        // Safe: SHA-256 always gives 32 bytes.
        try! PrivateKey(seed: Hash.sha256(Array(label.utf8)).bytes)
    }

    /// The 32-byte seed.
    public var seed: [UInt8] { Array(key.rawRepresentation) }

    /// The matching public key.
    public var publicKey: PublicKey {
        PublicKey(rawRepresentation: Array(key.publicKey.rawRepresentation))!
    }

    /// Signs `payload` in `domain` on `chainID`.
    public func sign(domain: SigningDomain, chainID: String, payload: [UInt8]) -> [UInt8] {
        // Ed25519 signing only fails on allocation failure.
        Array(try! key.signature(for: domain.signingBytes(chainID: chainID, payload: payload)))
    }
}

/// A malformed key.
public struct KeyError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
