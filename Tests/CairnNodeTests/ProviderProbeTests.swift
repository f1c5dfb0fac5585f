import Testing
import Foundation
import Synchronization
import Hummingbird
import HTTPTypes
import Logging
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnModels
import CairnMarket
import CairnStorage
import CairnNode
import CairnExplorer
import CairnClient
import CairnTestSupport

/// The node's probes of the providers' endpoints: what they record against a real endpoint, the uptime windows and
/// retention of the stored samples, and the explorer's uptime section.
@Suite struct ProviderProbeTests {
    static let day: UInt64 = 86_400_000
    static let hour: UInt64 = 3_600_000

    static var quiet: Logger {
        var logger = Logger(label: "cairn.test.probe")
        logger.logLevel = .critical
        return logger
    }

    static func sample(_ provider: Address, _ time: UInt64, ok: Bool) -> ProbeSample {
        ProbeSample(provider: provider, time: time, ok: ok, latencyMilliseconds: 5, status: ok ? 200 : 503)
    }

    /// Polls `check` every 20 ms until it returns a value, failing after `limit`.
    static func eventually<T>(_ what: String, within limit: Duration = .seconds(10),
                              _ check: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + limit
        while true {
            if let value = try await check() { return value }
            guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out after \(limit) waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct TimedOut: Error, CustomStringConvertible { let description: String }

    // MARK: Probing a real endpoint

    @Test func probesRecordUpThenDownAsTheEndpointFailsAndTheLoopStopsWhenCancelled() async throws {
        let endpoint = try await FakeEndpoint.start()
        try await InProcessNode.with { node in
            let client = try node.client()
            let funded = InProcessNode.funded
            let idle = DevAccount("probe-idle")
            let modelID = try await Self.registerModel(client, owner: funded)
            // An active provider (bonded above the market's minimum stake) and an inactive one (below it), both at
            // the fake endpoint: only the active one is probed.
            try await Self.registerProvider(client, funded, endpoint: "http://127.0.0.1:\(endpoint.port)/", modelID: modelID,
                                            bond: MarketParams.default.minProviderStake)
            _ = try await client.send([MsgSend(to: idle.address, coins: [Coin(denom: Denom.native, amount: 10_000_000)])], key: funded.key)
            try await Self.registerProvider(client, idle, endpoint: "http://127.0.0.1:\(endpoint.port)", modelID: modelID, bond: 1_000_000)
            let store = node.store
            let up = funded.address

            // Before any probe, both provider pages say so.
            let before = try await node.request("GET", "/explorer/providers/\(up.bech32)")
            #expect(before.status == 200)
            #expect(before.text.contains("Uptime (as probed by this node)"))
            #expect(before.text.contains("not probed yet"))

            // A 4 s timeout: on two loaded cores the fake endpoint's own answer once took 2.4 s to come back.
            let probe = ProviderProbe(chain: node.chain, store: node.store, settings: .init(interval: .milliseconds(100), timeout: .seconds(4)),
                                      logger: Self.quiet)
            let running = Task { try await probe.run() }

            let first = try await Self.eventually("a successful probe") { try store.read { try $0.lastProbe(up) } }
            #expect(first.ok && first.status == 200, "\(first)")
            #expect(first.latencyMilliseconds < 4_000)
            #expect(endpoint.requests >= 1)

            let page = try await node.request("GET", "/explorer/providers/\(up.bech32)")
            #expect(page.status == 200)
            for text in ["Uptime (as probed by this node)", "100.0%", "<strong class=\"ok\">up</strong>", "<svg class=\"strip\"",
                         "<rect class=\"s1\""] {
                #expect(page.text.contains(text), "the provider page does not show '\(text)'")
            }
            #expect(!page.text.contains("not probed yet"))

            // Answering 500: failed probes that keep the status.
            endpoint.answer(.error)
            let failed = try await Self.eventually("a probe answered with HTTP 500") {
                try store.read { try $0.lastProbe(up) }.flatMap { $0.status == 500 ? $0 : nil }
            }
            #expect(!failed.ok)

            // Answering after the timeout: failed, with no status and about the timeout as latency.
            endpoint.answer(.slow)
            let slow = try await Self.eventually("a probe that timed out", within: .seconds(30)) {
                try store.read { try $0.lastProbe(up) }.flatMap { $0.status == 0 ? $0 : nil }
            }
            #expect(!slow.ok)
            // At least about the timeout; at most a few times it, since on two loaded cores (other tests start whole
            // devnets, providers and gateways beside this one) the timeout's own timer fires late: 3.5 s late was seen.
            #expect(slow.latencyMilliseconds >= 3_500 && slow.latencyMilliseconds < 12_000, "\(slow)")

            // Stopped: connections are refused.
            endpoint.answer(.error)
            await endpoint.stop()
            let stoppedAt = UInt64(Date().timeIntervalSince1970 * 1000)
            // Within 30 s, as for the slow answer: a probe sent before the stop may still be waiting out its timeout, whose
            // timer fires late on two loaded cores.
            let refused = try await Self.eventually("a probe of the stopped endpoint", within: .seconds(30)) {
                try store.read { try $0.lastProbe(up) }.flatMap { $0.time > stoppedAt ? $0 : nil }
            }
            #expect(!refused.ok && refused.status == 0)

            // Cancelled (as when the node stops), the loop ends at once.
            let cancelledAt = ContinuousClock.now
            running.cancel()
            try await running.value
            #expect(ContinuousClock.now - cancelledAt < .seconds(10), "a cancelled loop that went on probing every 100 ms would never end")

            // Oldest first: every success came before every failure.
            let history = try store.read { try $0.probes(up, limit: 10_000) }.reversed().map(\.ok)
            #expect(history.first == true && history.last == false)
            #expect(!history.drop { $0 }.contains(true), "a success after the endpoint failed: \(history)")
            #expect(try store.read { try $0.probes(idle.address, limit: 10) }.isEmpty, "an inactive provider was probed")

            let down = try await node.request("GET", "/explorer/providers/\(up.bech32)")
            for text in ["<strong class=\"failed\">down</strong>", "no answer", "<rect class=\"s2\""] {
                #expect(down.text.contains(text), "the provider page does not show '\(text)'")
            }
            let list = try await node.request("GET", "/explorer/providers")
            #expect(list.text.contains("Uptime 24h"))
            #expect(list.text.contains("not probed yet"), "the inactive provider's row")
            #expect(list.text.range(of: #"\d+\.\d%</span>"#, options: .regularExpression) != nil, "the probed provider's row")
        }
    }

    @Test func theProviderPageShowsTheUptimeOfEachWindow() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let provider = InProcessNode.funded
            let modelID = try await Self.registerModel(client, owner: provider)
            try await Self.registerProvider(client, provider, endpoint: "http://127.0.0.1:9", modelID: modelID, bond: 1_000_000)
            let a = provider.address
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            // 24 h: 2 of 3 answered; 7 days: 3 of 6 (the 8-day-old sample is outside both).
            let samples = [
                Self.sample(a, now - 60_000, ok: true), Self.sample(a, now - Self.hour, ok: false),
                Self.sample(a, now - 23 * Self.hour, ok: true), Self.sample(a, now - 25 * Self.hour, ok: false),
                Self.sample(a, now - 3 * Self.day, ok: true), Self.sample(a, now - 6 * Self.day, ok: false),
                Self.sample(a, now - 7 * Self.day - Self.hour, ok: true),
            ]
            try await node.store.recordProbes(samples, now: now)
            let page = try await node.request("GET", "/explorer/providers/\(a.bech32)")
            #expect(page.status == 200)
            for text in ["66.7%", "2 of 3 probes answered", "50.0%", "3 of 6 probes answered", "<strong class=\"ok\">up</strong>",
                         "HTTP 200 in 5 ms"] {
                #expect(page.text.contains(text), "the provider page does not show '\(text)'")
            }
            // The strip: a cell per stored sample (the 7-day-old one too, being kept 8 days), grey for the slots left.
            func cells(_ style: String) -> Int { page.text.components(separatedBy: "<rect class=\"\(style)\"").count - 1 }
            #expect(cells("s1") == 4 && cells("s2") == 3 && cells("none") == 48 - samples.count)
            let list = try await node.request("GET", "/explorer/providers")
            #expect(list.text.contains("66.7%"))
        }
    }

