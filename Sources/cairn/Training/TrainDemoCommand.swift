import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnModels
import CairnInference
import CairnTraining
import CairnTrainer
import Foundation

/// `cairn train demo`: the whole of federated training on a fresh devnet, measured.
struct TrainDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a fresh devnet, create a job over MiniLM on the VADER sentences, run one participant agent per domain, and compare with training on the union.")
    @Option(help: "Participants (the data's domains are dealt among them).") var participants: Int = 4
    @Option(help: "Rounds.") var rounds: UInt32 = 10
    @Option(help: "Train with DP-SGD to this ε (δ = 1e-5), the noise multiplier chosen by the RDP accountant; without it, no noise.")
    var epsilon: Double?
    @Option(help: "DP-SGD clip norm per record (used with --epsilon).") var clipNorm: Double = 1
    @Option(help: "Local learning rate.") var learningRate: Double = 0.5
    @Option(help: "Local passes per round.") var localEpochs: UInt32 = 1
    @Option(help: "Records per local step.") var batchSize: UInt32 = 32
    @Option(help: "A round in which one participant stops after sharing (its masks are removed from the others' shares); 0 for none.")
    var dropoutRound: UInt32 = 0
    @Option(help: "The data: JSON Lines of {text, label, domain, split} (default: $CAIRN_DATA/vader/vader.jsonl, else ./.data/vader/vader.jsonl).")
    var data: String?
    @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?
    @Option(help: "Work folder (default: a new temporary one).") var home: String?
    @Option(help: "Also write the embeddings as JSON Lines {domain, split, label, embedding} (the Flower baseline's input).")
    var exportEmbeddings: String?
    @Option(help: "Milliseconds between the devnet's blocks.") var blockTime: Int = 250
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        try await reportingFailure { try await demo() }
    }

    func demo() async throws {
        guard (2...Int(TrainingLimits.maxParticipants)).contains(participants) else { throw CLIError("--participants must be 2 to 64") }
        let env = ProcessInfo.processInfo.environment
        let dataPath = data ?? ((env["CAIRN_DATA"] ?? FileManager.default.currentDirectoryPath + "/.data") + "/vader/vader.jsonl")
        guard FileManager.default.fileExists(atPath: dataPath) else {
            throw CLIError("no data at \(dataPath): run scripts/fetch-training-data.sh (or give --data)")
        }
        let work = home ?? NSTemporaryDirectory() + "cairn-train-demo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let quiet = json
        let say: @Sendable (String) -> Void = { line in if !quiet { print(line) } }

        // The data: every record embedded once (cached beside the data), dealt to participants by domain.
        let all = try LabelledData.load(dataPath)
        let started = ContinuousClock.now
        let features = try TextEmbedder.embed(all, modelsDirectory: modelsDir, cacheFolder: (dataPath as NSString).deletingLastPathComponent)
        say("embedded \(all.records.count) records in \(ContinuousClock.now - started)")
        let labels = Array(Set(all.records.map(\.label))).sorted()
        let split = DemoSplit(all, features: features, labels: labels, participants: participants)
        if let exportEmbeddings { try split.export(to: exportEmbeddings, labels: labels) }

        // The privacy settings: the noise every participant needs for ε after all its steps, the largest of them.
        let noise: Double = try epsilon.map { e in
            guard e > 0 else { throw CLIError("--epsilon must be positive") }
            return split.parts.map { part in
                let config = DPSGDConfig(clipNorm: Float(clipNorm), noiseMultiplier: 1, learningRate: Float(learningRate),
                                         epochs: Int(localEpochs), batchSize: Int(batchSize))
                return RDPAccountant.noiseMultiplier(forEpsilon: e, delta: 1e-5, samplingRate: config.samplingRate(exampleCount: part.records.count),
                                                     steps: config.steps(exampleCount: part.records.count) * Int(rounds))
            }.max() ?? 0
        } ?? 0

        let devnet = try TrainDevnet(home: work, modelsDir: modelsDir, accounts: participants + 1, blockTime: blockTime)
        defer { devnet.stop() }
        let node = try await devnet.waitUntilReady()
        let keys = Keyring(home: devnet.keysHome)
        let creator = try keys.privateKey("dev0")
        let minilm = try await node.get("/v1/registry/models", as: ModelsReply.self).models.first { $0.name == "minilm" }
        guard let minilm else { throw CLIError("the devnet registered no minilm model") }

        let settings = TrainingSettings(clipNormMilli: epsilon == nil ? 1_000_000 : UInt32((clipNorm * 1_000).rounded()),
                                        noiseMultiplierMilli: UInt32((noise * 1_000).rounded(.up)),
                                        learningRateMilli: UInt32((learningRate * 1_000).rounded()), localEpochs: localEpochs, batchSize: batchSize,
                                        fixedPointBits: 16)
        let testBytes = split.testFile(labels: labels)
        let receipt = try await node.send([MsgCreateJob(baseModel: minilm.id, labels: labels, head: HeadSpec(inputs: UInt32(split.width)),
                                                        settings: settings, rounds: rounds, minParticipants: UInt32(participants),
                                                        maxParticipants: UInt32(participants), joinBlocks: 400, roundBlocks: 600,
                                                        testSetHash: Hash.sha256(testBytes), reward: 1_000_000_000, stake: 1_000_000)],
                                          key: creator)
        guard let jobID = receipt.events.first(where: { $0.type == "train.job_created" })?["job_id"].flatMap(UInt64.init) else {
            throw CLIError("the job was not created")
        }
        say("job \(jobID): \(rounds) rounds, \(participants) participants, noise multiplier \(Double(settings.noiseMultiplierMilli) / 1_000)")

        let agents = try (0..<participants).map { i in
            try ParticipantAgent(node: URL(string: devnet.nodeURL)!, key: try keys.privateKey("dev\(i + 1)"), job: jobID, home: work + "/p\(i)",
                                 data: split.parts[i], features: split.partFeatures[i]) { say("participant \(i) (\(split.names[i])): \($0)") }
        }
        let summaries = try await withThrowingTaskGroup(of: (Int, ParticipantAgent.Summary).self) { group in
            for (i, agent) in agents.enumerated() {
                group.addTask {
                    if i == 0, dropoutRound > 0 { return (i, try await Self.runDroppingOut(agent, round: dropoutRound, node: node, job: jobID)) }
                    return (i, try await agent.run(poll: .seconds(1), timeout: .seconds(1_800)))
                }
            }
            var out = [Int: ParticipantAgent.Summary]()
            for try await (i, s) in group { out[i] = s }
            return out
        }
        let detail = try await node.get("/v1/train/jobs/\(jobID)", as: JobDetail.self)
        guard detail.job.status == "finished", let firstRound = detail.rounds.first, let lastRound = detail.rounds.last else {
            throw CLIError("job \(jobID) ended \(detail.job.status): \(detail.job.failure ?? "")")
        }
        // The chain's clock, as Flower's server clock is read: from the block that started round 1 (everybody joined)
        // to the block that aggregated the last round.
        let trainingMilliseconds = try await node.block(lastRound.endHeight).header.time - node.block(firstRound.startHeight).header.time
        let (record, trained) = try await node.trainedHead(job: jobID)
        let federated = Head.of(trained)
        let test = try split.test.examples(labels: labels, features: split.testFeatures)
        let accuracyFederated = federated.accuracy(test)
        // The creator reveals the test set with the accuracy it measured; the chain checks it against the commitment.
        let stated = UInt32((accuracyFederated * 10_000).rounded(.down))
        for piece in HeadEvaluation.revealPieces(job: jobID, bytes: testBytes, accuracyBps: stated) { _ = try await node.send([piece], key: creator) }
        let revealed = try await node.get("/v1/train/jobs/\(jobID)", as: JobDetail.self).job
        guard revealed.testRevealed, revealed.accuracyBps == stated else { throw CLIError("the test set was not revealed") }

        // The same head trained on the union of the participants' data, without noise, for as many passes.
        var rng = SystemRandomNumberGenerator()
        let union = try zip(split.parts, split.partFeatures).flatMap { try $0.examples(labels: labels, features: $1) }
        let central = LocalTraining.train(.zero(HeadShape(inputs: split.width, hidden: 0, labels: labels.count)), on: union,
                                          config: DPSGDConfig(clipNorm: .infinity, noiseMultiplier: 0, learningRate: Float(learningRate),
                                                              epochs: Int(localEpochs) * Int(rounds), batchSize: Int(batchSize)),
                                          rng: &rng).head
        let accuracyCentral = central.accuracy(test)

        // ε as the chain reports it: every participant's at the noise used, over the rounds its update went into.
        let achieved = detail.epsilon
        let dimension = record.dimension
        let bytesPerRound = summaries.values.map { Double($0.bytesSent) / Double(max(1, $0.rounds)) }
        let report = DemoReport(
            accuracyFederated: accuracyFederated, accuracyCentralized: accuracyCentral, epsilon: achieved, delta: epsilon == nil ? nil : 1e-5,
            noiseMultiplier: Double(settings.noiseMultiplierMilli) / 1_000, rounds: Int(rounds), participants: participants, modelID: detail.job.modelID,
            jobID: jobID, testSetRevealed: revealed.testRevealed, records: split.parts.map(\.records.count), domains: split.names, testRecords: test.count,
            secondsPerRound: Double(trainingMilliseconds) / 1_000 / Double(rounds), secondsTotal: (ContinuousClock.now - started).seconds,
            bytesPerParticipantPerRound: Int((bytesPerRound.reduce(0, +) / Double(max(1, bytesPerRound.count))).rounded()),
            plainFedAvgBytes: 4 * dimension, droppedOut: detail.rounds.flatMap(\.dropped).count,
            aggregates: detail.rounds.map(\.aggregateHash))
        if json { try printJSON(report) } else {
            print(String(format: "federated accuracy %.4f, centralized %.4f, ε %@, %.2f s a round, %d bytes a participant a round (FedAvg %d)",
                         report.accuracyFederated, report.accuracyCentralized, achieved.map { String(format: "%.2f", $0) } ?? "none",
                         report.secondsPerRound, report.bytesPerParticipantPerRound, report.plainFedAvgBytes))
            print("model \(report.modelID.map(String.init) ?? "-") registered; work folder \(work)")
        }
    }

    /// Runs `agent` but, in `round`, lets it share and then stops it until the round is over: to the chain it is a
    /// participant that dropped out, whose masks the others' shares remove. Afterwards it carries on.
    static func runDroppingOut(_ agent: ParticipantAgent, round: UInt32, node: NodeClient, job: UInt64) async throws -> ParticipantAgent.Summary {
        var dropped = false
        let deadline = ContinuousClock.now + .seconds(1_800)
        while ContinuousClock.now < deadline {
            let view = try await node.get("/v1/train/jobs/\(job)", as: JobDetail.self)
            if !dropped, view.job.round == round, view.job.phase == "submitting" {
                dropped = true
                while try await node.get("/v1/train/jobs/\(job)", as: JobDetail.self).job.round == round { try await Task.sleep(for: .milliseconds(25)) }
                continue
            }
            // As the agent's own loop does: a step that lost a race with the end of its phase is tried again.
            let step: ParticipantAgent.Step
            do { step = try await agent.step() } catch {
                try await Task.sleep(for: .milliseconds(25))
                continue
            }
            switch step {
            case let .over(status): return ParticipantAgent.Summary(status: status, bytesSent: agent.bytesSent, rounds: agent.roundsShared)
            case .waiting: try await agent.waitForNextBlock(limit: .milliseconds(25))
            default: continue
            }
        }
        throw CLIError("job \(job) was not over in time")
    }

    struct ModelsReply: Decodable { var models: [ModelView] }
}

