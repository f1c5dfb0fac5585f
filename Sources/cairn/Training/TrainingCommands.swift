import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnTraining
import CairnTrainer
import Foundation
import CairnModels

/// `cairn tx train ...`
struct TrainTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Create a federated training job, join one with your data, take part in its running round.",
        subcommands: [CreateJob.self, Join.self, Submit.self, RevealTest.self])

    static func milli(_ value: Double, _ flag: String) throws -> UInt32 {
        guard value >= 0, value * 1_000 <= Double(UInt32.max) else { throw CLIError("\(flag) must be between 0 and 4,000,000") }
        return UInt32((value * 1_000).rounded())
    }

    struct CreateJob: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-job", abstract: "Create a training job over a registered embedding model, its reward pool paid into escrow.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "The registered base model whose embeddings the head reads.") var model: UInt64
        @Option(help: "The labels, comma-separated.") var labels: String
        @Option(help: "Embedding width of the base model.") var inputs: UInt32 = 384
        @Option(help: "Hidden units of an MLP head (0: a linear head).") var hidden: UInt32 = 0
        @Option(help: "Rounds.") var rounds: UInt32 = 10
        @Option(help: "Participants needed.") var minParticipants: UInt32 = 2
        @Option(help: "Most participants.") var maxParticipants: UInt32 = 8
        @Option(help: "Blocks participants may join in.") var joinBlocks: UInt64 = 60
        @Option(help: "Blocks a round may take (a third for each phase).") var roundBlocks: UInt64 = 60
        @Option(help: "The held-out test set (a file whose SHA-256 is committed now).") var testSet: String
        @Option(help: "The reward pool, e.g. 100cairn.") var reward: String
        @Option(help: "What each participant locks to join, e.g. 1cairn.") var stake: String = "0ucairn"
        @Option(help: "DP-SGD clip norm per record (with no noise, 1000 or more means no clipping).") var clipNorm: Double = 1
        @Option(help: "DP-SGD noise multiplier (0: no noise).") var noiseMultiplier: Double = 0
        @Option(help: "Local learning rate.") var learningRate: Double = 0.5
        @Option(help: "Local passes over the data per round.") var localEpochs: UInt32 = 1
        @Option(help: "Records per local step.") var batchSize: UInt32 = 32
        @Option(help: "Updates travel as integers scaled by 2^bits.") var fixedPointBits: UInt8 = 16
        @Option(help: "Royalty of the trained model, basis points, to its share holders.") var royaltyBps: UInt32 = 500
        @Option(help: "Licence of the trained model.") var licence: String = "Apache-2.0"

        func run() async throws {
            try await reportingFailure {
                guard let bytes = FileManager.default.contents(atPath: testSet) else { throw CLIError("cannot read the test set \(testSet)") }
                let settings = TrainingSettings(clipNormMilli: try TrainTx.milli(clipNorm, "--clip-norm"),
                                                noiseMultiplierMilli: try TrainTx.milli(noiseMultiplier, "--noise-multiplier"),
                                                learningRateMilli: try TrainTx.milli(learningRate, "--learning-rate"), localEpochs: localEpochs,
                                                batchSize: batchSize, fixedPointBits: fixedPointBits)
                let m = MsgCreateJob(baseModel: model, labels: labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                     head: HeadSpec(inputs: inputs, hidden: hidden), settings: settings, rounds: rounds,
                                     minParticipants: minParticipants, maxParticipants: maxParticipants, joinBlocks: joinBlocks,
                                     roundBlocks: roundBlocks, testSetHash: Hash.sha256(Array(bytes)), reward: try nativeAmount(reward, "--reward"),
                                     stake: try nativeAmount(stake, "--stake"), royaltyBps: royaltyBps, licence: licence)
                try m.validate()
                try await tx.send([m], global: global)
            }
        }
    }

    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join a job with a commitment to your data (its records' Merkle root and count); the encryption key is kept in your vault.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Job id.") var job: UInt64
        @Option(help: "Your records, JSON Lines of {\"text\", \"label\"}.") var data: String

        func run() async throws {
            try await reportingFailure {
                let key = try signingKey(tx.from, home: global.home)
                let records = try LabelledData.load(data, split: "train")
                var rng = SystemRandomNumberGenerator()
                let contents = try ParticipantVault(home: global.home, job: job, signingKey: key).loadOrCreate(job: job, randomness: &rng)
                let (root, count) = records.commitment
                try await tx.send([MsgJoin(jobID: job, dataRoot: root, records: count,
                                           encryptionKey: SecureAggregation.publicKey(ofSecret: contents.encryptionSecret)!)], global: global)
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Do your part of the job's running round once: share your secrets, train and submit your masked update, or reveal your shares, as its phase asks.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Name of the signing key.") var from: String
        @Argument(help: "Job id.") var job: UInt64
        @Option(help: "Your records, JSON Lines of {\"text\", \"label\"}.") var data: String
        @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?

        func run() async throws {
            try await reportingFailure {
                let agent = try TrainCommand.agent(global: global, key: from, job: job, data: data, modelsDir: modelsDir)
                let step = try await agent.step()
                if global.json { try printJSON(["step": "\(step)"]) } else { print("\(step)") }
            }
        }
    }
}

extension TrainTx {
    struct RevealTest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reveal-test",
            abstract: "Reveal a finished job's held-out test set (the file committed at creation) with the trained head's accuracy on it, measured here.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Job id.") var job: UInt64
        @Option(help: "The test set file, JSON Lines of {\"text\", \"label\"}.") var testSet: String
        @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?

        func run() async throws {
            try await reportingFailure {
                guard let bytes = FileManager.default.contents(atPath: testSet) else { throw CLIError("cannot read \(testSet)") }
                let accuracy = try await TrainCommand.evaluate(job: job, testSet: Array(bytes), global: global, modelsDir: modelsDir)
                for piece in HeadEvaluation.revealPieces(job: job, bytes: Array(bytes), accuracyBps: accuracy.bps) {
                    try await tx.send([piece], global: global)
                }
                if !global.json { print("revealed \(bytes.count) bytes; accuracy \(Double(accuracy.bps) / 100)%") }
            }
        }
    }
}

