import CairnPrimitives
public import CairnLedger

extension TrainingModule {
    /// Moves every job that is not over along: starts training when joining ends, moves a round to its next phase
    /// when everyone has acted or the phase's deadline has come, removes the masks from a round's sum once enough
    /// shares are revealed, pays the round and starts the next, and ends the job cleanly when a round lacks
    /// participants.
    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let store = TrainingStore(state: context.state)
        for id in try store.read.activeJobIDs() {
            var job = try store.read.existingJob(id)
            switch job.status {
            case .joining: try endJoining(&job, store: store, context: context)
            case .training: try advance(&job, store: store, context: context)
            case .finished, .failed: context.state.delete(TrainingKeys.active(id))
            }
        }
    }

    func phaseBlocks(_ job: TrainingJob) -> UInt64 { max(1, job.roundBlocks / 3) }

    func endJoining(_ job: inout TrainingJob, store: TrainingStore, context: ExecutionContext) throws(LedgerError) {
        guard context.height >= job.joinDeadline || job.participants == job.maxParticipants else { return }
        guard job.participants >= job.minParticipants else {
            return try end(&job, .failed, "only \(job.participants) of the \(job.minParticipants) participants needed joined", store: store,
                           context: context)
        }
        job.status = .training
        // A majority: fewer shares than this say nothing about a secret, and a minority cannot unmask anyone.
        job.threshold = job.participants / 2 + 1
        try startRound(&job, 1, store: store, context: context)
    }

    func startRound(_ job: inout TrainingJob, _ round: UInt32, store: TrainingStore, context: ExecutionContext) throws(LedgerError) {
        job.round = round
        job.phase = .sharing
        job.roundStart = context.height
        // Everybody shared for this round during the last one: it takes updates at once.
        var everyone = true
        for p in try store.read.members(job.id) where try store.read.share(job.id, round, p.address) == nil { everyone = false }
        if everyone { job.phase = .submitting }
        job.phaseDeadline = context.height + phaseBlocks(job)
        store.write(job)
        context.emit(TrainingEvents.phase(job))
    }

    func advance(_ job: inout TrainingJob, store: TrainingStore, context: ExecutionContext) throws(LedgerError) {
        let due = context.height >= job.phaseDeadline
        let members = try store.read.members(job.id)
        var shared = [Participant]()
        var submitted = [Participant]()
        for p in members where try store.read.share(job.id, job.round, p.address) != nil {
            shared.append(p)
            if try store.read.hasSubmitted(job.id, job.round, p.address) { submitted.append(p) }
        }
        switch job.phase {
        case .sharing:
            guard due || shared.count == members.count else { return }
            guard shared.count >= Int(job.threshold) else {
                return try end(&job, .failed, "round \(job.round): \(shared.count) participants shared, \(job.threshold) needed", store: store,
                               context: context)
            }
            job.phase = .submitting
        case .submitting:
            guard due || submitted.count == shared.count else { return }
            guard submitted.count >= Int(job.threshold) else {
                return try end(&job, .failed, "round \(job.round): \(submitted.count) updates submitted, \(job.threshold) needed", store: store,
                               context: context)
            }
            job.phase = .unmasking
        case .unmasking:
            switch try unmaskedSum(job, shared: shared, submitted: submitted, store: store, state: context.state) {
            case let .done(aggregate):
                return try finishRound(&job, shared: shared, submitted: submitted, aggregate: aggregate, store: store, context: context)
            case let .waiting(why):
                guard due else { return }
                return try end(&job, .failed, "round \(job.round): the masks could not be removed by the deadline (\(why))", store: store,
                               context: context)
            }
        }
        job.phaseDeadline = context.height + phaseBlocks(job)
        store.write(job)
        context.emit(TrainingEvents.phase(job))
    }

    enum Unmasking {
        case done([UInt32])
        case waiting(String)
    }

    /// The round's sum with every mask removed, or why not yet: the self masks of those who submitted (seeds rebuilt
    /// from the revealed shares and checked against their commitments) and the pairwise masks those who submitted
    /// added for each participant that shared but did not submit (its mask key rebuilt and checked against its
    /// public key).
    func unmaskedSum(_ job: TrainingJob, shared: [Participant], submitted: [Participant], store: TrainingStore,
                     state: any StateReader) throws(LedgerError) -> Unmasking {
        guard var sum = try store.read.words(TrainingKeys.sum(job.id, job.round), "sum of job \(job.id)"), sum.count == job.dimension else {
            throw TrainingError.corrupt("job \(job.id) round \(job.round) has no sum of \(job.dimension) words")
        }
        let threshold = Int(job.threshold)
        let scope = SecureAggregation.Scope(job: job.id, round: job.round)
        var records = [Address: ShareRecord]()
        for p in shared { records[p.address] = try store.read.share(job.id, job.round, p.address) }
        let inSum = Set(submitted.map(\.address))
        for p in shared {
            let shares = try store.read.reveals(job.id, job.round, of: p.address)
            guard shares.count >= threshold else { return .waiting("\(shares.count) of \(threshold) shares of \(p.address.bech32)'s secret") }
        }
        for p in submitted {
            let commitment = records[p.address]!.seedCommitment
            guard let seed = Self.recover(try store.read.reveals(job.id, job.round, of: p.address), threshold: threshold, check: {
                SecureAggregation.commitment(toSeed: $0) == commitment
            }) else { return .waiting("the shares of \(p.address.bech32)'s self-mask seed do not rebuild its committed seed") }
            SecureAggregation.add(SecureAggregation.expand(seed, count: sum.count), into: &sum, sign: false)
        }
        for d in shared where !inSum.contains(d.address) {
            let maskKey = records[d.address]!.maskKey
            guard let secret = Self.recover(try store.read.reveals(job.id, job.round, of: d.address), threshold: threshold, check: {
                SecureAggregation.publicKey(ofSecret: $0) == maskKey
            }) else { return .waiting("the shares of \(d.address.bech32)'s mask key do not rebuild its published key") }
            for u in submitted {
                guard let seed = SecureAggregation.pairSeed(secret: secret, me: d.address, peerKey: records[u.address]!.maskKey, peer: u.address,
                                                            scope: scope) else { return .waiting("an agreement with \(u.address.bech32) failed") }
                // u added its mask with d when u is the lower address, subtracted it otherwise; undo that.
                SecureAggregation.add(SecureAggregation.expand(seed, count: sum.count), into: &sum, sign: !SecureAggregation.adds(u.address, over: d.address))
            }
        }
        return .done(sum)
    }

    /// The secret behind `shares` that passes `check`: the first `threshold` shares, then other subsets of that size
    /// in order (a bounded search, so a few wrong shares among enough right ones do not block the round).
    static func recover(_ shares: [[UInt8]], threshold: Int, check: ([UInt8]) -> Bool) -> [UInt8]? {
        guard shares.count >= threshold else { return nil }
        var tried = 0
        var pick = Array(0..<threshold)
        while tried < 512 {
            tried += 1
            if let secret = Shamir.combine(pick.map { shares[$0] }), check(secret) { return secret }
            // Next combination of `threshold` indices out of `shares.count`, in lexicographic order.
            var i = threshold - 1
            while i >= 0 && pick[i] == shares.count - threshold + i { i -= 1 }
            guard i >= 0 else { return nil }
            pick[i] += 1
            for k in (i + 1)..<threshold { pick[k] = pick[k - 1] + 1 }
        }
        return nil
    }

    func finishRound(_ job: inout TrainingJob, shared: [Participant], submitted: [Participant], aggregate: [UInt32], store: TrainingStore,
                     context: ExecutionContext) throws(LedgerError) {
        let count = Int32(submitted.count)
        var weights = try store.read.words(TrainingKeys.weights(job.id), "weights of job \(job.id)") ?? [UInt32](repeating: 0, count: job.dimension)
        for i in weights.indices {
            // The model moves by the contributors' mean update, in fixed point, saturating.
            let step = Int64(Int32(bitPattern: aggregate[i]) / count)
            let next = max(Int64(Int32.min), min(Int64(Int32.max), Int64(Int32(bitPattern: weights[i])) + step))
            weights[i] = UInt32(bitPattern: Int32(next))
        }
        store.setWords(TrainingKeys.weights(job.id), weights)
        store.setWords(TrainingKeys.aggregate(job.id, job.round), aggregate)
        let perRound = job.reward.value / UInt128(job.rounds)
        let each = Amount(perRound / UInt128(submitted.count))
        for var p in submitted {
            if each > .zero { try bank.send(Self.native(each), from: TrainingAccounts.escrow, to: p.address, context: context) }
            p.contributed += 1
            p.earned = p.earned.adding(each) ?? p.earned
            store.write(p, job: job.id)
        }
        job.paid = Amount(job.paid.value + each.value * UInt128(submitted.count))
        let record = RoundRecord(round: job.round, shared: shared.map(\.address), submitted: submitted.map(\.address),
                                 aggregateHash: Words.hash(aggregate), rewardEach: each, startHeight: job.roundStart, endHeight: context.height)
        context.state.set(TrainingKeys.round(job.id, job.round), record.canonicalBytes)
        context.emit(TrainingEvents.aggregated(job: job.id, record))
        try store.clearRound(job.id, job.round)
        if job.round == job.rounds {
            try end(&job, .finished, "", store: store, context: context)
        } else {
            try startRound(&job, job.round + 1, store: store, context: context)
        }
    }

    /// Registers a finished job's head as a model NFT owned by the job's creator, with revenue shares to every
    /// participant whose update went into at least one round, one share per committed record. A registration the
    /// models module refuses (a royalty above its cap) leaves the job finished without a model, and says why.
    func registerModel(_ job: inout TrainingJob, store: TrainingStore, context: ExecutionContext) throws(LedgerError) {
        let weights = try store.read.words(TrainingKeys.weights(job.id), "weights of job \(job.id)") ?? [UInt32](repeating: 0, count: job.dimension)
        let artifact = TrainedHead(job: job.id, baseModel: job.baseModel, labels: job.labels, head: job.head,
                                   fixedPointBits: job.settings.fixedPointBits, weights: weights)
        let holders = try store.read.members(job.id).filter { $0.contributed > 0 }.map { (address: $0.address, shares: Amount(UInt128($0.records))) }
        // A failed registration must not write half a model: it runs on a layer of its own that is dropped on failure.
        let layer = StateOverlay(base: context.state)
        let scratch = ExecutionContext(state: layer, chainID: context.chainID, height: context.height, time: context.time, proposer: context.proposer)
        do {
            job.modelID = try models.registerTrained(name: "train-job-\(job.id)", weightsHash: artifact.hash,
                                                     architecture: job.head.hidden == 0 ? "linear-head" : "mlp-head", licence: job.licence,
                                                     royaltyBps: job.royaltyBps, owner: job.creator, holders: holders, context: scratch)
        } catch {
            job.failure = "the model was not registered: \(error.message)"
            return
        }
        for (key, value) in layer.changes { context.state.set(key, value) }
        for e in scratch.takeEvents() { context.emit(e) }
        context.state.set(TrainingKeys.model(job.modelID), StateKey.bigEndian(job.id))
    }

    /// Ends a job: the running round's records go, every participant's stake and the pool's unpaid remainder return.
    func end(_ job: inout TrainingJob, _ status: JobStatus, _ reason: String, store: TrainingStore, context: ExecutionContext) throws(LedgerError) {
        if job.status == .training, job.round > 0, try store.read.round(job.id, job.round) == nil { try store.clearRound(job.id, job.round) }
        // Shares sent early for a round that will not run.
        if job.status == .training, job.round < job.rounds { try store.clearRound(job.id, job.round + 1) }
        job.status = status
        job.failure = reason
        if status == .finished { try registerModel(&job, store: store, context: context) }
        for p in try store.read.members(job.id) where p.stake > .zero {
            try bank.send(Self.native(p.stake), from: TrainingAccounts.escrow, to: p.address, context: context)
        }
        let remainder = Amount(job.reward.value - job.paid.value)
        if remainder > .zero { try bank.send(Self.native(remainder), from: TrainingAccounts.escrow, to: job.creator, context: context) }
        store.write(job)
        context.state.delete(TrainingKeys.active(job.id))
        context.emit(TrainingEvents.ended(job, refunded: remainder))
    }
}
