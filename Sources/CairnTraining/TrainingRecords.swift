public import CairnPrimitives
public import CairnLedger

/// The head a job trains over the base model's frozen embeddings.
public struct HeadSpec: Sendable, Equatable, Codable, CanonicalCodable {
    /// The embedding width of the base model (384 for MiniLM).
    public var inputs: UInt32
    /// Hidden units of a one-hidden-layer MLP; 0 for a linear classifier.
    public var hidden: UInt32

    public init(inputs: UInt32, hidden: UInt32 = 0) {
        self.inputs = inputs
        self.hidden = hidden
    }

    /// How many numbers the head holds for `labels` classes: weights then biases, layer by layer.
    public func parameterCount(labels: Int) -> Int {
        let n = Int(inputs), h = Int(hidden)
        return h == 0 ? n * labels + labels : n * h + h + h * labels + labels
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(inputs)
        w.write(hidden)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        inputs = try r.readUInt32()
        hidden = try r.readUInt32()
    }
}

/// The privacy and optimisation settings every participant's local training follows.
public struct TrainingSettings: Sendable, Equatable, Codable, CanonicalCodable {
    /// DP-SGD's per-record gradient clip norm, thousandths.
    public var clipNormMilli: UInt32
    /// DP-SGD's noise multiplier (noise σ = multiplier × clip norm), thousandths; 0 trains without noise.
    public var noiseMultiplierMilli: UInt32
    /// The local learning rate, thousandths.
    public var learningRateMilli: UInt32
    /// Local passes over a participant's records per round.
    public var localEpochs: UInt32
    /// Records per local step (the sampling rate is this over a participant's records).
    public var batchSize: UInt32
    /// Updates travel as integers scaled by 2^fixedPointBits.
    public var fixedPointBits: UInt8

    public init(clipNormMilli: UInt32 = 1_000, noiseMultiplierMilli: UInt32 = 0, learningRateMilli: UInt32 = 500, localEpochs: UInt32 = 1,
                batchSize: UInt32 = 32, fixedPointBits: UInt8 = 16) {
        self.clipNormMilli = clipNormMilli
        self.noiseMultiplierMilli = noiseMultiplierMilli
        self.learningRateMilli = learningRateMilli
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.fixedPointBits = fixedPointBits
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(clipNormMilli)
        w.write(noiseMultiplierMilli)
        w.write(learningRateMilli)
        w.write(localEpochs)
        w.write(batchSize)
        w.write(fixedPointBits)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        clipNormMilli = try r.readUInt32()
        noiseMultiplierMilli = try r.readUInt32()
        learningRateMilli = try r.readUInt32()
        localEpochs = try r.readUInt32()
        batchSize = try r.readUInt32()
        fixedPointBits = try r.readUInt8()
    }
}

/// Where a job is in its life.
public enum JobStatus: UInt8, Sendable, Codable, CaseIterable {
    /// Taking participants until its join deadline or its maximum.
    case joining = 0
    /// Running rounds.
    case training = 1
    /// Every round aggregated.
    case finished = 2
    /// Ended early: too few joined, or a round lacked participants; the pool's remainder went back to its creator.
    case failed = 3

    public var name: String { ["joining", "training", "finished", "failed"][Int(rawValue)] }
    public var isOver: Bool { self == .finished || self == .failed }
}

/// The step a running round is in.
public enum RoundPhase: UInt8, Sendable, Codable {
    /// Participants publish their round's mask key and seal shares of their secrets to each other.
    case sharing = 0
    /// Participants that shared submit their masked updates; the chain adds them up.
    case submitting = 1
    /// Participants that submitted reveal the shares the chain needs to take the masks off the sum.
    case unmasking = 2

    public var name: String { ["sharing", "submitting", "unmasking"][Int(rawValue)] }
}

/// A training job, at `train/job/<id>`.
public struct TrainingJob: Sendable, Equatable, CanonicalCodable {
    public var id: UInt64
    public var creator: Address
    /// The registered base model whose embeddings the head reads.
    public var baseModel: UInt64
    public var labels: [String]
    public var head: HeadSpec
    public var settings: TrainingSettings
    public var rounds: UInt32
    public var minParticipants: UInt32
    public var maxParticipants: UInt32
    /// Blocks each round may take; a third of them for each phase.
    public var roundBlocks: UInt64
    /// The hash of the held-out test set the creator reveals at the end.
    public var testSetHash: Hash
    /// The reward pool, held in escrow from creation; a round pays `reward / rounds`.
    public var reward: Amount
    /// What each participant locks to join, returned when the job ends.
    public var stake: Amount
    public var status: JobStatus
    public var createdHeight: UInt64
    public var joinDeadline: UInt64
    public var participants: UInt32
    /// Shares needed to rebuild a secret: a majority of the participants, set when training starts.
    public var threshold: UInt32
    /// The round running (1-based) or, once over, the last one that ran.
    public var round: UInt32
    public var phase: RoundPhase
    public var roundStart: UInt64
    /// The last height the current phase accepts messages in.
    public var phaseDeadline: UInt64
    /// Paid out of the pool so far.
    public var paid: Amount
    /// Why a failed job ended (or, for a finished one, why its model could not be registered).
    public var failure: String
    public var royaltyBps: UInt32
    public var licence: String
    /// The model NFT the finished job registered (0: none).
    public var modelID: UInt64
    /// Whether the creator revealed the test set matching `testSetHash`, and the accuracy it stated on it (basis points).
    public var testRevealed: Bool
    public var accuracyBps: UInt32