/// `cairn query train ...`
struct TrainQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Training jobs, their participants and rounds.",
                                                    subcommands: [Jobs.self, Job.self])

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every training job.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/train/jobs")) }
        }
    }

    struct Job: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job: participants, aggregated rounds, the running round, the model.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Job id.") var id: UInt64
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/train/jobs/\(id)")) }
        }
    }
}

/// `cairn train ...`
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Take part in federated training jobs; run the whole thing on a fresh devnet.",
        subcommands: [Participate.self, Evaluate.self, Export.self, TrainDemoCommand.self])

    /// A participant agent for `job` signing with key `key`, over the records in `data` (their embeddings cached in the home).
    static func agent(global: GlobalOptions, key name: String, job: UInt64, data: String, modelsDir: String?,
                      log: @escaping @Sendable (String) -> Void = { _ in }) throws -> ParticipantAgent {
        let key = try signingKey(name, home: global.home)
        let records = try LabelledData.load(data, split: "train")
        let features = try TextEmbedder.embed(records, modelsDirectory: modelsDir, cacheFolder: global.home + "/train")
        guard let url = URL(string: global.node) else { throw CLIError("--node \(global.node) is not a URL") }
        return try ParticipantAgent(node: url, key: key, job: job, home: global.home, data: records, features: features, log: log)
    }

    /// The accuracy of job `job`'s head as the chain holds it, on the test set in `bytes`.
    static func evaluate(job: UInt64, testSet bytes: [UInt8], global: GlobalOptions, modelsDir: String?) async throws -> (bps: UInt32, records: Int) {
        let (record, trained) = try await NodeClient(url: global.node).trainedHead(job: job)
        let head = Head.of(trained)
        let test = try HeadEvaluation.parse(bytes)
        let features = try TextEmbedder.embed(test, modelsDirectory: modelsDir, cacheFolder: global.home + "/train")
        return (try HeadEvaluation.accuracyBps(head, test: test, features: features, labels: record.labels), test.records.count)
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a finished job's accuracy from the chain alone: its revealed test set, checked against the commitment, and its head.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Job id.") var job: UInt64
        @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?

        struct TestSetReply: Decodable {
            var sha256: String
            var bytes: String
        }

        func run() async throws {
            try await reportingFailure {
                let client = try NodeClient(url: global.node)
                let view = try await client.get("/v1/train/jobs/\(job)", as: JobDetail.self).job
                let reply = try await client.get("/v1/train/jobs/\(job)/test-set", as: TestSetReply.self)
                guard let data = Data(base64Encoded: reply.bytes) else { throw CLIError("the test set is not base64") }
                let hash = Hash.sha256(Array(data))
                guard hash.hex == view.testSetHash else { throw CLIError("the test set hashes to \(hash.hex), the job committed to \(view.testSetHash)") }
                let measured = try await TrainCommand.evaluate(job: job, testSet: Array(data), global: global, modelsDir: modelsDir)
                let stated = view.accuracyBps ?? 0
                if global.json {
                    try printJSON(EvaluationReport(job: job, records: measured.records, accuracyBps: measured.bps, statedBps: stated,
                                                   matches: measured.bps == stated, testSetHash: view.testSetHash))
                } else {
                    print("job \(job): accuracy \(Double(measured.bps) / 100)% on \(measured.records) test records; the creator stated \(Double(stated) / 100)%"
                          + (measured.bps == stated ? " (the same)" : " (they differ)"))
                }
                if measured.bps != stated { throw ExitCode(2) }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a finished job's head as the file its model is registered by (a provider serves it with --models FILE.head).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Job id.") var job: UInt64
        @Option(help: "The file to write (ending in .head).") var out: String

        func run() async throws {
            try await reportingFailure {
                guard out.hasSuffix(".head") else { throw CLIError("--out must end in .head (how a provider knows a head)") }
                let client = try NodeClient(url: global.node)
                let (record, head) = try await client.trainedHead(job: job)
                guard record.status == .finished, record.modelID != 0 else { throw CLIError("job \(job) is \(record.status.name) and has registered no model") }
                let modelID = record.modelID
                let model = try await client.get("/v1/registry/models/\(modelID)", as: ModelView.self)
                guard model.weightsHash == head.hash else {
                    throw CLIError("the head rebuilt from the chain hashes to \(head.hash.hex), model \(modelID) is registered with \(model.weightsHash.hex)")
                }
                try DurableFile.replace(out, with: head.canonicalBytes, mode: 0o644)
                if global.json { try printJSON(["file": out, "model": model.name, "weightsHash": head.hash.hex]) } else {
                    print("wrote \(out): model \(modelID) (\(model.name)), sha256 \(head.hash.hex)")
                }
            }
        }
    }

    struct EvaluationReport: Encodable {
        var job: UInt64
        var records: Int
        var accuracyBps: UInt32
        var statedBps: UInt32
        var matches: Bool
        var testSetHash: String
    }

    struct Participate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join a job and do every round by yourself until it is over: local DP-SGD on your data, masked updates, shares.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Name of the signing key.") var key: String
        @Option(help: "Your records, JSON Lines of {\"text\", \"label\"} (records of split \"test\" are left out).") var data: String
        @Option(help: "Job id.") var job: UInt64
        @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?
        @Option(help: "Seconds to wait for the job to end.") var timeout: Int = 3_600

        func run() async throws {
            try await reportingFailure {
                let agent = try TrainCommand.agent(global: global, key: key, job: job, data: data, modelsDir: modelsDir) { line in
                    // Line by line, so a participant that is killed leaves its log whole.
                    FileHandle.standardOutput.write(Data("\(ISO8601DateFormatter().string(from: Date())) \(line)\n".utf8))
                }
                let summary = try await agent.run(timeout: .seconds(timeout))
                print("job \(job) is \(summary.status); sent \(summary.bytesSent) bytes of training messages")
            }
        }
    }
}