    // MARK: The stored samples

    @Test func uptimeIsTheShareOfAnsweredProbesInEachWindow() async throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("probes.sqlite"))
        let a = DevAccount("probe-a").address, b = DevAccount("probe-b").address
        let now: UInt64 = 1_700_000_000_000
        try await store.recordProbes([
            Self.sample(a, now - 60_000, ok: true),
            Self.sample(a, now - Self.hour, ok: false),
            Self.sample(a, now - Self.day + 1, ok: true),
            Self.sample(a, now - Self.day, ok: true),            // the window's first millisecond
            Self.sample(a, now - Self.day - 1, ok: false),       // just before the 24 h window
            Self.sample(a, now - 3 * Self.day, ok: true),
            Self.sample(a, now - 7 * Self.day, ok: false),
            Self.sample(a, now - 7 * Self.day - 1, ok: true),    // just before the 7-day window
            Self.sample(b, now - 60_000, ok: false),
        ], now: now)
        try store.read { s in
            #expect(try s.probeTally(a, since: now - Self.day) == ProbeTally(samples: 4, ok: 3))
            #expect(try s.probeTally(a, since: now - Self.day).uptime == 0.75)
            #expect(try s.probeTally(a, since: now - 7 * Self.day) == ProbeTally(samples: 7, ok: 4))
            #expect(try s.probeTally(b, since: now - Self.day) == ProbeTally(samples: 1, ok: 0))
            let unknown = DevAccount("probe-unknown").address
            #expect(try s.probeTally(unknown, since: 0) == ProbeTally(samples: 0, ok: 0))
            #expect(try s.probeTally(unknown, since: 0).uptime == nil)
            #expect(try s.lastProbe(unknown) == nil)
            #expect(try s.lastProbe(a) == Self.sample(a, now - 60_000, ok: true))
            let recent = try s.probes(a, limit: 3)
            #expect(recent.map(\.time) == [now - 60_000, now - Self.hour, now - Self.day + 1], "newest first")
        }
    }

    @Test func samplesOlderThanEightDaysArePrunedAsNewOnesAreWritten() async throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("probes.sqlite"))
        let a = DevAccount("probe-a").address, b = DevAccount("probe-b").address
        let now: UInt64 = 1_700_000_000_000
        let retention = SQLiteStore.probeRetentionMilliseconds
        #expect(retention == 8 * Self.day)
        // Written long ago, when none of them was old.
        try await store.recordProbes([
            Self.sample(a, now - 9 * Self.day, ok: true), Self.sample(a, now - retention - 1, ok: true),
            Self.sample(a, now - retention, ok: false), Self.sample(a, now - Self.day, ok: true),
            Self.sample(b, now - 9 * Self.day, ok: false),
        ], now: now - 9 * Self.day)
        #expect(try store.read { try $0.probes(a, limit: 100) }.count == 4)
        #expect(try store.read { try $0.probes(b, limit: 100) }.count == 1)

        try await store.recordProbes([Self.sample(a, now, ok: true)], now: now)
        #expect(try store.read { try $0.probes(a, limit: 100) }.map(\.time) == [now, now - Self.day, now - retention])
        #expect(try store.read { try $0.probes(b, limit: 100) }.isEmpty, "every provider's old samples go, not only those written")
    }

    @Test func aConfigWrittenBeforeProbesProbesEveryThirtySeconds() throws {
        let old = Data(#"{"rpcHost": "127.0.0.1", "rpcPort": 26657, "blockIntervalMilliseconds": 1000}"#.utf8)
        #expect(try JSONDecoder().decode(NodeHome.Config.self, from: old).probeIntervalSeconds == 30)
        let off = NodeHome.Config(rpcPort: 1, probeIntervalSeconds: 0)
        #expect(try JSONDecoder().decode(NodeHome.Config.self, from: try JSONEncoder().encode(off)).probeIntervalSeconds == 0)
    }

    // MARK: Helpers

    /// Registers a model owned by `owner`; returns its id.
    static func registerModel(_ client: NodeClient, owner: DevAccount) async throws -> UInt64 {
        let spec = ModelSpec(name: "probe-model", weightsHash: Hash.sha256(Array("probe weights".utf8)), format: .gguf,
                             architecture: "llama", licence: "Apache-2.0", royaltyBps: 0)
        let receipt = try await client.send([MsgRegisterModel(spec)], key: owner.key)
        return try #require(receipt.events.first { $0.type == "models.registered" }?["id"].flatMap { UInt64($0) })
    }

    /// Bonds `account` as a provider operator with `bond` and lists it at `endpoint` serving `modelID`.
    static func registerProvider(_ client: NodeClient, _ account: DevAccount, endpoint: String, modelID: UInt64, bond: Amount) async throws {
        let spec = ProviderSpec(endpoint: endpoint, hardware: Hardware(cpuCores: 4, memoryBytes: 8 << 30),
                                models: [ModelPrice(modelID: modelID, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 0)])
        _ = try await client.send([
            MsgCreateProvider(OperatorSpec(moniker: account.name, commissionBps: 500, publicKey: account.publicKey, selfBond: bond)),
            MsgRegisterProvider(spec),
        ], key: account.key)
    }
}