    /// The parameters of the head: the length of every update.
    public var dimension: Int { head.parameterCount(labels: labels.count) }

    public func encode(to w: inout CanonicalWriter) {
        w.write(id)
        w.write(creator)
        w.write(baseModel)
        w.write(array: labels) { $0.write($1) }
        head.encode(to: &w)
        settings.encode(to: &w)
        w.write(rounds)
        w.write(minParticipants)
        w.write(maxParticipants)
        w.write(roundBlocks)
        w.write(testSetHash)
        w.write(reward)
        w.write(stake)
        w.write(status.rawValue)
        w.write(createdHeight)
        w.write(joinDeadline)
        w.write(participants)
        w.write(threshold)
        w.write(round)
        w.write(phase.rawValue)
        w.write(roundStart)
        w.write(phaseDeadline)
        w.write(paid)
        w.write(failure)
        w.write(royaltyBps)
        w.write(licence)
        w.write(modelID)
        w.write(testRevealed)
        w.write(accuracyBps)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        id = try r.readUInt64()
        creator = try r.readAddress()
        baseModel = try r.readUInt64()
        labels = try r.readArray(limit: 256) { (r) throws(DecodeError) in try r.readString(limit: 64) }
        head = try HeadSpec(from: &r)
        settings = try TrainingSettings(from: &r)
        rounds = try r.readUInt32()
        minParticipants = try r.readUInt32()
        maxParticipants = try r.readUInt32()
        roundBlocks = try r.readUInt64()
        testSetHash = try r.readHash()
        reward = try r.readAmount()
        stake = try r.readAmount()
        guard let s = JobStatus(rawValue: try r.readUInt8()) else { throw DecodeError("unknown job status") }
        status = s
        createdHeight = try r.readUInt64()
        joinDeadline = try r.readUInt64()
        participants = try r.readUInt32()
        threshold = try r.readUInt32()
        round = try r.readUInt32()
        guard let p = RoundPhase(rawValue: try r.readUInt8()) else { throw DecodeError("unknown round phase") }
        phase = p
        roundStart = try r.readUInt64()
        phaseDeadline = try r.readUInt64()
        paid = try r.readAmount()
        failure = try r.readString(limit: 512)
        royaltyBps = try r.readUInt32()
        licence = try r.readString(limit: 64)
        modelID = try r.readUInt64()
        testRevealed = try r.readBool()
        accuracyBps = try r.readUInt32()
    }

    /// A new job as `m` creates it at `height`.
    public init(id: UInt64, creator: Address, m: MsgCreateJob, height: UInt64) {
        self.id = id
        self.creator = creator
        baseModel = m.baseModel
        labels = m.labels
        head = m.head
        settings = m.settings
        rounds = m.rounds
        minParticipants = m.minParticipants
        maxParticipants = m.maxParticipants
        roundBlocks = m.roundBlocks
        testSetHash = m.testSetHash
        reward = m.reward
        stake = m.stake
        status = .joining
        createdHeight = height
        joinDeadline = height + m.joinBlocks
        participants = 0
        threshold = 0
        round = 0
        phase = .sharing
        roundStart = 0
        phaseDeadline = 0
        paid = .zero
        failure = ""
        royaltyBps = m.royaltyBps
        licence = m.licence
        modelID = 0
        testRevealed = false
        accuracyBps = 0
    }
}

/// A participant of a job, at `train/member/<job>/<address>`.
public struct Participant: Sendable, Equatable, CanonicalCodable {
    public var address: Address
    /// Its place in join order; its shares' x coordinate is `index + 1`.
    public var index: UInt32
    /// The Merkle root over the hashes of the records it trains on, fixed before training starts.
    public var dataRoot: Hash
    public var records: UInt64
    /// Its X25519 key for the boxes that carry shares to it.
    public var encryptionKey: [UInt8]
    public var stake: Amount
    /// Rounds whose aggregate holds its update.
    public var contributed: UInt32
    /// Rewards paid to it.
    public var earned: Amount

