public import CairnPrimitives
public import CairnTraining
public import CairnClient
public import CairnLedger
public import Foundation

/// A data owner's participant in one training job: joins with its data commitment, then in every round shares its
/// secrets, trains locally with DP-SGD from the chain's current head, submits its masked update and reveals the
/// shares the chain needs, until the job is over. Its secrets are written to its vault before anything that depends
/// on them is sent, so a participant killed and restarted resumes where the chain says it stands.
public final class ParticipantAgent: Sendable {
    /// What one step did.
    public enum Step: Sendable, Equatable {
        case joined
        case shared(round: UInt32)
        case submitted(round: UInt32)
        case unmasked(round: UInt32)
        case waiting
        case over(status: String)
    }

    let client: NodeClient
    let key: PrivateKey
    let job: UInt64
    let data: LabelledData
    let features: [[Float]]
    let vault: ParticipantVault
    let log: @Sendable (String) -> Void

    /// A participant of `job` signing with `key`, training on `data` (whose texts' embeddings are `features`), keeping
    /// its vault under `home`.
    public init(node: URL, key: PrivateKey, job: UInt64, home: String, data: LabelledData, features: [[Float]],
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        client = try NodeClient(url: node.absoluteString)
        self.key = key
        self.job = job
        self.data = data
        self.features = features
        vault = ParticipantVault(home: home, job: job, signingKey: key)
        self.log = log
    }

    var me: Address { key.publicKey.address }
    /// Bytes of the messages sent so far.
    let sent = Counter()
    let shares = Counter()
    /// Bytes of the training messages sent so far (canonical encoding).
    public var bytesSent: Int { sent.value }
    /// Rounds this participant shared in so far.
    public var roundsShared: Int { shares.value }

    /// The height of the last block a step read the job at: a step with nothing to do waits for the one after it.
    let seen = Counter()

    func send(_ messages: [any LedgerMessage]) async throws {
        // The node answers the receipt request once the block that includes it is committed.
        _ = try await client.send(messages, key: key, poll: .milliseconds(25))
        for m in messages { sent.add(m.canonicalBytes.count) }
    }

    func send(_ message: some LedgerMessage) async throws { try await send([message]) }

    /// Waits for the block after the last one a step read (the node holds the request until it is committed), at
    /// most `limit`.
    public func waitForNextBlock(limit: Duration) async throws {
        _ = try await client.waitForBlock(UInt64(seen.value) + 1, limit: limit)
    }

    /// How a run ended.
    public struct Summary: Sendable, Equatable {
        public init(status: String, bytesSent: Int, rounds: Int) {
            self.status = status
            self.bytesSent = bytesSent
            self.rounds = rounds
        }

        /// The job's final status.
        public var status: String
        /// Bytes of the training messages this participant sent (canonical encoding, its joins, shares, updates and reveals).
        public var bytesSent: Int
        /// Rounds in which it shared.
        public var rounds: Int
    }

