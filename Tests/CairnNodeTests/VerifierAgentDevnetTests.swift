import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnClient
import CairnTestSupport

/// The verifier's agent on the real devnet with the real SmolLM2: three `cairn verifier start` processes sit on the
/// committees, judge each challenged job by running the check, and vote. A job answered with made-up text is found
/// cheated and its provider slashed; a job answered honestly (this engine's greedy output) is found honest and the
/// challenger loses its bond to the committee.
@Suite struct VerifierAgentDevnetTests {
    static let chainID = "cairn-verifier-e2e"

    @Test func agentsJudgeChallengesByRunningTheCheck() async throws {
        // One-second blocks: eight of them to commit, time enough for three agents to check a job beside the rest of the suite.
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: Self.chainID, blockTime: 1000, accounts: 5)
        var agents: [CairnProcess] = []
        do {
            try await scenario(net, agents: &agents)
        } catch {
            for a in agents { try? await a.stop(SIGINT) }
            try? await net.stop()
            throw error
        }
        for a in agents { try? await a.stop(SIGINT) }
        try await net.stop()
    }

    func status(_ net: StakingGovernanceDevnetTests.Devnet, _ id: Int) async throws -> [String: JSONValue] {
        guard case let .object(c) = try JSONValue(parsing: try await net.ok(["query", "verification", "challenge", "\(id)"])) else { return [:] }
        return c
    }

    func waitForVerdict(_ net: StakingGovernanceDevnetTests.Devnet, _ id: Int) async throws -> [String: JSONValue] {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let c = try await status(net, id)
            if case let .string(s)? = c["status"], ["upheld", "rejected", "void"].contains(s) { return c }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CairnProcess.Failure(description: "challenge \(id) was not decided")
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet, agents: inout [CairnProcess]) async throws {
        let provider = try net.address("dev4")
        try await net.ok(["tx", "staking", "create-provider", "--moniker", "provider", "--self-bond", "100cairn", "--from", "dev4"])
        for v in ["dev1", "dev2", "dev3"] { try await net.ok(["tx", "verification", "register", "--bond", "100cairn", "--from", v]) }
        for v in ["dev1", "dev2", "dev3"] {
            agents.append(try CairnProcess(["verifier", "start", "--key", v, "--home", net.home, "--node", net.url, "--models-dir",
                                            MarketDevnetTests.modelsDirectory, "--interval-ms", "200", "--preload", "smollm2"],
                                           log: net.dir.url.appendingPathComponent("verifier-\(v).log")))
        }
        // Each agent says when it has loaded the model and watches the chain.
        let ready = ContinuousClock.now + .seconds(60)
        for v in ["dev1", "dev2", "dev3"] {
            let log = net.dir.url.appendingPathComponent("verifier-\(v).log")
            while !((try? String(contentsOf: log, encoding: .utf8))?.contains("watching") ?? false) {
                guard ContinuousClock.now < ready else { throw CairnProcess.Failure(description: "agent \(v) did not start") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        // One prompt, two answers: this engine's greedy continuation, and made-up text.
        let prompt = "The three primary colors are"
        let run = try await CairnProcess.run(["run", "--model", "smollm2", "--models", MarketDevnetTests.modelsDirectory, "--max-tokens", "24",
                                              "--temperature", "0", prompt], log: net.dir.url.appendingPathComponent("run.log"))
        #expect(run.status == 0, "\(run.output)")
        // `cairn run` prints the continuation and then a newline of its own.
        #expect(run.output.hasSuffix("\n"))
        let honest = String(run.output.dropLast())
        let made = " bananas orbit quietly under seventeen purple umbrellas while the violin sleeps beside a frozen river of maps"
        let request = #"{"model": "smollm2", "prompt": "The three primary colors are", "max_tokens": 24, "temperature": 0}"#

        let key = try Keyring(home: net.home).privateKey("dev4")
        func challenge(_ output: String, channel: UInt64) async throws {
            let receipt = ServiceReceipt(provider: provider, channelID: channel, requestHash: Hash.sha256(Array(request.utf8)),
                                         outputHash: Hash.sha256(Array(output.utf8)), modelID: 1, model: "smollm2", promptTokens: 6,
                                         completionTokens: 24, embeddingTokens: 0,
                                         price: ModelPrice(modelID: 1, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 0),
                                         cost: 5, cumulative: 5, modelCumulative: 5, modelTokens: 30, modelRequests: 1)
                .signed(by: key, chainID: Self.chainID)
            let requestFile = net.dir.path("request-\(channel).json"), outputFile = net.dir.path("output-\(channel).txt")
            try Data(request.utf8).write(to: URL(fileURLWithPath: requestFile))
            try Data(output.utf8).write(to: URL(fileURLWithPath: outputFile))
            try await net.ok(["tx", "verification", "challenge", "--receipt", receipt.headerValue, "--request", requestFile, "--output", outputFile,
                              "--from", "dev0"])
        }

        let raised = ContinuousClock.now
        try await challenge(made, channel: 1)
        let cheat = try await waitForVerdict(net, 1)
        let elapsed = ContinuousClock.now - raised
        print("verifier agents: made-up answer challenged and its provider slashed in "
              + String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) + " s")
        func logs() -> String {
            ["dev1", "dev2", "dev3"].map { v in
                "\(v): " + ((try? String(contentsOf: net.dir.url.appendingPathComponent("verifier-\(v).log"), encoding: .utf8)) ?? "no log")
            }.joined(separator: "\n")
        }
        #expect(cheat["status"] == .string("upheld"), "\(cheat)\n\(logs())")
        guard case let .array(seats)? = cheat["committee"] else { Issue.record("no committee"); return }
        #expect(seats.allSatisfy { if case let .object(s) = $0 { s["verdict"] == .string("cheated") } else { false } }, "\(seats)")

        try await challenge(honest, channel: 2)
        let fair = try await waitForVerdict(net, 2)
        #expect(fair["status"] == .string("rejected"), "\(fair)\n\(logs())")
        guard case let .object(rep) = try JSONValue(parsing: try await net.ok(["query", "verification", "provider", provider.bech32])) else {
            Issue.record("no reputation"); return
        }
        #expect(rep["challengesUpheld"] == .number(1) && rep["challengesRejected"] == .number(1), "\(rep)")
        // Every vote came from running the check, none from a job it could not judge.
        for v in ["dev1", "dev2", "dev3"] {
            let log = try String(contentsOf: net.dir.url.appendingPathComponent("verifier-\(v).log"), encoding: .utf8)
            #expect(log.contains("challenge 1: commit cheated") && log.contains("challenge 2: commit honest") && !log.contains("not judged"), "\(log)")
        }
    }
}