    public init(address: Address, index: UInt32, dataRoot: Hash, records: UInt64, encryptionKey: [UInt8], stake: Amount) {
        self.address = address
        self.index = index
        self.dataRoot = dataRoot
        self.records = records
        self.encryptionKey = encryptionKey
        self.stake = stake
        contributed = 0
        earned = .zero
    }

    public var shareX: UInt8 { UInt8(index + 1) }

    public func encode(to w: inout CanonicalWriter) {
        w.write(address)
        w.write(index)
        w.write(dataRoot)
        w.write(records)
        w.write(bytes: encryptionKey)
        w.write(stake)
        w.write(contributed)
        w.write(earned)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        address = try r.readAddress()
        index = try r.readUInt32()
        dataRoot = try r.readHash()
        records = try r.readUInt64()
        encryptionKey = try r.readBytes(limit: 32)
        stake = try r.readAmount()
        contributed = try r.readUInt32()
        earned = try r.readAmount()
    }
}

/// What a participant published for a round in the sharing phase, at `train/share/<job>/<round>/<address>`.
public struct ShareRecord: Sendable, Equatable, CanonicalCodable {
    /// Its X25519 mask key for this round.
    public var maskKey: [UInt8]
    /// SHA-256 commitment to its self-mask seed.
    public var seedCommitment: Hash
    /// One sealed box per other participant, by address.
    public var boxes: [SealedShare]

    public init(maskKey: [UInt8], seedCommitment: Hash, boxes: [SealedShare]) {
        self.maskKey = maskKey
        self.seedCommitment = seedCommitment
        self.boxes = boxes
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(bytes: maskKey)
        w.write(seedCommitment)
        w.write(array: boxes) { $1.encode(to: &$0) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        maskKey = try r.readBytes(limit: 32)
        seedCommitment = try r.readHash()
        boxes = try r.readArray(limit: 256) { (r) throws(DecodeError) in try SealedShare(from: &r) }
    }
}

/// A sealed box for one recipient.
public struct SealedShare: Sendable, Equatable, Codable, CanonicalCodable {
    public var to: Address
    public var box: [UInt8]

    public init(to: Address, box: [UInt8]) {
        self.to = to
        self.box = box
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(to)
        w.write(bytes: box)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        to = try r.readAddress()
        box = try r.readBytes(limit: 256)
    }
}

/// A finished round, at `train/round/<job>/<round>`: who took part and what the chain published.
public struct RoundRecord: Sendable, Equatable, CanonicalCodable {
    public var round: UInt32
    /// Participants that shared, in index order.
    public var shared: [Address]
    /// Of those, the ones whose masked update is in the sum.
    public var submitted: [Address]
    /// SHA-256 over the aggregate's words (big-endian).
    public var aggregateHash: Hash
    /// Paid to each contributor.
    public var rewardEach: Amount
    public var startHeight: UInt64
    public var endHeight: UInt64

    public func encode(to w: inout CanonicalWriter) {
        w.write(round)
        w.write(array: shared) { $0.write($1) }
        w.write(array: submitted) { $0.write($1) }
        w.write(aggregateHash)
        w.write(rewardEach)
        w.write(startHeight)
        w.write(endHeight)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        round = try r.readUInt32()
        shared = try r.readArray(limit: 256) { (r) throws(DecodeError) in try r.readAddress() }
        submitted = try r.readArray(limit: 256) { (r) throws(DecodeError) in try r.readAddress() }
        aggregateHash = try r.readHash()
        rewardEach = try r.readAmount()
        startHeight = try r.readUInt64()
        endHeight = try r.readUInt64()
    }

    init(round: UInt32, shared: [Address], submitted: [Address], aggregateHash: Hash, rewardEach: Amount, startHeight: UInt64, endHeight: UInt64) {
        self.round = round
        self.shared = shared
        self.submitted = submitted
        self.aggregateHash = aggregateHash
        self.rewardEach = rewardEach
        self.startHeight = startHeight
        self.endHeight = endHeight
    }
}

/// Words as they are hashed and stored: big-endian, four bytes each.
public enum Words {
    public static func bytes(_ words: [UInt32]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(words.count * 4)
        for v in words { out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        return out
    }

    public static func words(_ bytes: [UInt8]) -> [UInt32]? {
        guard bytes.count % 4 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map {
            UInt32(bytes[$0]) << 24 | UInt32(bytes[$0 + 1]) << 16 | UInt32(bytes[$0 + 2]) << 8 | UInt32(bytes[$0 + 3])
        }
    }

    /// SHA-256 over the words' bytes.
    public static func hash(_ words: [UInt32]) -> Hash { Hash.sha256(bytes(words)) }
}
