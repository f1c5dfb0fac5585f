import Testing
import Foundation
import CairnPrimitives
import CairnTestSupport
@testable import CairnGateway

@Suite struct APIKeysTests {
    @Test func anOpenGatewayServesEveryoneAsLocal() {
        #expect(APIKeys.open.name(authorization: nil) == "local")
        #expect(APIKeys.open.name(authorization: "Bearer anything") == "local")
    }

    @Test func keysAreMatchedByTheirSecretAndNamed() throws {
        let keys = try APIKeys.parse(arguments: ["alice:secret-one-1", "secret-two-2"], file: nil)
        #expect(keys.name(authorization: "Bearer secret-one-1") == "alice")
        #expect(keys.name(authorization: "bearer secret-two-2") == "key2")
        #expect(keys.name(authorization: "Bearer secret-one-") == nil)
        #expect(keys.name(authorization: nil) == nil)
        #expect(keys.name(authorization: "secret-one-1") == nil, "the Bearer scheme is required")
    }

    @Test func aKeysFileIsReadLineByLineAndBadEntriesAreRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("keys")
        try "# clients\nbob:bobs-secret-key\n\ncarol:carols-secret\n".write(toFile: path, atomically: true, encoding: .utf8)
        let keys = try APIKeys.parse(arguments: [], file: path)
        #expect(keys.count == 2 && keys.name(authorization: "Bearer carols-secret") == "carol")
        try "no-colon-here\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: GatewayError.self) { try APIKeys.parse(arguments: [], file: path) }
        #expect(throws: GatewayError.self) { try APIKeys.parse(arguments: ["a:short"], file: nil) }
        #expect(throws: GatewayError.self) { try APIKeys.parse(arguments: ["a:same-secret", "b:same-secret"], file: nil) }
        #expect(throws: GatewayError.self) { try APIKeys.parse(arguments: ["bad name:long-enough"], file: nil) }
        #expect(throws: GatewayError.self) { try APIKeys.parse(arguments: [], file: dir.path("missing")) }
    }

    @Test func withoutKeysTheGatewayListensOnLoopbackOnly() throws {
        let policy = ChannelDesk.Policy(spendLimit: 100, deposit: 10)
        var config = GatewayConfig(home: "/tmp/x", nodeURL: "http://127.0.0.1:1", listenHost: "0.0.0.0", listenPort: 8080, keys: .open,
                                   channels: policy)
        #expect(throws: GatewayError.self) { try config.validate() }
        config.keys = try APIKeys([("a", "long-enough-secret")])
        try config.validate()
        config.keys = .open
        config.listenHost = "127.0.0.1"
        try config.validate()
        config.channels.deposit = 1_000
        #expect(throws: GatewayError.self, "a deposit above the spending limit") { try config.validate() }
    }
}

