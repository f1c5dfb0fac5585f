public import CairnPrimitives
import CairnLedger
import Crypto

/// Secure aggregation after Bonawitz et al. (CCS 2017), with the ledger as the server: each participant adds to its
/// fixed-point update a self mask expanded from a seed it alone knows and, for every other participant of the round,
/// a pairwise mask expanded from their X25519 agreement (added by the lower address, subtracted by the higher), so
/// the pairwise masks cancel only in the sum over everybody. Seeds are Shamir-shared among the participants so the
/// self masks of those who submitted, and the pairwise masks of those who did not, can be removed afterwards.
///
/// Everything here is deterministic given its inputs: randomness (seeds, keys, polynomial coefficients) comes from
/// the caller, so the ledger can run the removal and a participant the masking with the same code.
public enum SecureAggregation {
    /// The width of every seed and secret key, bytes.
    public static let secretBytes = 32
    /// A Shamir share of a 32-byte secret: its x coordinate and 32 bytes of y.
    public static let shareBytes = 33

    /// The commitment a participant publishes to its self-mask seed, so the reconstructed seed can be checked.
    public static func commitment(toSeed seed: [UInt8]) -> Hash {
        Hash.sha256(parts: [Array("cairn/train/self-mask/v1".utf8), seed])
    }

    /// `count` words expanded from `seed`: SHA-256 over the seed and a block counter, eight little-endian words per block.
    public static func expand(_ seed: [UInt8], count: Int) -> [UInt32] {
        var out = [UInt32]()
        out.reserveCapacity(count)
        var counter: UInt64 = 0
        let tag = Array("cairn/train/prg/v1".utf8)
        while out.count < count {
            var hasher = SHA256()
            hasher.update(data: tag)
            hasher.update(data: seed)
            hasher.update(data: StateKey.bigEndian(counter))
            let block = Array(hasher.finalize())
            for i in stride(from: 0, to: 32, by: 4) where out.count < count {
                out.append(UInt32(block[i]) | UInt32(block[i + 1]) << 8 | UInt32(block[i + 2]) << 16 | UInt32(block[i + 3]) << 24)
            }
            counter += 1
        }
        return out
    }

    /// Whether `key` is an X25519 public key whose agreements are not all zero (a low-order point agrees to zero
    /// with every secret, which would make its pairwise masks public).
    public static func isUsableKey(_ key: [UInt8]) -> Bool {
        guard key.count == secretBytes, let pub = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: key),
              let probe = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x5a, count: 32)),
              let shared = try? probe.sharedSecretFromKeyAgreement(with: pub) else { return false }
        // Clamping makes every secret a multiple of the cofactor, so a point of small order agrees to zero with all.
        return shared.withUnsafeBytes { $0.contains { $0 != 0 } }
    }

    /// The public key of an X25519 secret key, or nil when `secret` is not 32 bytes.
    public static func publicKey(ofSecret secret: [UInt8]) -> [UInt8]? {
        guard secret.count == secretBytes, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret) else { return nil }
        return Array(key.publicKey.rawRepresentation)
    }

    /// Where a round's secrets belong: the job and round, bound into every derived key so nothing carries over.
    public struct Scope: Sendable, Equatable {
        public var job: UInt64
        public var round: UInt32
        public init(job: UInt64, round: UInt32) {
            self.job = job
            self.round = round
        }

        var bytes: [UInt8] { StateKey.bigEndian(job) + StateKey.bigEndian(UInt64(round)) }
    }

    /// The seed of the pairwise mask between the holder of `secret` (at `me`) and the owner of `peerKey` (at
    /// `peer`): HKDF-SHA256 over their X25519 agreement, bound to the scope and the two addresses in order. Nil when
    /// the agreement fails (a low-order key).
    public static func pairSeed(secret: [UInt8], me: Address, peerKey: [UInt8], peer: Address, scope: Scope) -> [UInt8]? {
        guard secret.count == secretBytes, let priv = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret),
              let pub = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerKey),
              let shared = try? priv.sharedSecretFromKeyAgreement(with: pub) else { return nil }
        let (lo, hi) = me.bytes.lexicographicallyPrecedes(peer.bytes) ? (me, peer) : (peer, me)
        let key = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: Array("cairn/train/pair-mask/v1".utf8),
                                                 sharedInfo: scope.bytes + lo.bytes + hi.bytes, outputByteCount: 32)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Whether the participant at `me` adds (true) or subtracts (false) its pairwise mask with `peer`.
    public static func adds(_ me: Address, over peer: Address) -> Bool { me.bytes.lexicographicallyPrecedes(peer.bytes) }

    /// A participant's masked input: `update` plus its self mask plus or minus its pairwise mask with every peer, all
    /// modulo 2^32. Nil when an agreement with a peer fails.
    public static func mask(_ update: [UInt32], selfSeed: [UInt8], maskSecret: [UInt8], me: Address,
                            peers: [(address: Address, maskKey: [UInt8])], scope: Scope) -> [UInt32]? {
        var y = update
        add(expand(selfSeed, count: y.count), into: &y, sign: true)
        for peer in peers where peer.address != me {
            guard let seed = pairSeed(secret: maskSecret, me: me, peerKey: peer.maskKey, peer: peer.address, scope: scope) else { return nil }
            add(expand(seed, count: y.count), into: &y, sign: adds(me, over: peer.address))
        }
        return y
    }

    /// Adds (or subtracts) `mask` into `vector`, word by word modulo 2^32.
    public static func add(_ mask: [UInt32], into vector: inout [UInt32], sign: Bool) {
        precondition(mask.count == vector.count)
        if sign {
            for i in vector.indices { vector[i] &+= mask[i] }
        } else {
            for i in vector.indices { vector[i] &-= mask[i] }
        }
    }

    // MARK: - Fixed point

    /// `values` scaled by 2^`bits`, rounded, clamped to ±`limit`, as two's-complement words. The default limit keeps a
    /// sum over a job's most participants (64) inside 32 bits.
    public static func quantize(_ values: [Float], bits: Int, limit: Int32 = Int32.max / 64) -> [UInt32] {
        let scale = Double(1 << bits)
        return values.map { v in
            let q = (Double(v) * scale).rounded()
            let c = q.isNaN ? 0 : max(Double(-limit), min(Double(limit), q))
            return UInt32(bitPattern: Int32(c))
        }
    }

    /// Two's-complement words read back as reals scaled by 2^-`bits`.
    public static func dequantize(_ words: [UInt32], bits: Int) -> [Float] {
        let scale = 1 / Double(1 << bits)
        return words.map { Float(Double(Int32(bitPattern: $0)) * scale) }
    }
}
