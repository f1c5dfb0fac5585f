import CairnPrimitives
@preconcurrency import Crypto
import Foundation

/// The authenticated key exchange that opens every link (the shape of CometBFT's SecretConnection), as pure steps:
/// no socket, no clock. ``Handshake/perform(over:nodeKey:)`` drives it over a ``ByteStream``.
///
/// 1. Each side sends a hello: the magic `CAIRNP2P`, the version byte and a fresh X25519 public key.
/// 2. Each computes the X25519 shared secret (refusing an all-zero one), the transcript
///    `SHA-256(len | "cairn/p2p/transcript/v1" | lower key | higher key)` and
///    `HKDF-SHA256(secret, salt: transcript, info: "cairn/p2p/keys/v1")` → 96 bytes: the key of frames sent by the
///    side with the lower ephemeral key, the key of frames sent by the other, and a 32-byte challenge.
/// 3. Each sends, as its first sealed frame, its Ed25519 node public key and its signature over
///    `len | "cairn/p2p/handshake/v1" | challenge | its own ephemeral key`; each verifies the other's.
struct Handshake: Sendable {
    /// The 8 bytes every hello starts with.
    static let magic = Array("CAIRNP2P".utf8)
    /// The protocol version this build speaks.
    static let version: UInt8 = 1
    /// The bytes of a hello: magic, version and a 32-byte X25519 public key.
    static let helloSize = magic.count + 1 + 32

    static let transcriptLabel = "cairn/p2p/transcript/v1"
    static let keyInfo = "cairn/p2p/keys/v1"
    static let signatureDomain = "cairn/p2p/handshake/v1"

    let nodeKey: NodeKey
    let ephemeral: Curve25519.KeyAgreement.PrivateKey

    /// A handshake for `nodeKey` with a fresh ephemeral key (tests may pass their own).
    init(nodeKey: NodeKey, ephemeral: Curve25519.KeyAgreement.PrivateKey = .init()) {
        self.nodeKey = nodeKey
        self.ephemeral = ephemeral
    }

    /// Our ephemeral public key.
    var ephemeralPublicKey: [UInt8] { Array(ephemeral.publicKey.rawRepresentation) }

    /// The hello to send first.
    var hello: [UInt8] { Self.magic + [Self.version] + ephemeralPublicKey }

    /// The session keys, the challenge and our auth frame, from the peer's hello.
    ///
    /// - Throws: ``P2PError/Code/protocolMismatch`` for a wrong magic or version, ``P2PError/Code/weakKey`` for
    ///   a peer key that repeats ours or gives a low-order (all-zero) shared secret.
    func keys(peerHello: [UInt8]) throws(P2PError) -> SessionKeys {
        guard peerHello.count == Self.helloSize, Array(peerHello.prefix(Self.magic.count)) == Self.magic else {
            throw P2PError(.protocolMismatch, "the peer did not open with a Cairn p2p hello")
        }
        guard peerHello[Self.magic.count] == Self.version else {
            throw P2PError(.protocolMismatch, "the peer speaks p2p version \(peerHello[Self.magic.count]), this node \(Self.version)")
        }
        let peerEphemeral = Array(peerHello.suffix(32))
        let local = ephemeralPublicKey
        // Equal keys would leave the two directions without an order, and mean our own hello came back.
        guard peerEphemeral != local else { throw P2PError(.weakKey, "the peer's ephemeral key is our own") }
        guard let peerKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerEphemeral),
              let shared = try? ephemeral.sharedSecretFromKeyAgreement(with: peerKey)
        else { throw P2PError(.weakKey, "the peer's ephemeral key is not an X25519 key") }
        // A low-order point gives the all-zero secret, which an attacker in the middle would know too.
        let isZero = shared.withUnsafeBytes { raw in raw.allSatisfy { $0 == 0 } }
        guard !isZero else { throw P2PError(.weakKey, "the peer's ephemeral key is of low order (all-zero shared secret)") }

        let localIsLower = local.lexicographicallyPrecedes(peerEphemeral)
        let (lower, higher) = localIsLower ? (local, peerEphemeral) : (peerEphemeral, local)
        let transcript = Self.transcript(lower: lower, higher: higher)
        let okm = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: transcript, sharedInfo: Array(Self.keyInfo.utf8), outputByteCount: 96)
        let material = okm.withUnsafeBytes { Array($0) }
        let lowerKey = SymmetricKey(data: material[0..<32])
        let higherKey = SymmetricKey(data: material[32..<64])
        return SessionKeys(
            send: localIsLower ? lowerKey : higherKey,
            receive: localIsLower ? higherKey : lowerKey,
            challenge: Array(material[64..<96]),
            localEphemeral: local,
            peerEphemeral: peerEphemeral)
    }

    /// The auth frame to send: our node public key and our signature over the challenge.
    func authFrame(_ keys: SessionKeys) -> Frame {
        let signed = Self.signedBytes(challenge: keys.challenge, signerEphemeral: keys.localEphemeral)
        return .auth(publicKey: nodeKey.publicKey, signature: nodeKey.signature(for: signed))
    }

    /// Checks the peer's auth frame and gives its node public key and id.
    ///
    /// - Throws: ``P2PError/Code/handshakeFailed`` when the frame is not an auth frame,
    ///   ``P2PError/Code/badSignature`` when the key is invalid or the signature does not verify.
    static func verify(_ frame: Frame, keys: SessionKeys) throws(P2PError) -> (publicKey: [UInt8], id: NodeID) {
        guard case .auth(let publicKey, let signature) = frame else {
            throw P2PError(.handshakeFailed, "the peer's first frame is not its proof of identity")
        }
        let signed = signedBytes(challenge: keys.challenge, signerEphemeral: keys.peerEphemeral)
        guard NodeKey.isValidSignature(signature, of: signed, publicKey: publicKey) else {
            throw P2PError(.badSignature, "the peer's handshake signature does not verify with its node key")
        }
        return (publicKey, NodeID(publicKey: publicKey))
    }

    /// `SHA-256(u32be(len(label)) | label | lower | higher)`.
    static func transcript(lower: [UInt8], higher: [UInt8]) -> [UInt8] {
        var w = CanonicalWriter()
        w.write(transcriptLabel)
        var bytes = w.bytes
        bytes += lower
        bytes += higher
        return Hash.sha256(bytes).bytes
    }

    /// `u32be(len(domain)) | domain | challenge | signer's ephemeral key`: what each side signs.
    static func signedBytes(challenge: [UInt8], signerEphemeral: [UInt8]) -> [UInt8] {
        var w = CanonicalWriter()
        w.write(signatureDomain)
        return w.bytes + challenge + signerEphemeral
    }
}

/// What the key exchange gives one side: a key per direction and the challenge both sign.
struct SessionKeys: Sendable {
    let send: SymmetricKey
    let receive: SymmetricKey
    let challenge: [UInt8]
    let localEphemeral: [UInt8]
    let peerEphemeral: [UInt8]
}
