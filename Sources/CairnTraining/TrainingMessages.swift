public import CairnPrimitives
public import CairnLedger

/// `train/create-job`: a federated training job over a registered base model, its reward pool moved into escrow.
public struct MsgCreateJob: LedgerMessage, Equatable {
    public static let typeName = "train/create-job"

    public var baseModel: UInt64
    public var labels: [String]
    public var head: HeadSpec
    public var settings: TrainingSettings
    public var rounds: UInt32
    public var minParticipants: UInt32
    public var maxParticipants: UInt32
    /// Blocks participants may join in, from creation.
    public var joinBlocks: UInt64
    /// Blocks each round may take (a third for each of its phases).
    public var roundBlocks: UInt64
    public var testSetHash: Hash
    public var reward: Amount
    public var stake: Amount
    /// The trained model's royalty, basis points of what is paid for its use (to its share holders, the data owners).
    public var royaltyBps: UInt32
    /// The trained model's licence (an SPDX id).
    public var licence: String

    public init(baseModel: UInt64, labels: [String], head: HeadSpec, settings: TrainingSettings = TrainingSettings(), rounds: UInt32,
                minParticipants: UInt32, maxParticipants: UInt32, joinBlocks: UInt64, roundBlocks: UInt64, testSetHash: Hash,
                reward: Amount, stake: Amount, royaltyBps: UInt32 = 500, licence: String = "Apache-2.0") {
        self.baseModel = baseModel
        self.labels = labels
        self.head = head
        self.settings = settings
        self.rounds = rounds
        self.minParticipants = minParticipants
        self.maxParticipants = maxParticipants
        self.joinBlocks = joinBlocks
        self.roundBlocks = roundBlocks
        self.testSetHash = testSetHash
        self.reward = reward
        self.stake = stake
        self.royaltyBps = royaltyBps
        self.licence = licence
    }

    /// 50,000 gas.
    public var gas: UInt64 { TrainingGas.createJob }

    public func validate() throws(LedgerError) {
        guard (2...TrainingLimits.maxLabels).contains(labels.count) else {
            throw TrainingError.invalidJob("a job needs 2 to \(TrainingLimits.maxLabels) labels, got \(labels.count)")
        }
        guard Set(labels).count == labels.count, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 }) else {
            throw TrainingError.invalidJob("labels must be distinct, non-empty and at most 64 bytes")
        }
        guard (1...TrainingLimits.maxInputs).contains(head.inputs), head.hidden <= TrainingLimits.maxHidden else {
            throw TrainingError.invalidJob("the head reads 1 to \(TrainingLimits.maxInputs) inputs with at most \(TrainingLimits.maxHidden) hidden units")
        }
        guard head.parameterCount(labels: labels.count) <= TrainingLimits.maxDimension else {
            throw TrainingError.invalidJob("the head has \(head.parameterCount(labels: labels.count)) parameters; an update holds at most \(TrainingLimits.maxDimension)")
        }
        guard (1...TrainingLimits.maxRounds).contains(rounds) else { throw TrainingError.invalidJob("rounds must be 1 to \(TrainingLimits.maxRounds)") }
        guard minParticipants >= 2, minParticipants <= maxParticipants, maxParticipants <= TrainingLimits.maxParticipants else {
            throw TrainingError.invalidJob("participants: at least 2, at most \(TrainingLimits.maxParticipants), the minimum not above the maximum")
        }
        guard (1...TrainingLimits.maxBlocks).contains(joinBlocks) else { throw TrainingError.invalidJob("joinBlocks must be 1 to \(TrainingLimits.maxBlocks)") }
        guard (3...TrainingLimits.maxBlocks).contains(roundBlocks) else {
            throw TrainingError.invalidJob("roundBlocks must be 3 to \(TrainingLimits.maxBlocks) (a third for each phase)")
        }
        guard reward >= Amount(UInt128(rounds)) else { throw TrainingError.invalidJob("the reward pool must pay at least 1 ucairn a round") }
        guard royaltyBps <= 10_000, (1...64).contains(licence.utf8.count) else {
            throw TrainingError.invalidJob("the royalty is at most 10000 basis points and the licence 1 to 64 bytes")
        }
        guard settings.fixedPointBits <= 24, (1...TrainingLimits.maxLocalEpochs).contains(settings.localEpochs),
              (1...TrainingLimits.maxBatchSize).contains(settings.batchSize), settings.clipNormMilli >= 1 else {
            throw TrainingError.invalidJob("settings: fixedPointBits at most 24, localEpochs 1 to \(TrainingLimits.maxLocalEpochs), "
                                           + "batchSize 1 to \(TrainingLimits.maxBatchSize), clipNormMilli at least 1")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(baseModel)
        w.write(array: labels) { $0.write($1) }
        head.encode(to: &w)
        settings.encode(to: &w)
        w.write(rounds)
        w.write(minParticipants)
        w.write(maxParticipants)
        w.write(joinBlocks)
        w.write(roundBlocks)
        w.write(testSetHash)
        w.write(reward)
        w.write(stake)
        w.write(royaltyBps)
        w.write(licence)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        baseModel = try r.readUInt64()
        labels = try r.readArray(limit: 256) { (r) throws(DecodeError) in try r.readString(limit: 64) }
        head = try HeadSpec(from: &r)
        settings = try TrainingSettings(from: &r)
        rounds = try r.readUInt32()
        minParticipants = try r.readUInt32()
        maxParticipants = try r.readUInt32()
        joinBlocks = try r.readUInt64()
        roundBlocks = try r.readUInt64()
        testSetHash = try r.readHash()
        reward = try r.readAmount()
        stake = try r.readAmount()
        royaltyBps = try r.readUInt32()
        licence = try r.readString(limit: 64)
    }
}