/// A provider's endpoint on a loopback port: `GET /v1/models` answers 200, 500 or too late, as `mode` says.
final class FakeEndpoint: Sendable {
    enum Mode: Sendable { case up, error, slow }

    /// What the endpoint shares with its route.
    final class State: Sendable {
        let mode = Mutex<Mode>(.up)
        let requests = Mutex(0)
    }

    let state: State
    let port: Int
    let task: GracefulTask
    /// How many requests reached the route.
    var requests: Int { state.requests.withLock { $0 } }

    /// Changes how the endpoint answers from the next request on.
    func answer(_ mode: Mode) { state.mode.withLock { $0 = mode } }

    init(state: State, port: Int, task: GracefulTask) {
        self.state = state
        self.port = port
        self.task = task
    }

    static func start() async throws -> FakeEndpoint {
        let state = State()
        let router = Router()
        router.get("/v1/models") { _, _ -> Response in
            state.requests.withLock { $0 += 1 }
            switch state.mode.withLock({ $0 }) {
            case .up:
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"object": "list", "data": []}"#)))
            case .error:
                return Response(status: .internalServerError)
            case .slow:
                // Three times the probe's timeout, so a timer that fires late still finds no answer.
                try await Task.sleep(for: .seconds(12))
                return Response(status: .ok)
            }
        }
        let (port, task) = try await LoopbackServer.start(router)
        return FakeEndpoint(state: state, port: port, task: task)
    }

    /// Stops the server; connections to its port are refused from then on.
    func stop() async {
        await task.stop()
    }
}
