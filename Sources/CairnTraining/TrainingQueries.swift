public import CairnPrimitives
public import CairnLedger

/// A job as the API and the CLI show it.
public struct JobView: Sendable, Equatable, Codable {
    public var id: UInt64
    public var creator: String
    public var baseModel: UInt64
    public var labels: [String]
    public var head: HeadSpec
    public var settings: TrainingSettings
    /// Parameters of the head: the words of every update.
    public var dimension: Int
    public var rounds: UInt32
    public var minParticipants: UInt32
    public var maxParticipants: UInt32
    public var roundBlocks: UInt64
    public var testSetHash: String
    public var reward: Amount
    public var paid: Amount
    public var stake: Amount
    public var status: String
    public var failure: String?
    public var createdHeight: UInt64
    public var joinDeadline: UInt64
    public var participants: UInt32
    public var threshold: UInt32
    public var round: UInt32
    public var phase: String?
    public var phaseDeadline: UInt64?
    /// The trained model's royalty and licence, and the model NFT once registered.
    public var royaltyBps: UInt32
    public var licence: String
    public var modelID: UInt64?
    /// Whether the test set is revealed, and the accuracy the creator stated on it (basis points).
    public var testRevealed: Bool
    public var accuracyBps: UInt32?
}

/// A participant as the API shows it.
public struct ParticipantView: Sendable, Equatable, Codable {
    public var address: String
    public var index: UInt32
    public var dataRoot: String
    public var records: UInt64
    /// Hex of its X25519 encryption key.
    public var encryptionKey: String
    public var stake: Amount
    public var contributed: UInt32
    public var earned: Amount
}

/// An aggregated round as the API shows it.
public struct RoundView: Sendable, Equatable, Codable {
    public var round: UInt32
    public var shared: [String]
    public var submitted: [String]
    public var dropped: [String]
    public var aggregateHash: String
    public var rewardEach: Amount
    public var startHeight: UInt64
    public var endHeight: UInt64
}

/// Where the running round stands: who has done each step, and what participants need from the chain (the mask
/// keys and the boxes sealed to each of them).
public struct RunningRoundView: Sendable, Equatable, Codable {
    public struct Shared: Sendable, Equatable, Codable {
        public var participant: String
        /// Hex of its round mask key.
        public var maskKey: String
        public var seedCommitment: String
        /// Hex of the sealed box for each recipient, by bech32 address.
        public var boxes: [String: String]
        public var submitted: Bool
        /// Participants that revealed a share of this one's secret.
        public var revealedBy: [String]
    }

    public var round: UInt32
    public var phase: String
    public var phaseDeadline: UInt64
    public var shared: [Shared]
}

/// A job with everything about it.
public struct JobDetail: Sendable, Equatable, Codable {
    public var job: JobView
    public var participants: [ParticipantView]
    public var rounds: [RoundView]
    /// SHA-256 over the head's current fixed-point parameters (nil before the first aggregate).
    public var weightsHash: String?
    /// The privacy budget spent so far: the largest ε over the participants at δ = `delta`, each counted for the rounds
    /// its update went into, by the RDP accountant from the job's DP-SGD settings and its committed record count (nil
    /// without noise, or before any round).
    public var epsilon: Double?
    public var delta: Double
    public var running: RunningRoundView?
}

extension TrainingSettings {
    /// The sampling rate and steps of one participant with `records` records over `rounds` rounds.
    public func steps(records: UInt64, rounds: Int) -> (samplingRate: Double, steps: Int) {
        guard records > 0, batchSize > 0, rounds > 0 else { return (0, 0) }
        // Saturating: records, epochs and batch size are bounded by validation, a stored record may still be anything.
        let batches = records / UInt64(batchSize) + (records % UInt64(batchSize) == 0 ? 0 : 1)
        let (perRound, o1) = batches.multipliedReportingOverflow(by: UInt64(localEpochs))
        let (all, o2) = perRound.multipliedReportingOverflow(by: UInt64(rounds))
        let steps = o1 || o2 || all > UInt64(Int.max) ? Int.max : Int(all)
        return (min(1, Double(batchSize) / Double(records)), steps)
    }

    /// ε at `delta` of a participant with `records` records after `rounds` rounds of local DP-SGD under these settings;
    /// nil without noise or rounds.
    public func epsilon(records: UInt64, rounds: Int, delta: Double) -> Double? {
        guard noiseMultiplierMilli > 0, rounds > 0 else { return nil }
        let (q, steps) = self.steps(records: records, rounds: rounds)
        var accountant = RDPAccountant()
        accountant.compose(samplingRate: q, noiseMultiplier: Double(noiseMultiplierMilli) / 1_000, steps: steps)
        return accountant.epsilon(delta: delta).epsilon
    }
}

extension TrainingModule {
    /// Every job, in id order.
    public func jobs(state: any StateReader) throws(LedgerError) -> [JobView] { try TrainingReader(state: state).jobs().map(Self.view) }