/// The demo's one JSON object.
struct DemoReport: Encodable {
    var accuracyFederated: Double
    var accuracyCentralized: Double
    var epsilon: Double?
    var delta: Double?
    var noiseMultiplier: Double
    var rounds: Int
    var participants: Int
    var modelID: UInt64?
    var jobID: UInt64
    var testSetRevealed: Bool
    var records: [Int]
    var domains: [String]
    var testRecords: Int
    var secondsPerRound: Double
    var secondsTotal: Double
    var bytesPerParticipantPerRound: Int
    var plainFedAvgBytes: Int
    var droppedOut: Int
    var aggregates: [String]

    enum CodingKeys: String, CodingKey {
        case accuracyFederated = "accuracy_federated", accuracyCentralized = "accuracy_centralized", epsilon, delta
        case noiseMultiplier = "noise_multiplier", rounds, participants, modelID = "model_id", jobID = "job_id", testSetRevealed = "test_set_revealed", records, domains
        case testRecords = "test_records", secondsPerRound = "seconds_per_round", secondsTotal = "seconds_total"
        case bytesPerParticipantPerRound = "bytes_per_participant_per_round", plainFedAvgBytes = "plain_fedavg_bytes_per_participant_per_round"
        case droppedOut = "dropped_out", aggregates = "aggregate_hashes"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accuracyFederated, forKey: .accuracyFederated)
        try c.encode(accuracyCentralized, forKey: .accuracyCentralized)
        // Without DP the object says so with an explicit null.
        if let epsilon { try c.encode(epsilon, forKey: .epsilon) } else { try c.encodeNil(forKey: .epsilon) }
        try c.encodeIfPresent(delta, forKey: .delta)
        try c.encode(noiseMultiplier, forKey: .noiseMultiplier)
        try c.encode(rounds, forKey: .rounds)
        try c.encode(participants, forKey: .participants)
        if let modelID { try c.encode(modelID, forKey: .modelID) } else { try c.encodeNil(forKey: .modelID) }
        try c.encode(jobID, forKey: .jobID)
        try c.encode(testSetRevealed, forKey: .testSetRevealed)
        try c.encode(records, forKey: .records)
        try c.encode(domains, forKey: .domains)
        try c.encode(testRecords, forKey: .testRecords)
        try c.encode(secondsPerRound, forKey: .secondsPerRound)
        try c.encode(secondsTotal, forKey: .secondsTotal)
        try c.encode(bytesPerParticipantPerRound, forKey: .bytesPerParticipantPerRound)
        try c.encode(plainFedAvgBytes, forKey: .plainFedAvgBytes)
        try c.encode(droppedOut, forKey: .droppedOut)
        try c.encode(aggregates, forKey: .aggregates)
    }
}