    /// Steps until the job is over (or `timeout` passes). After a step that had nothing to do it waits for the next
    /// block, at most `poll`. Errors of one step (a node that is down, a transaction that lost a race) are logged and
    /// the step is tried again at the next block (after `poll` when the node does not answer).
    public func run(poll: Duration = .milliseconds(500), timeout: Duration = .seconds(3_600)) async throws -> Summary {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                switch try await step() {
                case let .over(status): return Summary(status: status, bytesSent: bytesSent, rounds: roundsShared)
                case .waiting: try await waitForNextBlock(limit: poll)
                default: continue
                }
            } catch let e as TrainerError {
                throw e
            } catch {
                // Mostly a message that came after its phase ended: the next block shows where the round stands.
                log("step failed, trying again: \(error)")
                do { try await waitForNextBlock(limit: poll) } catch { try await Task.sleep(for: poll) }
            }
        }
        throw TrainerError("job \(job) was not over after \(timeout)")
    }

    /// Does what the chain's state of the job asks of this participant now, if anything.
    public func step() async throws -> Step {
        // The height first: the job read after it is at least as new, so waiting for the block after it misses nothing.
        seen.set(Int(try await client.status().height))
        let detail = try await client.get("/v1/train/jobs/\(job)", as: JobDetail.self)
        let view = detail.job
        let mine = detail.participants.first { $0.address == me.bech32 }
        switch view.status {
        case "finished", "failed": return .over(status: view.status)
        case "joining":
            guard mine == nil else { return .waiting }
            var rng = SystemRandomNumberGenerator()
            let contents = try vault.loadOrCreate(job: job, randomness: &rng)
            guard let publicKey = SecureAggregation.publicKey(ofSecret: contents.encryptionSecret) else { throw TrainerError("bad vault secret") }
            let (root, count) = data.commitment
            try await send(MsgJoin(jobID: job, dataRoot: root, records: count, encryptionKey: publicKey))
            log("joined job \(job) with \(count) records (data root \(root.hex.prefix(16)))")
            return .joined
        default: break
        }
        guard mine != nil else { throw TrainerError("\(me.bech32) is not a participant of job \(job), which no longer takes participants") }
        guard let running = detail.running else { return .waiting }
        let record = try TrainingJob(view: view)
        let members = try detail.participants.map(Self.participant)
        let meRecord = members.first { $0.address == me }!
        let shared = try running.shared.map { (address: try Address(bech32: $0.participant), record: try Self.shareRecord($0)) }
        let mineShared = running.shared.first { $0.participant == me.bech32 }
        guard var contents = try vault.load() else { throw TrainerError("the vault \(vault.path) is missing: this participant's secrets are lost") }
        switch running.phase {
        case "sharing":
            guard mineShared == nil else { return .waiting }
            var rng = SystemRandomNumberGenerator()
            let secrets = contents.rounds[running.round]
                ?? Self.fresh(round: running.round, &rng)
            let (message, kept) = try RoundClient.share(job: record, me: meRecord, members: members, encryptionSecret: contents.encryptionSecret,
                                                        secrets: secrets, randomness: &rng)
            // The secrets and this participant's own shares go to disk before the boxes leave.
            contents.rounds[running.round] = kept
            try vault.store(contents)
            try await send(message)
            shares.add(1)
            log("round \(running.round): shared")
            return .shared(round: running.round)
        case "submitting":
            guard mineShared != nil, mineShared?.submitted == false else { return .waiting }
            guard let secrets = contents.rounds[running.round] else { throw TrainerError("the secrets of round \(running.round) are not in the vault") }
            let clock = ContinuousClock()
            var update = [UInt32]()
            let trained = try await clock.measure { update = try await localUpdate(record) }
            var messages: [any LedgerMessage] = [try RoundClient.submit(job: record, me: meRecord, update: update, secrets: secrets, shared: shared)]
            // The next round's shares go with the update, so that round can take updates as soon as this one is over.
            let next = running.round + 1
            if next <= record.rounds {
                var rng = SystemRandomNumberGenerator()
                let fresh = contents.rounds[next] ?? Self.fresh(round: next, &rng)
                let (message, kept) = try RoundClient.share(job: record, me: meRecord, members: members, encryptionSecret: contents.encryptionSecret,
                                                            secrets: fresh, randomness: &rng)
                contents.rounds[next] = kept
                try vault.store(contents)
                messages.append(message)
            }
            try await send(messages)
            if messages.count > 1 { shares.add(1) }
            log("round \(running.round): read the head and trained in \(Self.milliseconds(trained)) ms, submitted a masked update of \(update.count) words"
                + (messages.count > 1 ? " with round \(next)'s shares" : ""))
            return .submitted(round: running.round)
        case "unmasking":
            guard mineShared?.submitted == true, !running.shared.contains(where: { $0.revealedBy.contains(me.bech32) }) else { return .waiting }
            guard let secrets = contents.rounds[running.round] else { throw TrainerError("the secrets of round \(running.round) are not in the vault") }
            let submitted = Set(try running.shared.filter(\.submitted).map { try Address(bech32: $0.participant) })
            let message = try RoundClient.unmask(job: record, me: meRecord, members: members, encryptionSecret: contents.encryptionSecret,
                                                 secrets: secrets, shared: shared, submitted: submitted)
            try await send(message)
            log("round \(running.round): revealed \(message.shares.count) shares")
            return .unmasked(round: running.round)
        default:
            return .waiting
        }
    }

    /// Trains from the chain's current head with the job's DP-SGD settings; returns the change in fixed point.
    func localUpdate(_ job: TrainingJob) async throws -> [UInt32] {
        let start = try await currentHead(job)
        let examples = try data.examples(labels: job.labels, features: features)
        var rng = KeystreamGenerator()
        let (trained, _) = LocalTraining.train(start, on: examples, config: DPSGDConfig(job.settings), rng: &rng)
        let delta = zip(trained.parameters, start.parameters).map { $0 - $1 }
        return SecureAggregation.quantize(delta, bits: Int(job.settings.fixedPointBits))
    }

    /// The head the chain holds now.
    public func currentHead(_ job: TrainingJob) async throws -> Head { Head.of(try await client.trainedHead(job: job)) }

    static func participant(_ v: ParticipantView) throws -> Participant {
        guard let key = [UInt8](hex: v.encryptionKey), let root = Hash(hex: v.dataRoot) else { throw TrainerError("participant \(v.address) reads badly") }
        var p = Participant(address: try Address(bech32: v.address), index: v.index, dataRoot: root, records: v.records, encryptionKey: key, stake: v.stake)
        p.contributed = v.contributed
        p.earned = v.earned
        return p
    }

    static func shareRecord(_ s: RunningRoundView.Shared) throws -> ShareRecord {
        guard let key = [UInt8](hex: s.maskKey), let commitment = Hash(hex: s.seedCommitment) else { throw TrainerError("shares of \(s.participant) read badly") }
        let boxes = try s.boxes.map { to, box in
            guard let bytes = [UInt8](hex: box) else { throw TrainerError("a box of \(s.participant) reads badly") }
            return SealedShare(to: try Address(bech32: to), box: bytes)
        }.sorted { $0.to.bytes.lexicographicallyPrecedes($1.to.bytes) }
        return ShareRecord(maskKey: key, seedCommitment: commitment, boxes: boxes)
    }

    static func milliseconds(_ d: Duration) -> String { String(format: "%.1f", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15) }

    /// New secrets for `round`, with the seed of their splits.
    static func fresh(round: UInt32, _ rng: inout some RandomNumberGenerator) -> RoundSecrets {
        RoundSecrets(round: round, maskSecret: random(32, &rng), selfSeed: random(32, &rng), splitSeed: random(32, &rng))
    }

    static func random(_ n: Int, _ rng: inout some RandomNumberGenerator) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
}

