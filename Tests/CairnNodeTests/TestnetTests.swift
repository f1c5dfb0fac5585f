import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnClient
import CairnTestSupport

/// `cairn testnet --validators 4`, then four `cairn node start` processes linked by encrypted p2p over loopback: they
/// decide one chain, a transfer sent to one node is committed and seen on another, the chain goes on while a node is
/// killed, and the node catches up after its restart.
@Suite struct TestnetTests {
    struct Net {
        let dir: TemporaryDirectory
        let rpcBase: Int
        /// What `cairn testnet` printed.
        var made = ""

        /// `cairn testnet` with `arguments` (validators, full nodes, block time, chain id) in a new temporary folder on
        /// ports the system gives.
        static func make(_ arguments: [String]) async throws -> Net {
            let dir = try TemporaryDirectory()
            // Consecutive free ports are not guaranteed; the bases are taken from the system and the run checks them by use.
            let rpcBase = try FreePort.next(), p2pBase = try FreePort.next()
            let made = try await CairnProcess.run(["testnet", "--dir", dir.path("net"), "--rpc-port-base", "\(rpcBase)",
                                                   "--p2p-port-base", "\(p2pBase)"] + arguments, log: dir.url.appendingPathComponent("testnet.log"),
                                                  timeout: .seconds(120))
            #expect(made.status == 0, "\(made.output)")
            return Net(dir: dir, rpcBase: rpcBase, made: made.output)
        }

        func client(_ i: Int) throws -> NodeClient { try NodeClient(url: "http://127.0.0.1:\(rpcBase + i)") }
        func start(_ i: Int) throws -> CairnProcess {
            try CairnProcess(["node", "start", "--home", dir.path("net/node\(i)")], log: dir.url.appendingPathComponent("node\(i).log"))
        }
    }

    /// Waits until `condition` holds, polling every 100 ms for at most `seconds`.
    func eventually(_ seconds: Int, _ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }

    func height(_ client: NodeClient) async -> UInt64 { (try? await client.status().height) ?? 0 }

    @Test(.timeLimit(.minutes(3))) func fourValidatorProcessesAgreeRelayAndCatchUpAfterAKill() async throws {
        let net = try await Net.make(["--validators", "4", "--block-time", "200", "--chain-id", "net-test"])
        let dir = net.dir
        var nodes = try (0..<4).map { try net.start($0) }
        defer { for n in nodes where n.isRunning { kill(n.pid, SIGKILL) } }
        let clients = try (0..<4).map { try net.client($0) }
        var ok = try await eventually(60) { for c in clients where await height(c) < 5 { return false }; return true }
        #expect(ok, "all four decide: \(nodes.map { $0.output.suffix(300) })")
        for h in UInt64(1)...5 {
            var hashes: Set<Hash> = []
            for c in clients { hashes.insert(try await c.block(h).hash) }
            #expect(hashes.count == 1, "one block at height \(h)")
        }
        let signers = try await clients[0].block(5).signatures.count
        #expect(signers >= 3, "block 5 carries the signatures of more than two thirds of four validators")

        // A transfer sent to node 3 is committed and seen on node 0.
        let keyring = Keyring(home: dir.path("net/node3"))
        let sender = try keyring.privateKey("dev")
        let recipient = try Keyring(home: dir.path("net/node0")).show("dev").address
        let status = try await clients[3].status()
        let tx = TxBuilder(chainID: status.chainID, tip: 1).build(messages: [MsgSend(to: recipient, coins: [Coin(denom: Denom.native, amount: 777)])],
                                                                  key: sender, nonce: 0, baseFee: status.baseFee)
        _ = try await clients[3].submit(tx)
        ok = try await eventually(30) {
            let balance = (try? await clients[0].account(recipient).balances.first { $0.denom == Denom.native }?.amount) ?? 0
            return balance == Amount(1_000_000_000_777)
        }
        #expect(ok, "the transfer sent to node 3 is visible on node 0")

        // Node 0 killed: the three others go on; restarted, it catches up to the same chain.
        try await nodes[0].stop(SIGKILL)
        let before = await height(clients[1])
        ok = try await eventually(30) { await height(clients[1]) >= before + 10 }
        #expect(ok, "three of four validators keep deciding")
        nodes[0] = try net.start(0)
        let target = await height(clients[1])
        ok = try await eventually(60) { await height(clients[0]) >= target }
        #expect(ok, "the restarted node catches up: \(nodes[0].output.suffix(500))")
        #expect(try await clients[0].block(target).hash == clients[2].block(target).hash)
        for n in nodes { try await n.stop(SIGTERM) }
    }

    /// A full node of the testnet started when the chain is already long syncs and then follows; a node made with
    /// `cairn node init --genesis --peers` joins the same way, relays a transfer, and becomes a validator once its key
    /// is funded and bonded with `cairn tx staking create-validator`.
    @Test(.timeLimit(.minutes(4))) func lateFullNodesSyncFollowAndOneBecomesAValidator() async throws {
        let net = try await Net.make(["--validators", "2", "--full-nodes", "1", "--block-time", "50", "--chain-id", "late-test"])
        let dir = net.dir
        #expect(!FileManager.default.fileExists(atPath: dir.path("net/node2/config/validator_key.json")), "a full node has no validator key")
        let node0Address = try #require(net.made.split(separator: "\n").first { $0.contains("node0:") }?
            .split(separator: " ").first { $0.contains("@127.0.0.1:") }.map { String($0).trimmingCharacters(in: .punctuationCharacters) })
        var nodes = try (0..<2).map { try net.start($0) }
        defer { for n in nodes where n.isRunning { kill(n.pid, SIGKILL) } }
        let clients = try (0..<3).map { try net.client($0) }
        var ok = try await eventually(120) { await height(clients[0]) >= 150 }
        #expect(ok, "the two validators made 150 blocks: \(nodes.map { $0.output.suffix(300) })")