/// `train/join`: joins a job that is taking participants, locking its stake and committing to the data.
public struct MsgJoin: LedgerMessage, Equatable {
    public static let typeName = "train/join"

    public var jobID: UInt64
    /// The Merkle root over the SHA-256 of each record the participant trains on.
    public var dataRoot: Hash
    public var records: UInt64
    /// The X25519 key other participants seal shares to.
    public var encryptionKey: [UInt8]

    public init(jobID: UInt64, dataRoot: Hash, records: UInt64, encryptionKey: [UInt8]) {
        self.jobID = jobID
        self.dataRoot = dataRoot
        self.records = records
        self.encryptionKey = encryptionKey
    }

    /// 20,000 gas.
    public var gas: UInt64 { TrainingGas.join }

    public func validate() throws(LedgerError) {
        guard (1...TrainingLimits.maxRecords).contains(records) else {
            throw TrainingError.invalidJoin("a participant commits to 1 to \(TrainingLimits.maxRecords) records")
        }
        guard SecureAggregation.isUsableKey(encryptionKey) else {
            throw TrainingError.invalidJoin("the encryption key must be a 32-byte X25519 key of large order")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(jobID)
        w.write(dataRoot)
        w.write(records)
        w.write(bytes: encryptionKey)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        jobID = try r.readUInt64()
        dataRoot = try r.readHash()
        records = try r.readUInt64()
        encryptionKey = try r.readBytes(limit: 32)
    }
}

/// `train/share`: a participant's round mask key, its commitment to its self-mask seed, and one sealed box of shares
/// for every other participant of the job.
public struct MsgShare: LedgerMessage, Equatable {
    public static let typeName = "train/share"

    public var jobID: UInt64
    public var round: UInt32
    public var maskKey: [UInt8]
    public var seedCommitment: Hash
    public var boxes: [SealedShare]

    public init(jobID: UInt64, round: UInt32, maskKey: [UInt8], seedCommitment: Hash, boxes: [SealedShare]) {
        self.jobID = jobID
        self.round = round
        self.maskKey = maskKey
        self.seedCommitment = seedCommitment
        self.boxes = boxes
    }

    /// 10,000 gas and 2,000 a box.
    public var gas: UInt64 { TrainingGas.share + TrainingGas.perBox * UInt64(boxes.count) }