@Suite struct RequestSummaryTests {
    @Test func theModelAndAnUpperBoundOfTheRequestAreRead() throws {
        let body = Data(#"{"model":"smollm2","messages":[{"role":"user","content":"hi"}],"max_tokens":7,"stream":true}"#.utf8)
        let s = try RequestSummary(body, kind: .chat)
        #expect(s.model == "smollm2" && s.stream && s.completionTokens == 7)
        #expect(s.promptTokens >= UInt32(body.count), "a byte-level tokenizer makes at most one token per byte")
        let e = try RequestSummary(Data(#"{"model":"minilm","input":["a","b"]}"#.utf8), kind: .embedding)
        #expect(e.embeddingTokens > 0 && e.promptTokens == 0 && e.completionTokens == 0 && !e.stream)
        let unbounded = try RequestSummary(Data(#"{"model":"m","prompt":"x"}"#.utf8), kind: .completion)
        #expect(unbounded.completionTokens == UInt32(RequestSummary.defaultCompletionTokens))
    }

    @Test func aConversationKeepsItsPromptKeyFromTurnToTurn() throws {
        func key(_ json: String, _ kind: RequestSummary.Kind = .chat) throws -> UInt64? { try RequestSummary(Data(json.utf8), kind: kind).promptKey }
        let system = #"{"role":"system","content":"Be brief."}"#, first = #"{"role":"user","content":"Name a colour."}"#
        let turn1 = try key(#"{"model":"smollm2","messages":[\#(system),\#(first)]}"#)
        let turn2 = try key(#"{"model":"smollm2","messages":[\#(system),\#(first),{"role":"assistant","content":"Blue."},{"role":"user","content":"Another."}],"max_tokens":5}"#)
        #expect(turn1 != nil && turn1 == turn2)
        // Another first question, another system prompt or another model: another key.
        let others = [
            try key(#"{"model":"smollm2","messages":[\#(system),{"role":"user","content":"Name a city."}]}"#),
            try key(#"{"model":"smollm2","messages":[{"role":"system","content":"Be long."},\#(first)]}"#),
            try key(#"{"model":"other","messages":[\#(system),\#(first)]}"#),
        ]
        #expect(others.allSatisfy { $0 != nil && $0 != turn1 })
        // prompt_cache_key names the key whatever the messages.
        let named = try key(#"{"model":"smollm2","prompt_cache_key":"user-42","messages":[\#(first)]}"#)
        let namedAgain = try key(#"{"model":"smollm2","prompt_cache_key":"user-42","messages":[{"role":"user","content":"x"}]}"#)
        #expect(named != nil && named == namedAgain && named != turn1)
        // A completion's prompt by its first 1,024 bytes; embeddings have none.
        let long = String(repeating: "a", count: 1_024)
        let b = try key(#"{"model":"m","prompt":"\#(long)b"}"#, .completion), c = try key(#"{"model":"m","prompt":"\#(long)c"}"#, .completion)
        #expect(b != nil && b == c)
        let ab = try key(#"{"model":"m","prompt":"ab"}"#, .completion), ac = try key(#"{"model":"m","prompt":"ac"}"#, .completion)
        #expect(ab != ac)
        #expect(try key(#"{"model":"minilm","input":["a"]}"#, .embedding) == nil)
    }

    @Test(arguments: ["", "[]", "{", #"{"messages":[]}"#, #"{"model":""}"#, #"{"model":7}"#])
    func aBodyWithoutAModelIsABadRequest(_ text: String) {
        #expect(throws: (any Error).self) { try RequestSummary(Data(text.utf8), kind: .chat) }
    }
}

@Suite struct UsageStoreTests {
    static let provider = PrivateKey.deterministic("usage-provider").publicKey.address

    @Test func usageIsSummedByKeyProviderAndModelAndSurvivesReopening() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("usage.sqlite")
        do {
            let store = try UsageStore(path: path)
            try store.record(UsageRecord(key: "alice", provider: Self.provider, model: "smollm2", succeeded: true, promptTokens: 10,
                                         completionTokens: 5, cost: 7))
            try store.record(UsageRecord(key: "alice", provider: Self.provider, model: "minilm", succeeded: true, embeddingTokens: 4, cost: 1))
            try store.record(UsageRecord(key: "bob", provider: nil, model: "smollm2", succeeded: false))
        }
        let store = try UsageStore(path: path)
        let keys = try store.totals(by: .key)
        #expect(keys.map(\.name) == ["alice", "bob"])
        let alice = keys[0].totals
        #expect(alice.requests == 2 && alice.promptTokens == 10 && alice.completionTokens == 5 && alice.embeddingTokens == 4 && alice.spend == 8)
        #expect(keys[1].totals.requests == 1 && keys[1].totals.failed == 1 && keys[1].totals.spend == .zero)
        let byProvider = try store.totals(by: .provider, key: "alice")
        #expect(byProvider.count == 1 && byProvider[0].name == Self.provider.bech32 && byProvider[0].totals.spend == 8)
        #expect(try store.totals(by: .model).first { $0.name == "smollm2" }?.totals.requests == 2)
    }

    @Test func spendBeyondSQLiteIntegersIsKeptExactly() throws {
        let dir = try TemporaryDirectory()
        let store = try UsageStore(path: dir.path("usage.sqlite"))
        let big = Amount(UInt128(1) << 100)
        try store.record(UsageRecord(key: "k", provider: Self.provider, model: "m", succeeded: true, cost: big))
        try store.record(UsageRecord(key: "k", provider: Self.provider, model: "m", succeeded: true, cost: 1))
        #expect(try store.totals(by: .key)[0].totals.spend == Amount((UInt128(1) << 100) + 1))
    }

    @Test func aCorruptFileIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("usage.sqlite")
        try Data("this is not a database, only some text that SQLite will refuse to open".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: GatewayError.self) { try UsageStore(path: path) }
    }
}

@Suite struct GatewayMetricsTests {
    @Test func theExpositionCarriesRequestsLatencyTokensAndSpend() {
        let m = GatewayMetrics()
        let p = PrivateKey.deterministic("metrics-provider").publicKey.address
        m.request(route: "/v1/embeddings", status: 200, seconds: 0.003)
        m.request(route: "/v1/embeddings", status: 404, seconds: 0.0004)
        m.served(provider: p, promptTokens: 3, completionTokens: 2, embeddingTokens: 5, cost: 42)
        m.payment(seconds: 0.0001)
        let text = m.render()
        #expect(text.contains(#"cairn_gateway_requests_total{route="/v1/embeddings",status="200"} 1"#))
        #expect(text.contains(#"cairn_gateway_requests_total{route="/v1/embeddings",status="404"} 1"#))
        #expect(text.contains(#"cairn_gateway_request_seconds_bucket{route="/v1/embeddings",le="0.001"} 1"#))
        #expect(text.contains(#"cairn_gateway_request_seconds_count{route="/v1/embeddings"} 2"#))
        #expect(text.contains(#"cairn_gateway_tokens_total{kind="embedding"} 5"#))
        #expect(text.contains("cairn_gateway_spend_ucairn_total{provider=\"\(p.bech32)\"} 42"))
        #expect(text.contains(#"cairn_gateway_payment_seconds_bucket{le="0.0005"} 1"#))
        #expect(text.contains("cairn_gateway_payment_seconds_count 1"))
    }
}