extension Head {
    /// A job's head with `weights` (fixed point, as the chain holds them) on top of its starting point: zero for a
    /// linear head; for an MLP, a random start every participant derives from the job id (an MLP that starts at zero
    /// never learns).
    public static func of(job: TrainingJob, weights: [UInt32]) -> Head {
        of(job: job.id, shape: HeadShape(job.head, labels: job.labels.count), weights: weights, bits: Int(job.settings.fixedPointBits))
    }

    /// A registered head's classifier: its start (from its job id) plus its fixed-point weights.
    public static func of(_ trained: TrainedHead) -> Head {
        of(job: trained.job, shape: HeadShape(trained.head, labels: trained.labels.count), weights: trained.weights, bits: Int(trained.fixedPointBits))
    }

    static func of(job: UInt64, shape: HeadShape, weights: [UInt32], bits: Int) -> Head {
        var start: Head
        if shape.isLinear {
            start = .zero(shape)
        } else {
            var rng = JobSeededGenerator(seed: job)
            start = .random(shape, using: &rng)
        }
        let delta = SecureAggregation.dequantize(weights, bits: bits)
        for i in start.parameters.indices where i < delta.count { start.parameters[i] += delta[i] }
        return start
    }
}

/// SplitMix64 seeded by a job id: the same starting point for every participant of the job.
struct JobSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed ^ 0x6361_6972_6e2d_6d6c }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TrainingJob {
    /// The record rebuilt from the API's view of it (what a participant needs: id, labels, head, settings, round,
    /// threshold).
    public init(view v: JobView) throws {
        guard let creator = try? Address(bech32: v.creator), let testHash = Hash(hex: v.testSetHash) else { throw TrainerError("job \(v.id) reads badly") }
        let m = MsgCreateJob(baseModel: v.baseModel, labels: v.labels, head: v.head, settings: v.settings, rounds: v.rounds,
                             minParticipants: v.minParticipants, maxParticipants: v.maxParticipants, joinBlocks: 1, roundBlocks: v.roundBlocks,
                             testSetHash: testHash, reward: v.reward, stake: v.stake, royaltyBps: v.royaltyBps, licence: v.licence)
        self.init(id: v.id, creator: creator, m: m, height: v.createdHeight)
        status = JobStatus.allCases.first { $0.name == v.status } ?? .joining
        participants = v.participants
        threshold = v.threshold
        round = v.round
        joinDeadline = v.joinDeadline
        paid = v.paid
        modelID = v.modelID ?? 0
        if let p = v.phase { phase = ["sharing": .sharing, "submitting": .submitting, "unmasking": .unmasking][p] ?? .sharing }
        phaseDeadline = v.phaseDeadline ?? 0
    }
}

/// A number several tasks may read and change.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { lock.withLock { total += n } }
    func set(_ n: Int) { lock.withLock { total = n } }
    var value: Int { lock.withLock { total } }
}

extension NodeClient {
    /// A job's head as the chain holds it now, in the form its model is registered under (the job's record rebuilt
    /// from the API, with the weights it has aggregated so far).
    public func trainedHead(job id: UInt64) async throws -> (job: TrainingJob, head: TrainedHead) {
        let job = try TrainingJob(view: try await get("/v1/train/jobs/\(id)", as: JobDetail.self).job)
        return (job, try await trainedHead(job: job))
    }

    func trainedHead(job: TrainingJob) async throws -> TrainedHead {
        let weights = try await get("/v1/train/jobs/\(job.id)/weights", as: WeightsReply.self).weights.map { UInt32(bitPattern: $0) }
        return TrainedHead(job: job.id, baseModel: job.baseModel, labels: job.labels, head: job.head, fixedPointBits: job.settings.fixedPointBits,
                           weights: weights)
    }
}

struct WeightsReply: Decodable { let weights: [Int32] }