    public func validate() throws(LedgerError) {
        guard SecureAggregation.isUsableKey(maskKey) else { throw TrainingError.invalidShares("the mask key must be a 32-byte X25519 key of large order") }
        guard boxes.count < TrainingLimits.maxParticipants else { throw TrainingError.invalidShares("more boxes than a job has participants") }
        guard boxes.allSatisfy({ $0.box.count == ShareBox.sealedBytes }) else {
            throw TrainingError.invalidShares("every box is \(ShareBox.sealedBytes) bytes")
        }
        guard Set(boxes.map(\.to)).count == boxes.count else { throw TrainingError.invalidShares("two boxes for one recipient") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(jobID)
        w.write(round)
        w.write(bytes: maskKey)
        w.write(seedCommitment)
        w.write(array: boxes) { $1.encode(to: &$0) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        jobID = try r.readUInt64()
        round = try r.readUInt32()
        maskKey = try r.readBytes(limit: 32)
        seedCommitment = try r.readHash()
        boxes = try r.readArray(limit: 256) { (r) throws(DecodeError) in try SealedShare(from: &r) }
    }
}

/// `train/submit`: a participant's masked fixed-point update for a round; the chain adds it into the round's sum and
/// keeps nothing of it on its own.
public struct MsgSubmit: LedgerMessage, Equatable {
    public static let typeName = "train/submit"

    public var jobID: UInt64
    public var round: UInt32
    /// The masked update, one word per parameter of the head, modulo 2^32.
    public var vector: [UInt32]

    public init(jobID: UInt64, round: UInt32, vector: [UInt32]) {
        self.jobID = jobID
        self.round = round
        self.vector = vector
    }

    /// 10,000 gas and 5 a word.
    public var gas: UInt64 { TrainingGas.submit + TrainingGas.perWord * UInt64(vector.count) }

    public func validate() throws(LedgerError) {
        guard !vector.isEmpty else { throw TrainingError.badVector("the update is empty") }
        guard vector.count <= TrainingLimits.maxDimension else {
            throw TrainingError.badVector("the update has \(vector.count) words; at most \(TrainingLimits.maxDimension)")
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(jobID)
        w.write(round)
        w.write(bytes: Words.bytes(vector))
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        jobID = try r.readUInt64()
        round = try r.readUInt32()
        // Read up to a transaction's worth, so an oversized update gets validate()'s clear error.
        guard let words = Words.words(try r.readBytes(limit: 1 << 20)) else {
            throw DecodeError("an update is a whole number of 4-byte words")
        }
        vector = words
    }
}

/// A share revealed for the unmasking: of whose secret (the self-mask seed of a participant that submitted, the mask
/// key of one that dropped out) and the share itself.
public struct RevealedShare: Sendable, Equatable, Codable, CanonicalCodable {
    public var of: Address
    public var share: [UInt8]

    public init(of: Address, share: [UInt8]) {
        self.of = of
        self.share = share
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(of)
        w.write(bytes: share)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        of = try r.readAddress()
        share = try r.readBytes(limit: SecureAggregation.shareBytes)
    }
}

/// `train/unmask`: a participant that submitted reveals its shares of the self-mask seeds of everyone that submitted
/// (itself included) and of the mask keys of everyone that shared but did not submit.
public struct MsgUnmask: LedgerMessage, Equatable {
    public static let typeName = "train/unmask"

    public var jobID: UInt64
    public var round: UInt32
    public var shares: [RevealedShare]

    public init(jobID: UInt64, round: UInt32, shares: [RevealedShare]) {
        self.jobID = jobID
        self.round = round
        self.shares = shares
    }

    /// 10,000 gas and 1,000 a share.
    public var gas: UInt64 { TrainingGas.unmask + TrainingGas.perShare * UInt64(shares.count) }

    public func validate() throws(LedgerError) {
        guard !shares.isEmpty, shares.count <= TrainingLimits.maxParticipants else {
            throw TrainingError.invalidShares("an unmask reveals 1 to \(TrainingLimits.maxParticipants) shares")
        }
        guard shares.allSatisfy({ $0.share.count == SecureAggregation.shareBytes && $0.share[0] != 0 }) else {
            throw TrainingError.invalidShares("every share is \(SecureAggregation.shareBytes) bytes with a non-zero x")
        }
        guard Set(shares.map(\.of)).count == shares.count else { throw TrainingError.invalidShares("two shares of one participant's secret") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(jobID)
        w.write(round)
        w.write(array: shares) { $1.encode(to: &$0) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        jobID = try r.readUInt64()
        round = try r.readUInt32()
        shares = try r.readArray(limit: 256) { (r) throws(DecodeError) in try RevealedShare(from: &r) }
    }
}

/// `train/reveal-test`: the creator of a finished job reveals its held-out test set, in order, in pieces of at most
/// 48 KiB, with the accuracy of the trained head on it; the last piece must make the whole hash to the job's
/// commitment. A piece at offset 0 starts the reveal again.
public struct MsgRevealTest: LedgerMessage, Equatable {
    public static let typeName = "train/reveal-test"

    public var jobID: UInt64
    /// Where this piece starts in the file.
    public var offset: UInt64
    /// The whole file's size.
    public var total: UInt64
    public var bytes: [UInt8]
    /// The accuracy the creator measured on the test set, basis points (anyone can recompute it from the revealed set).
    public var accuracyBps: UInt32

    public init(jobID: UInt64, offset: UInt64, total: UInt64, bytes: [UInt8], accuracyBps: UInt32) {
        self.jobID = jobID
        self.offset = offset
        self.total = total
        self.bytes = bytes
        self.accuracyBps = accuracyBps
    }

    /// 10,000 gas and 10 a byte.
    public var gas: UInt64 { TrainingGas.revealTest + TrainingGas.perTestByte * UInt64(bytes.count) }

    public static let maxPiece = 48 * 1_024
    public static let maxTotal: UInt64 = 4 << 20

    public func validate() throws(LedgerError) {
        guard !bytes.isEmpty, bytes.count <= Self.maxPiece else { throw TrainingError.invalidTestSet("a piece is 1 to \(Self.maxPiece) bytes") }
        // Compared without adding, so no offset can overflow.
        guard total <= Self.maxTotal, offset <= total, UInt64(bytes.count) <= total - offset else {
            throw TrainingError.invalidTestSet("the piece must lie inside a file of at most \(Self.maxTotal) bytes")
        }
        guard accuracyBps <= 10_000 else { throw TrainingError.invalidTestSet("an accuracy is at most 10000 basis points") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(jobID)
        w.write(offset)
        w.write(total)
        w.write(bytes: bytes)
        w.write(accuracyBps)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        jobID = try r.readUInt64()
        offset = try r.readUInt64()
        total = try r.readUInt64()
        bytes = try r.readBytes(limit: 1 << 20)
        accuracyBps = try r.readUInt32()
    }
}

/// The training module's gas costs (see README).
public enum TrainingGas {
    public static let createJob: UInt64 = 50_000
    public static let join: UInt64 = 20_000
    public static let share: UInt64 = 10_000
    public static let perBox: UInt64 = 2_000
    public static let submit: UInt64 = 10_000
    public static let perWord: UInt64 = 5
    public static let unmask: UInt64 = 10_000
    public static let perShare: UInt64 = 1_000
    public static let revealTest: UInt64 = 10_000
    public static let perTestByte: UInt64 = 10
}

/// Fixed bounds of jobs (a submitted update must fit in one transaction of 64 KiB).
public enum TrainingLimits {
    public static let maxLabels = 64
    public static let maxInputs: UInt32 = 4_096
    public static let maxHidden: UInt32 = 256
    public static let maxRounds: UInt32 = 1_000
    public static let maxParticipants: UInt32 = 64
    public static let maxBlocks: UInt64 = 1_000_000
    /// Words in one update: 12,000 words are 48,000 bytes.
    public static let maxDimension = 12_000
    /// Records one participant may commit to, local epochs and batch size: bounds that keep the privacy accounting's
    /// step counts far inside 64 bits.
    public static let maxRecords: UInt64 = 1_000_000_000_000
    public static let maxLocalEpochs: UInt32 = 1_000
    public static let maxBatchSize: UInt32 = 1 << 20
}