    /// One job with its participants, rounds and running round, or nil.
    public func job(_ id: UInt64, state: any StateReader) throws(LedgerError) -> JobDetail? {
        let reader = TrainingReader(state: state)
        guard let job = try reader.job(id) else { return nil }
        let members = try reader.members(id)
        var running: RunningRoundView?
        if job.status == .training {
            var shared = [RunningRoundView.Shared]()
            for p in members {
                guard let s = try reader.share(id, job.round, p.address) else { continue }
                let revealers = try reader.entries(TrainingKeys.reveals(id, job.round, of: p.address)).compactMap {
                    Address(bytes: Array($0.key.suffix(20)))?.bech32
                }
                shared.append(.init(participant: p.address.bech32, maskKey: s.maskKey.hexString, seedCommitment: s.seedCommitment.hex,
                                    boxes: Dictionary(uniqueKeysWithValues: s.boxes.map { ($0.to.bech32, $0.box.hexString) }),
                                    submitted: try reader.hasSubmitted(id, job.round, p.address), revealedBy: revealers))
            }
            running = RunningRoundView(round: job.round, phase: job.phase.name, phaseDeadline: job.phaseDeadline, shared: shared)
        }
        let weights = try reader.words(TrainingKeys.weights(id), "weights of job \(id)")
        let epsilon = members.compactMap { job.settings.epsilon(records: $0.records, rounds: Int($0.contributed), delta: Self.delta) }.max()
        return JobDetail(job: Self.view(job), participants: members.map(Self.view), rounds: try reader.roundRecords(id).map(Self.view),
                         weightsHash: weights.map { Words.hash($0).hex }, epsilon: epsilon, delta: Self.delta, running: running)
    }

    /// The head's current parameters in fixed point (nil before the first aggregate).
    public func weights(job id: UInt64, state: any StateReader) throws(LedgerError) -> [UInt32]? {
        try TrainingReader(state: state).words(TrainingKeys.weights(id), "weights of job \(id)")
    }

    /// A round's published aggregate (the sum of its contributors' updates), or nil.
    public func aggregate(job id: UInt64, round: UInt32, state: any StateReader) throws(LedgerError) -> [UInt32]? {
        try TrainingReader(state: state).words(TrainingKeys.aggregate(id, round), "aggregate of job \(id) round \(round)")
    }

    /// The δ jobs report their ε at.
    public static let delta = 1e-5

    /// The job that trained model `id`, when a job did.
    public func job(trained id: UInt64, state: any StateReader) throws(LedgerError) -> UInt64? {
        let reader = TrainingReader(state: state)
        guard let raw = try reader.get(TrainingKeys.model(id), "trained model \(id)") else { return nil }
        guard raw.count == 8, let job = StateKey.readBigEndian(raw, at: 0) else { throw TrainingError.corrupt("trained model \(id)") }
        return job
    }

    /// The finished job's model artifact as registered (its `hash` is the model's weights hash), or nil before it finished.
    public func trainedHead(job id: UInt64, state: any StateReader) throws(LedgerError) -> TrainedHead? {
        let reader = TrainingReader(state: state)
        guard let job = try reader.job(id), job.status == .finished else { return nil }
        let weights = try reader.words(TrainingKeys.weights(id), "weights of job \(id)") ?? [UInt32](repeating: 0, count: job.dimension)
        return TrainedHead(job: id, baseModel: job.baseModel, labels: job.labels, head: job.head, fixedPointBits: job.settings.fixedPointBits,
                           weights: weights)
    }

    /// The held-out test set once revealed whole, else nil.
    public func testSet(job id: UInt64, state: any StateReader) throws(LedgerError) -> [UInt8]? {
        let reader = TrainingReader(state: state)
        guard let job = try reader.job(id), job.testRevealed else { return nil }
        return try reader.get(TrainingKeys.testSet(id), "test set of job \(id)")
    }

    /// The job record itself (for agents and tests).
    public func jobRecord(_ id: UInt64, state: any StateReader) throws(LedgerError) -> TrainingJob? { try TrainingReader(state: state).job(id) }

    /// A job's participants in join order.
    public func participants(job id: UInt64, state: any StateReader) throws(LedgerError) -> [Participant] { try TrainingReader(state: state).members(id) }

    /// What a participant published in the running round's sharing phase.
    public func shareRecord(job id: UInt64, round: UInt32, of a: Address, state: any StateReader) throws(LedgerError) -> ShareRecord? {
        try TrainingReader(state: state).share(id, round, a)
    }

    static func view(_ j: TrainingJob) -> JobView {
        let running = j.status == .training
        return JobView(id: j.id, creator: j.creator.bech32, baseModel: j.baseModel, labels: j.labels, head: j.head, settings: j.settings,
                       dimension: j.dimension, rounds: j.rounds, minParticipants: j.minParticipants, maxParticipants: j.maxParticipants,
                       roundBlocks: j.roundBlocks, testSetHash: j.testSetHash.hex, reward: j.reward, paid: j.paid, stake: j.stake,
                       status: j.status.name, failure: j.failure.isEmpty ? nil : j.failure, createdHeight: j.createdHeight,
                       joinDeadline: j.joinDeadline, participants: j.participants, threshold: j.threshold, round: j.round,
                       phase: running ? j.phase.name : nil, phaseDeadline: running ? j.phaseDeadline : nil, royaltyBps: j.royaltyBps,
                       licence: j.licence, modelID: j.modelID == 0 ? nil : j.modelID, testRevealed: j.testRevealed,
                       accuracyBps: j.testRevealed ? j.accuracyBps : nil)
    }

    static func view(_ p: Participant) -> ParticipantView {
        ParticipantView(address: p.address.bech32, index: p.index, dataRoot: p.dataRoot.hex, records: p.records,
                        encryptionKey: p.encryptionKey.hexString, stake: p.stake, contributed: p.contributed, earned: p.earned)
    }

    static func view(_ r: RoundRecord) -> RoundView {
        let inSum = Set(r.submitted)
        return RoundView(round: r.round, shared: r.shared.map(\.bech32), submitted: r.submitted.map(\.bech32),
                         dropped: r.shared.filter { !inSum.contains($0) }.map(\.bech32), aggregateHash: r.aggregateHash.hex,
                         rewardEach: r.rewardEach, startHeight: r.startHeight, endHeight: r.endHeight)
    }
}
