import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnNode
import CairnTestSupport

/// Every bad request to a real HTTP server gets a 4xx with `{"error":{"code","message"}}`, never a
/// 500 or a dead node.
@Suite struct NodeAPIBadInputTests {
    struct BadRequest: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let path: String
        let body: Data?
        /// Acceptable statuses (one, except where HTTP allows a choice).
        let statuses: Set<Int>
        /// Acceptable error codes.
        let codes: Set<String>

        init(_ name: String, _ method: String, _ path: String, body: Data? = nil, status: Int, code: String) {
            self.init(name, method, path, body: body, statuses: [status], codes: [code])
        }

        init(_ name: String, _ method: String, _ path: String, body: Data? = nil, statuses: Set<Int>, codes: Set<String>) {
            self.name = name
            self.method = method
            self.path = path
            self.body = body
            self.statuses = statuses
            self.codes = codes
        }

        var testDescription: String { name }
    }

    static func submit(_ json: String) -> Data { Data(json.utf8) }
    static func submit(tx bytes: [UInt8]) -> Data { Data("{\"tx\":\"\(bytes.hexString)\"}".utf8) }

    static let sink = DevAccount("sink").address

    static let wrongChainTx = InProcessNode.funded.send(5, to: sink, nonce: 0, chainID: "some-other-chain")

    static let badSignatureTx: Transaction = {
        var tx = InProcessNode.funded.send(5, to: sink, nonce: 0, chainID: InProcessNode.chainID)
        tx.signature[0] ^= 0x01
        return tx
    }()

    /// The funded account's address with one data character changed: well formed, wrong checksum.
    static let mistypedAddress: String = {
        var chars = Array(InProcessNode.funded.address.bech32)
        let i = chars.count - 10
        chars[i] = chars[i] == "q" ? "p" : "q"
        return String(chars)
    }()

    static let foreignPrefixAddress = Bech32.encode(hrp: "cosmos", data: InProcessNode.funded.address.bytes)

    static let cases: [BadRequest] = [
        .init("POST /v1/txs with malformed JSON", "POST", "/v1/txs", body: submit("{\"tx\": "), status: 400, code: "malformed_json"),
        .init("POST /v1/txs with tx of the wrong JSON type", "POST", "/v1/txs", body: submit("{\"tx\": 5}"), status: 400, code: "malformed_json"),
        .init("POST /v1/txs with tx null", "POST", "/v1/txs", body: submit("{\"tx\": null}"), status: 400, code: "malformed_json"),
        .init("POST /v1/txs with a JSON array", "POST", "/v1/txs", body: submit("[\"00\"]"), status: 400, code: "malformed_json"),
        .init("POST /v1/txs without the tx field", "POST", "/v1/txs", body: submit("{\"transaction\": \"00\"}"), status: 400, code: "malformed_json"),
        .init("POST /v1/txs with an empty body", "POST", "/v1/txs", body: Data(), status: 400, code: "malformed_json"),
        .init("POST /v1/txs with no body at all", "POST", "/v1/txs", status: 400, code: "malformed_json"),
        .init("POST /v1/txs with non-hex tx", "POST", "/v1/txs", body: submit("{\"tx\": \"zz11\"}"), status: 400, code: "bad_encoding"),
        .init("POST /v1/txs with odd-length hex", "POST", "/v1/txs", body: submit("{\"tx\": \"abc\"}"), status: 400, code: "bad_encoding"),
        .init("POST /v1/txs with hex that does not decode", "POST", "/v1/txs", body: submit(tx: [0xde, 0xad, 0xbe, 0xef]), status: 400, code: "malformed_tx"),
        .init("POST /v1/txs with an empty tx", "POST", "/v1/txs", body: submit("{\"tx\": \"\"}"), status: 400, code: "malformed_tx"),
        .init("POST /v1/txs with a valid tx and trailing bytes", "POST", "/v1/txs",
              body: submit(tx: badSignatureTx.canonicalBytes + [0]), status: 400, code: "malformed_tx"),
        .init("POST /v1/txs for the wrong chain id", "POST", "/v1/txs", body: submit(tx: wrongChainTx.canonicalBytes), status: 400, code: "ledger/1"),
        .init("POST /v1/txs with a bad signature", "POST", "/v1/txs", body: submit(tx: badSignatureTx.canonicalBytes), status: 400, code: "ledger/2"),
        .init("POST /v1/txs with a tx over the size limit", "POST", "/v1/txs",
              body: submit(tx: [UInt8](repeating: 7, count: ChainParams.default.maxTxBytes + 1)), status: 400, code: "ledger/13"),
        .init("POST /v1/txs with a body over 256 KiB", "POST", "/v1/txs",
              body: submit("{\"tx\": \"\(String(repeating: "ab", count: 140 * 1024))\"}"), status: 413, code: "body_too_large"),
        .init("GET /v1/blocks/abc", "GET", "/v1/blocks/abc", status: 400, code: "bad_height"),
        .init("GET /v1/blocks/-1", "GET", "/v1/blocks/-1", status: 400, code: "bad_height"),
        .init("GET a block height beyond UInt64", "GET", "/v1/blocks/18446744073709551616", status: 400, code: "bad_height"),
        .init("GET /v1/blocks/999999", "GET", "/v1/blocks/999999", status: 404, code: "not_found"),
        .init("GET the largest UInt64 block height", "GET", "/v1/blocks/18446744073709551615", status: 404, code: "not_found"),
        .init("GET a block by an unknown hash", "GET", "/v1/blocks/\(String(repeating: "ab", count: 32))", status: 404, code: "not_found"),
        .init("GET /v1/txs/nothex", "GET", "/v1/txs/nothex", status: 400, code: "bad_hash"),
        .init("GET /v1/txs with a short hash", "GET", "/v1/txs/abcd", status: 400, code: "bad_hash"),
        .init("GET /v1/txs with an unknown hash", "GET", "/v1/txs/\(String(repeating: "0", count: 64))", status: 404, code: "not_found"),
        .init("GET /v1/accounts/cairn1bad", "GET", "/v1/accounts/cairn1bad", status: 400, code: "bad_address"),
        .init("GET /v1/accounts with a checksum typo", "GET", "/v1/accounts/\(mistypedAddress)", status: 400, code: "bad_address"),
        .init("GET /v1/accounts with a proof and a checksum typo", "GET", "/v1/accounts/\(mistypedAddress)?prove=true", status: 400, code: "bad_address"),
        .init("GET /v1/accounts with another chain's prefix", "GET", "/v1/accounts/\(foreignPrefixAddress)", status: 400, code: "bad_address"),
        .init("GET /v1/accounts with mixed case", "GET",
              "/v1/accounts/\(InProcessNode.funded.address.bech32.prefix(8).uppercased())\(InProcessNode.funded.address.bech32.dropFirst(8))",
              status: 400, code: "bad_address"),
        .init("GET a channel by a non-numeric id", "GET", "/v1/market/channels/abc", status: 400, code: "bad_id"),
        .init("GET an unknown channel", "GET", "/v1/market/channels/7", status: 404, code: "not_found"),
        .init("GET channels without client or provider", "GET", "/v1/market/channels", status: 400, code: "bad_query"),
        .init("GET channels by both client and provider", "GET",
              "/v1/market/channels?client=\(InProcessNode.funded.address.bech32)&provider=\(InProcessNode.funded.address.bech32)",
              status: 400, code: "bad_query"),
        .init("GET channels of a bad client address", "GET", "/v1/market/channels?client=cairn1bad", status: 400, code: "bad_address"),
        .init("GET a provider by a bad address", "GET", "/v1/market/providers/\(mistypedAddress)", status: 400, code: "bad_address"),
        .init("GET an account that is not a provider", "GET", "/v1/market/providers/\(InProcessNode.funded.address.bech32)",
              status: 404, code: "not_found"),
        .init("GET a model by a malformed id", "GET", "/v1/registry/models/abc", status: 400, code: "bad_id"),
        .init("GET an unknown model", "GET", "/v1/registry/models/999", status: 404, code: "not_found"),
        .init("GET models by a malformed hash", "GET", "/v1/registry/models?hash=zz", status: 400, code: "bad_query"),
        .init("GET validators at a non-numeric height", "GET", "/v1/validators?height=abc", status: 400, code: "bad_height"),
        .init("GET validators at height 0", "GET", "/v1/validators?height=0", status: 400, code: "bad_height"),
        .init("GET validators at a negative height", "GET", "/v1/validators?height=-1", status: 400, code: "bad_height"),
        .init("GET validators at an empty height", "GET", "/v1/validators?height=", status: 400, code: "bad_height"),
        .init("GET validators at a height beyond UInt64", "GET", "/v1/validators?height=18446744073709551616", status: 400, code: "bad_height"),
        .init("GET validators at height 999999", "GET", "/v1/validators?height=999999", status: 404, code: "not_found"),
        .init("GET validators at the largest UInt64 height", "GET", "/v1/validators?height=18446744073709551615", status: 404, code: "not_found"),
        .init("POST /v1/validators", "POST", "/v1/validators", body: submit("{}"), statuses: [404, 405], codes: ["not_found", "method_not_allowed"]),
        .init("POST /v1/net_info", "POST", "/v1/net_info", body: submit("{}"), statuses: [404, 405], codes: ["not_found", "method_not_allowed"]),
        .init("DELETE /v1/consensus_state", "DELETE", "/v1/consensus_state", statuses: [404, 405], codes: ["not_found", "method_not_allowed"]),
        .init("GET an unknown route", "GET", "/v1/nothing-here", status: 404, code: "not_found"),
        .init("GET the API root", "GET", "/", status: 404, code: "not_found"),
        .init("DELETE /v1/status", "DELETE", "/v1/status", statuses: [404, 405], codes: ["not_found", "method_not_allowed"]),
        .init("PUT /v1/txs", "PUT", "/v1/txs", body: submit("{}"), statuses: [404, 405], codes: ["not_found", "method_not_allowed"]),
        .init("GET /v1/txs (the submit route)", "GET", "/v1/txs", statuses: [404, 405], codes: ["not_found", "method_not_allowed"]),
    ]

    @Test(arguments: cases)
    func badInputGetsAJSONClientError(_ c: BadRequest) async throws {
        try await InProcessNode.with { node in
            let reply = try await node.request(c.method, c.path, body: c.body)
            #expect(c.statuses.contains(reply.status), "got HTTP \(reply.status): \(reply.text.prefix(300))")
            #expect((400..<500).contains(reply.status))
            #expect(reply.contentType?.hasPrefix("application/json") == true, "content type \(reply.contentType ?? "none")")
            let envelope = try #require(try? JSONDecoder().decode(ErrorBody.self, from: reply.body),
                                        "body is not {\"error\":{\"code\",\"message\"}}: \(reply.text.prefix(300))")
            #expect(c.codes.contains(envelope.error.code), "code \(envelope.error.code): \(envelope.error.message)")
            #expect(!envelope.error.message.isEmpty)

            // The node survived and still answers.
            let status = try await node.request("GET", "/v1/status")
            #expect(status.status == 200)
        }
    }

    static func rejectedTotal(_ node: InProcessNode) async throws -> Int {
        let metrics = try await node.request("GET", "/metrics")
        let line = metrics.text.split(separator: "\n").first { $0.hasPrefix("cairn_mempool_rejected_total ") }
        return try #require(line.flatMap { Int($0.split(separator: " ").last ?? "") })
    }

    static let gapTx = InProcessNode.funded.send(5, to: sink, nonce: 5, chainID: InProcessNode.chainID)

    @Test(arguments: [("bad signature", badSignatureTx, "ledger/2"), ("nonce gap", gapTx, "nonce_gap")])
    func aRejectedSubmissionCountsOnceInTheMetrics(_ name: String, tx: Transaction, code: String) async throws {
        try await InProcessNode.with { node in
            let before = try await Self.rejectedTotal(node)
            let reply = try await node.request("POST", "/v1/txs", body: Self.submit(tx: tx.canonicalBytes))
            #expect(reply.status == 400)
            #expect((try? JSONDecoder().decode(ErrorBody.self, from: reply.body))?.error.code == code)
            #expect(try await Self.rejectedTotal(node) == before + 1)
        }
    }
}
