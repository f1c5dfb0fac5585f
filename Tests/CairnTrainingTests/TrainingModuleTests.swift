import CairnLedger
import CairnBank
import CairnModels
import CairnApp
import CairnPrimitives
import CairnTraining
import CairnTestSupport
import Testing

@Suite struct TrainingModuleTests {
    @Test func fourParticipantsTrainTwoRoundsAndTheAggregateIsThePlainSumBitForBit() throws {
        let f = try TrainingFixture()
        let before = try f.balance(f.creator.address)
        try f.createJob(rounds: 2, reward: 1_000_001)
        try f.block(f.people.map { f.join($0) })
        var job = try f.job()
        #expect(job.status == .training && job.round == 1 && job.threshold == 3 && job.participants == 4)
        #expect(job.dimension == 15)

        let first = try f.round()
        var weights = [Int64](repeating: 0, count: 15)
        let sum1 = TrainingFixture.plainSum(Array(first.values))
        #expect(try f.training.aggregate(job: 1, round: 1, state: f.state) == sum1)
        for i in 0..<15 { weights[i] += Int64(Int32(bitPattern: sum1[i]) / 4) }
        job = try f.job()
        #expect(job.round == 2 && job.phase == .sharing)

        let second = try f.round()
        let sum2 = TrainingFixture.plainSum(Array(second.values))
        #expect(try f.training.aggregate(job: 1, round: 2, state: f.state) == sum2)
        for i in 0..<15 { weights[i] += Int64(Int32(bitPattern: sum2[i]) / 4) }
        #expect(try f.training.weights(job: 1, state: f.state)?.map { Int64(Int32(bitPattern: $0)) } == weights)

        job = try f.job()
        #expect(job.status == .finished)
        // Each round paid 500,000 split four ways; the 1 ucairn left over and every stake went back.
        #expect(job.paid == 1_000_000)
        for p in f.people {
            let m = try f.member(p)
            #expect(m.contributed == 2 && m.earned == 250_000)
        }
        // The creator paid the pool and gets back what was not paid out (its fees aside).
        #expect(before - (try f.balance(f.creator.address)) > 1_000_000 - 1)
        #expect(try f.balance(TrainingAccounts.escrow) == 0)
        // The head is registered as a model owned by the creator, its revenue shares issued to the data owners by
        // their committed records, and a royalty paid for its use reaches them.
        let modelID = try #require(job.modelID == 0 ? nil : job.modelID)
        let head = try #require(try f.training.trainedHead(job: 1, state: f.state))
        let model = try #require(try LedgerWiring.models.model(modelID, state: f.state))
        #expect(model.weightsHash == head.hash && model.format == .head && model.owner == f.creator.address)
        #expect(try f.training.job(trained: modelID, state: f.state) == 1)
        #expect(head.weights.map { Int64(Int32(bitPattern: $0)) } == weights)
        for p in f.people { #expect(try f.bank.balance(of: p.address, denom: "model/\(modelID)", state: f.state) == 100) }
        try f.harness.withContext(proposer: TrainingFixture.validator.address) { context in
            try LedgerWiring.models.payRoyalty(Coin(denom: Denom.native, amount: 4_000), model: modelID, from: f.creator.address, context: context)
        }
        for p in f.people {
            let before = try f.balance(p.address)
            let r = try f.succeed(p, MsgClaimRoyalties(modelID: modelID))
            #expect(try f.balance(p.address) + r.fee.value - before == 1_000)
        }
        let detail = try #require(try f.training.job(1, state: f.state))
        #expect(detail.rounds.count == 2 && detail.rounds.allSatisfy { $0.dropped.isEmpty && $0.submitted.count == 4 })
        #expect(detail.rounds[0].aggregateHash == Words.hash(sum1).hex)
        #expect(f.harness.violations == [])
    }

    /// One of four (25%) and then one of three shares but never submits: its pairwise masks are rebuilt from the
    /// others' shares of its mask key, and the aggregate is still exactly the sum of the updates that went in.
    @Test func aParticipantThatDropsOutMidRoundIsRecoveredFromTheShares() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 1)
        try f.block(f.people.map { f.join($0) })
        let updates = try f.round(dropping: ["participant-2"])
        #expect(updates.count == 3)
        #expect(try f.training.aggregate(job: 1, round: 1, state: f.state) == TrainingFixture.plainSum(Array(updates.values)))
        let detail = try #require(try f.training.job(1, state: f.state))
        #expect(detail.rounds[0].dropped == [f.people[2].address.bech32])
        #expect(detail.job.status == "finished")
        // The dropout is not paid; the three are, a third of the round's pool each.
        #expect(try f.member(f.people[2]).earned == .zero)
        #expect(try f.member(f.people[0]).earned == 333_333)
        #expect(f.harness.violations == [])
    }

    /// Ten participants, three of them (30%) dropping out after sharing: the aggregate is still the exact sum of the
    /// seven updates that went in.
    @Test func thirtyPercentDroppingOutStillYieldsTheExactAggregate() throws {
        let f = try TrainingFixture(participants: 10)
        try f.createJob(rounds: 1, min: 10, max: 10)
        try f.block(f.people.map { f.join($0) })
        #expect(try f.job().threshold == 6)
        let updates = try f.round(dropping: ["participant-1", "participant-4", "participant-8"])
        #expect(updates.count == 7)
        #expect(try f.training.aggregate(job: 1, round: 1, state: f.state) == TrainingFixture.plainSum(Array(updates.values)))
        #expect(try f.training.job(1, state: f.state)?.rounds.first?.dropped.count == 3)
        #expect(f.harness.violations == [])
    }

    @Test func theJobReportsTheLargestEpsilonOverItsParticipants() throws {
        let f = try TrainingFixture()
        let settings = TrainingSettings(clipNormMilli: 1_000, noiseMultiplierMilli: 1_100, learningRateMilli: 500, localEpochs: 2, batchSize: 16)
        try f.succeed(f.creator, MsgCreateJob(baseModel: 1, labels: TrainingFixture.labels, head: HeadSpec(inputs: 4), settings: settings, rounds: 2,
                                              minParticipants: 3, maxParticipants: 4, joinBlocks: 5, roundBlocks: 9, testSetHash: .zero,
                                              reward: 1_000, stake: 0))
        try f.block([f.join(f.people[0], records: 100), f.join(f.people[1], records: 400), f.join(f.people[2], records: 50), f.join(f.people[3])])
        #expect(try f.training.job(1, state: f.state)?.epsilon == nil)
        try f.round()
        // The smallest data set has the largest sampling rate and the largest ε: 50 records, batches of 16, 2 epochs.
        var accountant = RDPAccountant()
        accountant.compose(samplingRate: 16.0 / 50, noiseMultiplier: 1.1, steps: 2 * 4)
        let detail = try #require(try f.training.job(1, state: f.state))
        #expect(detail.epsilon == accountant.epsilon(delta: 1e-5).epsilon && detail.delta == 1e-5)
        try f.round()
        #expect(try f.training.job(1, state: f.state)?.epsilon ?? 0 > detail.epsilon ?? .infinity)
    }

    @Test func aRoundWithTooFewUpdatesEndsTheJobAndReturnsThePoolAndStakes() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 3, reward: 900_000)
        try f.block(f.people.map { f.join($0) })
        try f.round()
        let creatorBefore = try f.balance(f.creator.address)
        let stakeHolder = try f.balance(f.people[0].address)
        let feesBefore = f.fees[f.people[0].address, default: 0]
        // Round 2: all four share, only two submit; three are needed.
        try f.block(try f.shareTxs(f.people))
        try f.waitOut(.sharing)
        let d = try f.job().dimension
        try f.block(try f.submitTxs([(f.people[0], f.update(d)), (f.people[1], f.update(d))]))
        try f.waitOut(.submitting)
        let job = try f.job()
        #expect(job.status == .failed)
        #expect(job.failure.contains("2 updates submitted, 3 needed"))
        #expect(job.paid == 300_000)
        #expect(try f.balance(f.creator.address) == creatorBefore + 600_000)
        let feesSince = f.fees[f.people[0].address, default: 0] - feesBefore
        #expect(try f.balance(f.people[0].address) == stakeHolder + 10_000 - feesSince)
        #expect(try f.balance(TrainingAccounts.escrow) == 0)
        // Nothing of the unfinished round is left in state.
        #expect(try f.training.job(1, state: f.state)?.running == nil)
        #expect(f.harness.violations == [])
    }

    /// Shares for the next round sent with the update (one transaction) let that round start in its submitting
    /// phase: a round without dropouts takes one block of updates and one of reveals, and its aggregate is still the
    /// plain sum. Shares for a later round, twice, or from a stranger are refused; a job that fails keeps none of them.
    @Test func sharesForTheNextRoundSentWithTheUpdateLetItStartTakingUpdatesAtOnce() throws {
        let f = try TrainingFixture()
        // Phases of 10 blocks: the refusals below take a block each.
        try f.createJob(rounds: 3, roundBlocks: 30, reward: 900_000)
        try f.block(f.people.map { f.join($0) })
        try f.block(try f.shareTxs(f.people))
        try f.waitOut(.sharing)
        let d = try f.job().dimension
        // Round 1's updates, each with its sender's shares for round 2.
        let updates = f.people.map { ($0, f.update(d)) }
        let shared = try f.sharedRecords()
        var next = [Address: RoundSecrets]()
        var txs = [Transaction]()
        for (p, update) in updates {
            let submit = try RoundClient.submit(job: try f.job(), me: try f.member(p), update: update, secrets: f.secrets[p.address]!, shared: shared)
            let (share, kept) = try f.shareMessage(p, round: 2)
            next[p.address] = kept
            txs.append(f.harness.tx(p, [RawMessage(submit), RawMessage(share)], gasLimit: 1_000_000))
        }
        let exec = try f.block(txs)
        #expect(exec.receipts.count == 4 && exec.receipts.allSatisfy(\.success), "\(exec.receipts.map(\.error))")
        #expect(try f.job().phase == .unmasking)
        #expect(try f.training.shareRecord(job: 1, round: 2, of: f.people[0].address, state: f.state) != nil)
        // Too early, twice, a stranger.
        try f.refuse(f.people[0], try f.shareMessage(f.people[0], round: 3).0, code: 6)
        try f.refuse(f.people[0], try f.shareMessage(f.people[0], round: 2).0, code: 7)
        try f.refuse(f.creator, try f.shareMessage(f.people[1], round: 2).0, code: 4)

        try f.block(try f.unmaskTxs(f.people))
        var job = try f.job()
        #expect(job.round == 2 && job.phase == .submitting, "round 2 takes updates at once")
        #expect(try f.training.aggregate(job: 1, round: 1, state: f.state) == TrainingFixture.plainSum(updates.map(\.1)))
        f.secrets = next
        let second = f.people.map { ($0, f.update(d)) }
        try f.block(try f.submitTxs(second))
        #expect(try f.job().phase == .unmasking)
        try f.block(try f.unmaskTxs(f.people))
        #expect(try f.training.aggregate(job: 1, round: 2, state: f.state) == TrainingFixture.plainSum(second.map(\.1)))
        job = try f.job()
        #expect(job.round == 3 && job.phase == .sharing, "nobody shared round 3 early")
        #expect(f.harness.violations == [])

        let g = try TrainingFixture()
        try g.createJob(rounds: 3)
        try g.block(g.people.map { g.join($0) })
        try g.block(try g.shareTxs(g.people))
        try g.waitOut(.sharing)
        // Three send round 2's shares early, but only two updates come: the job fails in round 1.
        try g.block(try g.people.prefix(3).map { g.tx($0, try g.shareMessage($0, round: 2).0) })
        try g.block(try g.submitTxs(g.people.prefix(2).map { ($0, g.update(d)) }))
        try g.waitOut(.submitting)
        #expect(try g.job().status == .failed)
        for p in g.people { #expect(try g.training.shareRecord(job: 1, round: 2, of: p.address, state: g.state) == nil) }
        #expect(g.harness.violations == [])
    }

    /// Secrets split twice with their split seed give every participant the same shares (a participant that resends
    /// after a restart cannot leave its own share out of step with the others'); without the seed each split is new.
    @Test func secretsWithASplitSeedSplitTheSameWayEveryTime() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 1)
        try f.block(f.people.map { f.join($0) })
        let job = try f.job()
        let members = try f.training.participants(job: 1, state: f.state)
        let (me, peer) = (try f.member(f.people[0]), try f.member(f.people[1]))
        func split(_ secrets: RoundSecrets, seed: UInt64) throws -> (kept: RoundSecrets, toPeer: ShareBox.Contents?) {
            var rng = SplitMix64(seed: seed)
            let (message, kept) = try RoundClient.share(job: job, me: me, members: members, encryptionSecret: f.encryption[me.address]!,
                                                        secrets: secrets, randomness: &rng)
            let box = try #require(message.boxes.first { $0.to == peer.address })
            return (kept, ShareBox.open(box.box, secret: f.encryption[peer.address]!, peerKey: me.encryptionKey, from: me.address,
                                        to: peer.address, scope: .init(job: 1, round: job.round)))
        }
        let seeded = RoundSecrets(round: 1, maskSecret: randomBytes(32, &f.rng), selfSeed: randomBytes(32, &f.rng), splitSeed: randomBytes(32, &f.rng))
        let (a, b) = (try split(seeded, seed: 1), try split(seeded, seed: 2))
        #expect(a.toPeer != nil && a.toPeer == b.toPeer)
        #expect(a.kept == b.kept && !a.kept.ownSelfShare.isEmpty)
        var unseeded = seeded
        unseeded.splitSeed = nil
        let (c, d) = (try split(unseeded, seed: 1), try split(unseeded, seed: 2))
        #expect(c.toPeer != nil && c.toPeer != d.toPeer && c.kept.ownSelfShare != d.kept.ownSelfShare)
    }

    /// When only some participants shared early, the next round waits in its sharing phase for the others.
    @Test func aRoundWaitsForThoseThatDidNotShareEarly() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 2)
        try f.block(f.people.map { f.join($0) })
        try f.block(try f.shareTxs(f.people))
        try f.waitOut(.sharing)
        try f.block(try f.people.prefix(3).map { f.tx($0, try f.shareMessage($0, round: 2).0) })
        let d = try f.job().dimension
        try f.block(try f.submitTxs(f.people.map { ($0, f.update(d)) }))
        try f.block(try f.unmaskTxs(f.people))
        let job = try f.job()
        #expect(job.round == 2 && job.phase == .sharing)
        #expect(try f.training.job(1, state: f.state)?.running?.shared.count == 3)
        #expect(f.harness.violations == [])
    }

    @Test func tooFewJoinersEndTheJobAtItsJoinDeadline() throws {
        let f = try TrainingFixture()
        let before = try f.balance(f.creator.address)
        let r = try f.createJob(min: 3, joinBlocks: 3)
        try f.block([f.join(f.people[0]), f.join(f.people[1])])
        try f.blocks(3)
        let job = try f.job()
        #expect(job.status == .failed && job.failure.contains("only 2 of the 3"))
        #expect(before - (try f.balance(f.creator.address)) == r.fee.value)
        #expect(try f.balance(TrainingAccounts.escrow) == 0)
        try f.refuse(f.people[2], MsgJoin(jobID: 1, dataRoot: .zero, records: 1,
                                          encryptionKey: SecureAggregation.publicKey(ofSecret: [UInt8](repeating: 7, count: 32))!), code: 5)
        #expect(f.harness.violations == [])
    }

    @Test func badUpdatesAreRefusedWithClearErrorsAndChangeNothing() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 2, roundBlocks: 60)
        try f.block(f.people.map { f.join($0) })
        try f.block(try f.shareTxs(Array(f.people.prefix(3))))
        // A share again in the same round.
        try f.refuse(f.people[0], try f.shareMessage(f.people[0]).0, code: 7)
        try f.block(try f.shareTxs([f.people[3]]))
        try f.waitOut(.sharing)
        let d = try f.job().dimension
        let good = try f.submitTxs([(f.people[0], f.update(d))])[0]
        // Wrong length, wrong round, an outsider, an empty and an oversized vector.
        try f.refuse(f.people[1], MsgSubmit(jobID: 1, round: 1, vector: [UInt32](repeating: 1, count: d - 1)), code: 8)
        try f.refuse(f.people[1], MsgSubmit(jobID: 1, round: 2, vector: [UInt32](repeating: 1, count: d)), code: 6)
        try f.refuse(f.creator, MsgSubmit(jobID: 1, round: 1, vector: [UInt32](repeating: 1, count: d)), code: 4)
        try f.refuse(f.people[1], MsgSubmit(jobID: 9, round: 1, vector: [UInt32](repeating: 1, count: d)), code: 1)
        try f.dropped(f.people[1], MsgSubmit(jobID: 1, round: 1, vector: []), code: 8)
        try f.dropped(f.people[1], MsgSubmit(jobID: 1, round: 1, vector: [UInt32](repeating: 1, count: TrainingLimits.maxDimension + 1)), code: 8)
        // The sum is untouched by all that: nobody's update is in it yet.
        #expect(try f.training.job(1, state: f.state)?.running?.shared.allSatisfy { !$0.submitted } == true)
        try f.block([good])
        // Twice.
        try f.refuse(f.people[0], MsgSubmit(jobID: 1, round: 1, vector: [UInt32](repeating: 1, count: d)), code: 7)
        // After the deadline: the phase moved on to unmasking.
        try f.waitOut(.submitting)
        #expect(try f.job().status == .failed)  // one update of three needed
        try f.refuse(f.people[1], MsgSubmit(jobID: 1, round: 1, vector: [UInt32](repeating: 1, count: d)), code: 5)
        #expect(f.harness.violations == [])
    }

    @Test func lateSubmissionsAreRefusedOnceThePhaseHasMovedOn() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 1)
        try f.block(f.people.map { f.join($0) })
        try f.block(try f.shareTxs(f.people))
        try f.waitOut(.sharing)
        let d = try f.job().dimension
        let updates = (0..<4).map { (f.people[$0], f.update(d)) }
        let txs = try f.submitTxs(updates)
        try f.block(Array(txs.prefix(3)))
        try f.waitOut(.submitting)
        #expect(try f.job().phase == .unmasking)
        let late = try #require(try f.block([txs[3]]).receipts.first)
        #expect(late.error?.module == "train" && late.error?.code == 5)
        try f.block(try f.unmaskTxs(Array(f.people.prefix(3))))
        #expect(try f.training.aggregate(job: 1, round: 1, state: f.state) == TrainingFixture.plainSum(updates.prefix(3).map(\.1)))
        #expect(f.harness.violations == [])
    }

    @Test func sharesMustCoverEveryOtherParticipantAndRevealsOnlyTheirOwnX() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 1)
        try f.block(f.people.map { f.join($0) })
        var message = try f.shareMessage(f.people[0]).0
        message.boxes.removeLast()
        try f.refuse(f.people[0], message, code: 9)
        try f.block(try f.shareTxs(f.people))
        try f.waitOut(.sharing)
        let d = try f.job().dimension
        try f.block(try f.submitTxs(f.people.map { ($0, f.update(d)) }))
        try f.waitOut(.submitting)
        // Participant 1 reveals a share claiming participant 0's x.
        var unmask = try f.unmaskMessage(f.people[1])
        unmask.shares[0].share[0] = 1
        try f.refuse(f.people[1], unmask, code: 9)
        #expect(f.harness.violations == [])
    }

    @Test func malformedJobsAreDroppedBeforeTheyCostAnything() throws {
        let f = try TrainingFixture()
        func job(labels: [String] = TrainingFixture.labels, rounds: UInt32 = 1, min: UInt32 = 2, roundBlocks: UInt64 = 9,
                 inputs: UInt32 = 4, reward: Amount = 10) -> MsgCreateJob {
            MsgCreateJob(baseModel: 1, labels: labels, head: HeadSpec(inputs: inputs), rounds: rounds, minParticipants: min, maxParticipants: 4,
                         joinBlocks: 5, roundBlocks: roundBlocks, testSetHash: .zero, reward: reward, stake: 0)
        }
        try f.dropped(f.creator, job(labels: ["only"]), code: 2)
        try f.dropped(f.creator, job(labels: ["a", "a"]), code: 2)
        try f.dropped(f.creator, job(rounds: 0), code: 2)
        try f.dropped(f.creator, job(min: 1), code: 2)
        try f.dropped(f.creator, job(roundBlocks: 2), code: 2)
        try f.dropped(f.creator, job(inputs: 4_000), code: 2)  // 12,003 parameters: past one transaction
        try f.dropped(f.creator, job(rounds: 20, reward: 10), code: 2)
        var unknown = job()
        unknown.baseModel = 77
        try f.refuse(f.creator, unknown, code: 10)
        try f.dropped(f.people[0], MsgJoin(jobID: 1, dataRoot: .zero, records: 1, encryptionKey: [UInt8](repeating: 0, count: 32)), code: 3)
        let key = SecureAggregation.publicKey(ofSecret: [UInt8](repeating: 3, count: 32))!
        try f.dropped(f.people[0], MsgJoin(jobID: 1, dataRoot: .zero, records: UInt64.max, encryptionKey: key), code: 3)
        var epochs = job()
        epochs.settings.localEpochs = 1_001
        try f.dropped(f.creator, epochs, code: 2)
        var batch = job()
        batch.settings.batchSize = 0
        try f.dropped(f.creator, batch, code: 2)
        // A cairn-head model comes only from a training job.
        let spec = ModelSpec(name: "fake-head", weightsHash: Hash.sha256(Array("fake".utf8)), format: .head, architecture: "linear-head",
                             licence: "MIT", royaltyBps: 0)
        let exec = try f.block([f.tx(f.creator, MsgRegisterModel(spec))])
        #expect(exec.receipts.isEmpty && exec.dropped.first?.error.module == "models", "\(exec.dropped)")
        #expect(f.harness.violations == [])
    }

    /// What the chain and anyone watching it hold after a round with a dropout (every masked update, every revealed
    /// share, every published key) recovers the aggregate but not one participant's update: with everything
    /// revealed taken off, each update is still covered by its pairwise masks with the other participants whose
    /// update went in.
    @Test func anObserverOfEveryMessageRecoversTheSumButNoUpdate() throws {
        let f = try TrainingFixture()
        try f.createJob(rounds: 1)
        try f.block(f.people.map { f.join($0) })
        let updates = try f.round(dropping: ["participant-3"])
        let messages = f.seen
        let submits = messages.compactMap { m in (try? MsgSubmit(canonicalBytes: m.message.body)).map { (m.signer, $0) } }
        let shares = messages.compactMap { m in (try? MsgShare(canonicalBytes: m.message.body)).map { (m.signer, $0) } }
        let reveals = messages.compactMap { m in (try? MsgUnmask(canonicalBytes: m.message.body)).map { (m.signer, $0) } }
        #expect(submits.count == 3 && shares.count == 4 && reveals.count == 3)
        let scope = SecureAggregation.Scope(job: 1, round: 1)
        // The observer rebuilds every secret the reveals give: the submitters' seeds, the dropout's mask key.
        func revealed(of a: Address) -> [[UInt8]] { reveals.flatMap { $0.1.shares.filter { $0.of == a }.map(\.share) } }
        let dropout = f.people[3].address
        let dropoutSecret = try #require(Shamir.combine(revealed(of: dropout)))
        var total = [UInt32](repeating: 0, count: 15)
        for (signer, submit) in submits {
            let seed = try #require(Shamir.combine(revealed(of: signer)))
            var residue = submit.vector
            SecureAggregation.add(SecureAggregation.expand(seed, count: 15), into: &residue, sign: false)
            let peerKey = try #require(shares.first { $0.0 == signer }?.1.maskKey)
            let pair = try #require(SecureAggregation.pairSeed(secret: dropoutSecret, me: dropout, peerKey: peerKey, peer: signer, scope: scope))
            SecureAggregation.add(SecureAggregation.expand(pair, count: 15), into: &residue, sign: !SecureAggregation.adds(signer, over: dropout))
            // Still masked: no word of it is the participant's update.
            let update = try #require(updates[signer])
            #expect(zip(residue, update).filter { $0 == $1 }.count == 0, "\(signer.bech32)'s update shows through")
            SecureAggregation.add(residue, into: &total, sign: true)
        }
        // Only the sum over everybody comes out clear.
        #expect(total == TrainingFixture.plainSum(Array(updates.values)))
        for (signer, _) in submits {
            let keyShares = revealed(of: signer)
            // The revealed shares of a submitter rebuild its committed self-mask seed and nothing else.
            let commitment = try #require(shares.first { $0.0 == signer }?.1.seedCommitment)
            #expect(SecureAggregation.commitment(toSeed: try #require(Shamir.combine(keyShares))) == commitment)
        }
    }
}

