import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnPrimitives
import CairnLedger
import CairnClient
import CairnTestSupport

/// `cairn bench transfers` against a real lone-validator node process: every transfer is committed once, the log has
/// a final line for each, and the recipient receives exactly what was sent.
@Suite struct BenchTransfersTests {
    @Test(.timeLimit(.minutes(5))) func fiftyTransfersToALoneValidatorAreEachCommittedOnceAndLogged() async throws {
        let dir = try TemporaryDirectory()
        let rpcBase = try FreePort.next(), p2pBase = try FreePort.next()
        let made = try await CairnProcess.run(["testnet", "--validators", "1", "--dir", dir.path("net"), "--rpc-port-base", "\(rpcBase)",
                                               "--p2p-port-base", "\(p2pBase)", "--block-time", "200", "--chain-id", "bench-test"],
                                              log: dir.url.appendingPathComponent("testnet.log"), timeout: .seconds(120))
        #expect(made.status == 0, "\(made.output)")
        let node = try CairnProcess(["node", "start", "--home", dir.path("net/node0")], log: dir.url.appendingPathComponent("node.log"))
        defer { if node.isRunning { kill(node.pid, SIGKILL) } }
        let url = "http://127.0.0.1:\(rpcBase)"
        let client = try NodeClient(url: url)
        let height = try await NodeWait.until(limit: .seconds(60)) {
            let h = try await client.status().height
            guard h >= 1 else { throw ClientError("no block yet") }
            return h
        }
        #expect(height >= 1)

        let recipient = PrivateKey.deterministic("bench-transfers-test-recipient").publicKey.address
        func balance() async throws -> Amount {
            try await client.account(recipient).balances.first { $0.denom == Denom.native }?.amount ?? .zero
        }
        let before = try await balance()
        let logPath = dir.path("transfers.jsonl")
        let amount: UInt64 = 3
        let result = try await CairnProcess.run(["bench", "transfers", "--node", url, "--home", dir.path("net/node0"), "--from", "dev",
                                                 "--count", "50", "--concurrency", "8", "--to", recipient.bech32, "--amount", "\(amount)",
                                                 "--timeout-ms", "30000", "--json", "--log", logPath],
                                                log: dir.url.appendingPathComponent("bench.log"), timeout: .seconds(240))
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
        #expect(summary["submitted"] as? Int == 50 && summary["committed"] as? Int == 50 && summary["not_committed"] as? Int == 0, "\(summary)")
        let latency = try #require(summary["latency_ms"] as? [String: Any])
        for key in ["p50", "p90", "p99", "max", "mean"] { #expect(latency[key] as? Double != nil, "\(key)") }
        for key in ["tps", "wall_s", "first_height", "last_height"] { #expect(summary[key] != nil, "\(key)") }

        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 50)
        var nonces = Set<UInt64>()
        for line in lines {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(record["committed"] as? Bool == true, "\(line)")
            #expect(record["to"] as? String == recipient.bech32 && record["amount"] as? String == "\(amount)")
            #expect(record["height"] as? Int != nil && record["latency_ms"] as? Double != nil && record["error"] is NSNull, "\(line)")
            if let nonce = record["nonce"] as? Int { nonces.insert(UInt64(nonce)) }
        }
        #expect(nonces.count == 50, "distinct nonces")
        let after = try await balance()
        #expect(after.value == before.value + 50 * UInt128(amount), "the recipient got exactly 50 transfers of \(amount)")
        try await node.stop(SIGTERM)
    }

    @Test func nodesThatAllFailToAnswerAreOneLineError() async throws {
        let dir = try TemporaryDirectory()
        _ = try Keyring(home: dir.path("home")).add("dev", backend: .test)
        let closed = try FreePort.next()
        let result = try await CairnProcess.run(["bench", "transfers", "--node", "http://127.0.0.1:9", "--node", "http://127.0.0.1:\(closed)",
                                                 "--home", dir.path("home"), "--from", "dev", "--count", "1"],
                                                log: dir.url.appendingPathComponent("bench.log"), timeout: .seconds(60))
        #expect(result.status != 0)
        #expect(result.output.hasPrefix("error: no node answered (2 tried)"), "\(result.output)")
        #expect(result.output.split(separator: "\n").count == 1, "\(result.output)")
    }
}
