public import CairnPrimitives

/// One participant's secrets for one round: its mask key and self-mask seed, and its own share of each (the share a
/// participant keeps for itself, revealed with the others' for its own seed when its update is in the sum).
public struct RoundSecrets: Sendable, Equatable, Codable {
    public var round: UInt32
    public var maskSecret: [UInt8]
    public var selfSeed: [UInt8]
    public var ownSelfShare: [UInt8]
    public var ownKeyShare: [UInt8]
    /// With it, the Shamir polynomials come from this seed rather than the caller's randomness, so splitting the same
    /// secrets again (a participant that stored them, sent its boxes and was killed before it saw them included)
    /// gives every participant the same shares as the first time. Absent in vaults written before it existed.
    public var splitSeed: [UInt8]?

    public init(round: UInt32, maskSecret: [UInt8], selfSeed: [UInt8], ownSelfShare: [UInt8] = [], ownKeyShare: [UInt8] = [],
                splitSeed: [UInt8]? = nil) {
        self.round = round
        self.maskSecret = maskSecret
        self.selfSeed = selfSeed
        self.ownSelfShare = ownSelfShare
        self.ownKeyShare = ownKeyShare
        self.splitSeed = splitSeed
    }
}

/// The polynomial coefficients of a round's splits drawn from its `splitSeed`: SHA-256 of a tag, the seed and a block
/// counter, four words a block.
struct SplitCoefficients: RandomNumberGenerator {
    let seed: [UInt8]
    var counter: UInt64 = 0
    var words: [UInt64] = []

    init(seed: [UInt8]) { self.seed = seed }

    mutating func next() -> UInt64 {
        if words.isEmpty {
            var input = Array("cairn/train/split".utf8) + seed
            withUnsafeBytes(of: counter.bigEndian) { input.append(contentsOf: $0) }
            counter += 1
            let digest = Hash.sha256(input).bytes
            words = (0..<4).map { i in digest[(i * 8)..<(i * 8 + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        }
        return words.removeLast()
    }
}

/// What a participant sends in each phase of a round, computed from the chain's records and its own secrets. Pure:
/// the caller supplies the randomness and sends the messages.
public enum RoundClient {
    /// Why a step cannot be taken.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// The sharing phase of `secrets.round` (the running round, or the next one shared early): splits the round's two
    /// secrets among all the job's participants (threshold `job.threshold`) and seals each other participant's pair of shares to its encryption key. Returns the message and the secrets
    /// with this participant's own shares filled in (keep them: the unmasking needs them).
    public static func share(job: TrainingJob, me: Participant, members: [Participant], encryptionSecret: [UInt8], secrets: RoundSecrets,
                             randomness: inout some RandomNumberGenerator) throws(Failure) -> (MsgShare, RoundSecrets) {
        guard let maskKey = SecureAggregation.publicKey(ofSecret: secrets.maskSecret) else { throw Failure("the mask secret is not 32 bytes") }
        let xs = members.map(\.shareX)
        let t = Int(job.threshold)
        let selfShares: [[UInt8]], keyShares: [[UInt8]]
        if let seed = secrets.splitSeed {
            var coefficients = SplitCoefficients(seed: seed)
            selfShares = Shamir.split(secrets.selfSeed, threshold: t, xs: xs, coefficients: &coefficients)
            keyShares = Shamir.split(secrets.maskSecret, threshold: t, xs: xs, coefficients: &coefficients)
        } else {
            selfShares = Shamir.split(secrets.selfSeed, threshold: t, xs: xs, coefficients: &randomness)
            keyShares = Shamir.split(secrets.maskSecret, threshold: t, xs: xs, coefficients: &randomness)
        }
        // The round is the secrets' own: the running one, or the next one shared early.
        let scope = SecureAggregation.Scope(job: job.id, round: secrets.round)
        var kept = secrets
        var boxes = [SealedShare]()
        for (i, p) in members.enumerated() {
            let contents = ShareBox.Contents(selfShare: selfShares[i], keyShare: keyShares[i])
            if p.address == me.address {
                kept.ownSelfShare = contents.selfShare
                kept.ownKeyShare = contents.keyShare
                continue
            }
            guard let box = ShareBox.seal(contents, secret: encryptionSecret, peerKey: p.encryptionKey, from: me.address, to: p.address,
                                          scope: scope) else { throw Failure("cannot seal a box to \(p.address.bech32)") }
            boxes.append(SealedShare(to: p.address, box: box))
        }
        let message = MsgShare(jobID: job.id, round: secrets.round, maskKey: maskKey,
                               seedCommitment: SecureAggregation.commitment(toSeed: secrets.selfSeed), boxes: boxes)
        return (message, kept)
    }

    /// The submitting phase: the fixed-point update masked with the self mask and the pairwise masks with every
    /// participant that shared in this round.
    public static func submit(job: TrainingJob, me: Participant, update: [UInt32], secrets: RoundSecrets,
                              shared: [(address: Address, record: ShareRecord)]) throws(Failure) -> MsgSubmit {
        guard update.count == job.dimension else { throw Failure("the update has \(update.count) words, the head \(job.dimension)") }
        guard shared.contains(where: { $0.address == me.address }) else { throw Failure("this participant did not share in round \(job.round)") }
        guard let y = SecureAggregation.mask(update, selfSeed: secrets.selfSeed, maskSecret: secrets.maskSecret, me: me.address,
                                             peers: shared.map { ($0.address, $0.record.maskKey) },
                                             scope: SecureAggregation.Scope(job: job.id, round: job.round))
        else { throw Failure("an agreement with another participant's mask key failed") }
        return MsgSubmit(jobID: job.id, round: job.round, vector: y)
    }

    /// The unmasking phase: for each participant that shared, the share of its self-mask seed when its update is in
    /// the sum, or of its mask key when it is not; never both of one participant, which is what keeps every update
    /// hidden. A box that does not open is skipped.
    public static func unmask(job: TrainingJob, me: Participant, members: [Participant], encryptionSecret: [UInt8], secrets: RoundSecrets,
                              shared: [(address: Address, record: ShareRecord)], submitted: Set<Address>) throws(Failure) -> MsgUnmask {
        guard submitted.contains(me.address) else { throw Failure("only a participant whose update is in the sum reveals shares") }
        let scope = SecureAggregation.Scope(job: job.id, round: job.round)
        let keys = Dictionary(uniqueKeysWithValues: members.map { ($0.address, $0.encryptionKey) })
        var out = [RevealedShare]()
        for (address, record) in shared {
            let inSum = submitted.contains(address)
            if address == me.address {
                out.append(RevealedShare(of: address, share: secrets.ownSelfShare))
                continue
            }
            // A box that does not open (a participant that sealed garbage) leaves that share out; the others' suffice.
            guard let box = record.boxes.first(where: { $0.to == me.address }), let peerKey = keys[address],
                  let contents = ShareBox.open(box.box, secret: encryptionSecret, peerKey: peerKey, from: address, to: me.address, scope: scope)
            else { continue }
            out.append(RevealedShare(of: address, share: inSum ? contents.selfShare : contents.keyShare))
        }
        return MsgUnmask(jobID: job.id, round: job.round, shares: out)
    }
}
