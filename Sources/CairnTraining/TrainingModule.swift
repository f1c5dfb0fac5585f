public import CairnPrimitives
public import CairnLedger

/// Federated training with the ledger as the aggregator: jobs with reward pools, participants committed to their
/// data, and rounds in which masked updates are summed modulo 2^32 and only the sum is ever unmasked (Bonawitz et
/// al.'s secure aggregation; see README).
public struct TrainingModule: LedgerModule {
    public let name = TrainingKeys.module
    let bank: any TrainingBank
    let models: any TrainingModels

    public init(bank: any TrainingBank, models: any TrainingModels) {
        self.bank = bank
        self.models = models
    }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgCreateJob.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgCreateJob(canonicalBytes: b) },
            MsgJoin.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgJoin(canonicalBytes: b) },
            MsgShare.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgShare(canonicalBytes: b) },
            MsgSubmit.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgSubmit(canonicalBytes: b) },
            MsgUnmask.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgUnmask(canonicalBytes: b) },
            MsgRevealTest.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRevealTest(canonicalBytes: b) },
        ]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgCreateJob: try create(m, signer: signer, context: context)
        case let m as MsgJoin: try join(m, signer: signer, context: context)
        case let m as MsgShare: try share(m, signer: signer, context: context)
        case let m as MsgSubmit: try submit(m, signer: signer, context: context)
        case let m as MsgUnmask: try unmask(m, signer: signer, context: context)
        case let m as MsgRevealTest: try revealTest(m, signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        // The module has no parameters and starts with no jobs; a section, if given, must be an empty object.
        if let section, section != .object([:]), section != .null { throw TrainingError.badGenesis("the training module takes no genesis state") }
    }

    static func native(_ amount: Amount) -> Coin { Coin(denom: Denom.native, amount: amount) }

    func revealTest(_ m: MsgRevealTest, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        var job = try store.read.existingJob(m.jobID)
        guard job.creator == signer else { throw TrainingError.invalidTestSet("only job \(job.id)'s creator reveals its test set") }
        guard job.status == .finished else { throw TrainingError.wrongPhase("job \(job.id) is \(job.status.name); the test set is revealed once it finished") }
        guard !job.testRevealed else { throw TrainingError.duplicate("job \(job.id)'s test set is revealed") }
        let key = TrainingKeys.testSet(job.id)
        let sofar = m.offset == 0 ? [] : (try store.read.get(key, "test set of job \(job.id)") ?? [])
        guard UInt64(sofar.count) == m.offset else {
            throw TrainingError.invalidTestSet("the next piece starts at byte \(sofar.count), not \(m.offset) (a piece at 0 starts again)")
        }
        let whole = sofar + m.bytes
        if UInt64(whole.count) == m.total {
            let hash = Hash.sha256(whole)
            guard hash == job.testSetHash else {
                throw TrainingError.invalidTestSet("the revealed file hashes to \(hash.hex.prefix(16))…, the job committed to \(job.testSetHash.hex.prefix(16))…")
            }
            job.testRevealed = true
            job.accuracyBps = m.accuracyBps
            store.write(job)
            context.emit(TrainingEvents.testRevealed(job))
        }
        context.state.set(key, whole)
    }

    func create(_ m: MsgCreateJob, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        let registered: Bool
        do { registered = try models.isRegistered(m.baseModel, state: context.state) } catch { throw TrainingError.corrupt("models: \(error)") }
        guard registered else { throw TrainingError.unknownModel(m.baseModel) }
        let job = TrainingJob(id: try store.read.nextJobID(), creator: signer, m: m, height: context.height)
        try bank.send(Self.native(m.reward), from: signer, to: TrainingAccounts.escrow, context: context)
        store.create(job)
        context.emit(TrainingEvents.created(job))
    }

    func join(_ m: MsgJoin, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        var job = try store.read.existingJob(m.jobID)
        guard job.status == .joining, context.height <= job.joinDeadline else {
            throw TrainingError.wrongPhase("job \(job.id) no longer takes participants (it is \(job.status.name))")
        }
        guard job.participants < job.maxParticipants else { throw TrainingError.wrongPhase("job \(job.id) has its \(job.maxParticipants) participants") }
        guard try store.read.member(job.id, signer) == nil else { throw TrainingError.duplicate("\(signer.bech32) already joined job \(job.id)") }
        if job.stake > .zero { try bank.send(Self.native(job.stake), from: signer, to: TrainingAccounts.escrow, context: context) }
        let p = Participant(address: signer, index: job.participants, dataRoot: m.dataRoot, records: m.records, encryptionKey: m.encryptionKey,
                            stake: job.stake)
        job.participants += 1
        store.write(p, job: job.id)
        store.write(job)
        context.emit(TrainingEvents.joined(job.id, p))
    }

    /// The job running `round` in `phase`, and the signer's record in it.
    func running(_ id: UInt64, round: UInt32, phase: RoundPhase, signer: Address, store: TrainingStore,
                 context: ExecutionContext) throws(LedgerError) -> (TrainingJob, Participant) {
        let job = try store.read.existingJob(id)
        try checkRunning(job, round: round, phase: phase, context: context)
        guard let p = try store.read.member(id, signer) else { throw TrainingError.notParticipant(id, signer.bech32) }
        return (job, p)
    }

    /// Refuses a message for `round` in `phase` unless `job` is running that round in that phase now.
    func checkRunning(_ job: TrainingJob, round: UInt32, phase: RoundPhase, context: ExecutionContext) throws(LedgerError) {
        guard job.status == .training else { throw TrainingError.wrongPhase("job \(job.id) is \(job.status.name), not training") }
        guard round == job.round else { throw TrainingError.wrongRound(job.id, got: round, expected: job.round) }
        guard job.phase == phase, context.height <= job.phaseDeadline else {
            throw TrainingError.wrongPhase("job \(job.id) round \(round) is in its \(job.phase.name) phase (until height \(job.phaseDeadline)); this takes the \(phase.name) phase")
        }
    }

    /// Shares for the running round in its sharing phase, or for the next round at any time during the running one:
    /// a participant that sends its next round's shares with its update lets that round start taking updates at once.
    func share(_ m: MsgShare, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        let job = try store.read.existingJob(m.jobID)
        let early = job.status == .training && m.round == job.round + 1 && m.round <= job.rounds
        if !early { try checkRunning(job, round: m.round, phase: .sharing, context: context) }
        let members = Set(try store.read.members(job.id).map(\.address))
        guard members.contains(signer) else { throw TrainingError.notParticipant(job.id, signer.bech32) }
        let round = m.round
        guard try store.read.share(job.id, round, signer) == nil else {
            throw TrainingError.duplicate("\(signer.bech32) already shared in round \(round) of job \(job.id)")
        }
        let others = members.subtracting([signer])
        guard Set(m.boxes.map(\.to)) == others else {
            throw TrainingError.invalidShares("one sealed box is owed to each of the job's \(others.count) other participants, and to nobody else")
        }
        let boxes = m.boxes.sorted { $0.to.bytes.lexicographicallyPrecedes($1.to.bytes) }
        context.state.set(TrainingKeys.share(job.id, round, signer),
                          ShareRecord(maskKey: m.maskKey, seedCommitment: m.seedCommitment, boxes: boxes).canonicalBytes)
        context.emit(TrainingEvents.step("shared", job: job.id, round: round, signer))
    }

    func submit(_ m: MsgSubmit, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        let (job, _) = try running(m.jobID, round: m.round, phase: .submitting, signer: signer, store: store, context: context)
        guard try store.read.share(job.id, job.round, signer) != nil else {
            throw TrainingError.wrongPhase("\(signer.bech32) did not share in round \(job.round) of job \(job.id), so its update cannot be unmasked")
        }
        guard try !store.read.hasSubmitted(job.id, job.round, signer) else {
            throw TrainingError.duplicate("\(signer.bech32) already submitted its update for round \(job.round) of job \(job.id)")
        }
        guard m.vector.count == job.dimension else {
            throw TrainingError.badVector("it has \(m.vector.count) words; job \(job.id)'s head has \(job.dimension) parameters")
        }
        let key = TrainingKeys.sum(job.id, job.round)
        var sum = try store.read.words(key, "sum of job \(job.id)") ?? [UInt32](repeating: 0, count: job.dimension)
        guard sum.count == job.dimension else { throw TrainingError.corrupt("the sum of job \(job.id) has \(sum.count) words") }
        SecureAggregation.add(m.vector, into: &sum, sign: true)
        store.setWords(key, sum)
        context.state.set(TrainingKeys.submitted(job.id, job.round, signer), [1])
        context.emit(TrainingEvents.step("submitted", job: job.id, round: job.round, signer))
    }

    func unmask(_ m: MsgUnmask, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        let (job, me) = try running(m.jobID, round: m.round, phase: .unmasking, signer: signer, store: store, context: context)
        guard try store.read.hasSubmitted(job.id, job.round, signer) else {
            throw TrainingError.wrongPhase("only participants whose update is in round \(job.round)'s sum reveal shares")
        }
        for s in m.shares {
            guard try store.read.share(job.id, job.round, s.of) != nil else {
                throw TrainingError.invalidShares("\(s.of.bech32) did not share in round \(job.round); it has no secret to reveal")
            }
            guard s.share[0] == me.shareX else {
                throw TrainingError.invalidShares("a share revealed by participant \(me.index) has x \(me.shareX), not \(s.share[0])")
            }
            let key = TrainingKeys.reveal(job.id, job.round, of: s.of, from: signer)
            guard try store.read.get(key, "reveal") == nil else {
                throw TrainingError.duplicate("\(signer.bech32) already revealed its share of \(s.of.bech32)'s secret")
            }
            context.state.set(key, s.share)
        }
        context.emit(TrainingEvents.step("unmasked", job: job.id, round: job.round, signer))
    }
}