@Suite struct RevealTestTests {
    @Test func theCreatorRevealsTheCommittedTestSetInPiecesAndNothingElse() throws {
        let f = try TrainingFixture()
        let file = Array((0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try f.succeed(f.creator, MsgCreateJob(baseModel: 1, labels: TrainingFixture.labels, head: HeadSpec(inputs: 4), rounds: 1, minParticipants: 3,
                                              maxParticipants: 4, joinBlocks: 5, roundBlocks: 9, testSetHash: Hash.sha256(file), reward: 1_000, stake: 0))
        let early = MsgRevealTest(jobID: 1, offset: 0, total: UInt64(file.count), bytes: Array(file.prefix(100)), accuracyBps: 8_000)
        try f.refuse(f.creator, early, code: 5)  // not finished yet
        try f.block(f.people.map { f.join($0) })
        try f.round()
        #expect(try f.job().status == .finished)
        let first = MsgRevealTest(jobID: 1, offset: 0, total: UInt64(file.count), bytes: Array(file[0..<40_000]), accuracyBps: 8_000)
        let second = MsgRevealTest(jobID: 1, offset: 40_000, total: UInt64(file.count), bytes: Array(file[40_000...]), accuracyBps: 8_000)
        try f.refuse(f.people[0], first, code: 13)  // only the creator
        try f.refuse(f.creator, second, code: 13)  // out of order
        try f.succeed(f.creator, first)
        #expect(try f.job().testRevealed == false)
        // A last piece that makes another file is refused; the reveal can go on with the right one.
        var forged = second
        forged.bytes[0] ^= 1
        try f.refuse(f.creator, forged, code: 13)
        try f.succeed(f.creator, second)
        let job = try f.job()
        #expect(job.testRevealed && job.accuracyBps == 8_000)
        #expect(try f.training.testSet(job: 1, state: f.state) == file)
        try f.refuse(f.creator, first, code: 7)
        try f.dropped(f.creator, MsgRevealTest(jobID: 1, offset: 0, total: 10, bytes: [], accuracyBps: 1), code: 13)
        try f.dropped(f.creator, MsgRevealTest(jobID: 1, offset: 0, total: 10, bytes: [1], accuracyBps: 10_001), code: 13)
        // An offset near 2^64 is refused, not overflowed.
        try f.dropped(f.creator, MsgRevealTest(jobID: 1, offset: UInt64.max - 1, total: 10, bytes: [1, 2, 3], accuracyBps: 1), code: 13)
        #expect(f.harness.violations == [])
    }
}