        // The full node starts 150 blocks late, catches up and follows.
        nodes.append(try net.start(2))
        ok = try await eventually(60) { await height(clients[2]) >= 150 }
        #expect(ok, "the full node synced: \(nodes[2].output.suffix(500))")
        let synced = await height(clients[2])
        ok = try await eventually(30) { await height(clients[2]) >= synced + 20 }
        #expect(ok, "and follows the chain")
        #expect(try await clients[2].block(synced).hash == clients[0].block(synced).hash)

        // A node joins with node init --genesis --peers.
        let joinedRPC = try FreePort.next(), joinedP2P = try FreePort.next()
        let joinedHome = dir.path("joined")
        let initialized = try await CairnProcess.run(["node", "init", "--home", joinedHome, "--genesis", dir.path("net/node0/config/genesis.json"),
                                                      "--peers", node0Address, "--rpc-port", "\(joinedRPC)", "--p2p-port", "\(joinedP2P)",
                                                      "--block-time", "50"], log: dir.url.appendingPathComponent("init.log"), timeout: .seconds(120))
        #expect(initialized.status == 0, "\(initialized.output)")
        nodes.append(try CairnProcess(["node", "start", "--home", joinedHome], log: dir.url.appendingPathComponent("joined.log")))
        let joined = try NodeClient(url: "http://127.0.0.1:\(joinedRPC)")
        let target = await height(clients[0])
        ok = try await eventually(60) { await height(joined) >= target }
        #expect(ok, "the joined node synced: \(nodes[3].output.suffix(500))")

        // Funded through the joined node (its mempool relays the transfer), its key bonds more than the two validators' half
        // of the power: from then on no block is decided without its signature.
        let validatorAddress = try Keyring(home: joinedHome).show("validator").address
        let sent = try await CairnProcess.run(["tx", "send", "--home", dir.path("net/node1"), "--from", "dev", "--to", validatorAddress.bech32,
                                               "--amount", "200000cairn", "--node", "http://127.0.0.1:\(joinedRPC)"],
                                              log: dir.url.appendingPathComponent("send.log"), timeout: .seconds(60))
        #expect(sent.status == 0, "\(sent.output)")
        let bonded = try await CairnProcess.run(["tx", "staking", "create-validator", "--home", joinedHome, "--from", "validator",
                                                 "--moniker", "joined", "--self-bond", "150000cairn", "--node", "http://127.0.0.1:\(joinedRPC)"],
                                                log: dir.url.appendingPathComponent("bond.log"), timeout: .seconds(60))
        #expect(bonded.status == 0, "\(bonded.output)")
        ok = try await eventually(60) {
            let h = await height(clients[0])
            guard h > 0, let block = try? await clients[0].block(h) else { return false }
            return block.signatures.contains { $0.validator == validatorAddress.bech32 }
        }
        #expect(ok, "the joined node signs blocks as a validator: \(nodes[3].output.suffix(500))")
        let bondedAt = await height(clients[0])
        ok = try await eventually(30) { await height(clients[0]) >= bondedAt + 10 }
        #expect(ok, "the chain goes on with the new validator's signature in every certificate")
        for h in bondedAt + 1...bondedAt + 10 {
            #expect(try await clients[0].block(h).signatures.contains { $0.validator == validatorAddress.bech32 }, "block \(h) carries its signature")
        }
        for n in nodes { try await n.stop(SIGTERM) }
    }

    /// A validator started with the test-only byzantine switch signs two votes at every step: the others turn that into
    /// evidence, commit it, and the validator is slashed, jailed for good, while the chain goes on.
    @Test(.timeLimit(.minutes(3))) func anEquivocatingValidatorIsSlashedAndTheChainGoesOn() async throws {
        let net = try await Net.make(["--validators", "4", "--block-time", "100", "--chain-id", "byzantine-test"])
        let dir = net.dir
        var nodes = try (0..<3).map { try net.start($0) }
        nodes.append(try CairnProcess(["node", "start", "--home", dir.path("net/node3")], log: dir.url.appendingPathComponent("node3.log"),
                                      extraEnvironment: ["CAIRN_ENABLE_TEST_HOOKS": "1", "CAIRN_TEST_BYZANTINE": "equivocate"]))
        defer { for n in nodes where n.isRunning { kill(n.pid, SIGKILL) } }
        let client = try net.client(0)
        let byzantine = try #require(net.made.split(separator: "\n").first { $0.contains("node3:") }?
            .split(separator: " ").first { $0.hasPrefix("cairn1") }.map { String($0).trimmingCharacters(in: .punctuationCharacters) })
        struct Operator: Decodable {
            let jailed: Bool
            let tombstoned: Bool
            let tokens: String
        }
        var seen: Operator?
        let ok = try await eventually(90) {
            seen = try? await client.get("/v1/staking/operators/\(byzantine)", as: Operator.self)
            return seen?.tombstoned == true
        }
        #expect(ok, "the equivocating validator is tombstoned: \(nodes[3].output.suffix(400))")
        #expect(seen?.jailed == true && seen?.tokens != "100000000000", "jailed and slashed: \(String(describing: seen))")
        let at = await height(client)
        #expect(try await eventually(30) { await height(client) >= at + 10 }, "the three honest validators go on")
        for n in nodes { try await n.stop(SIGTERM) }
    }
}
