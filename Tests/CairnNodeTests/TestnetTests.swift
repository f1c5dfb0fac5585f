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
        let dir = try TemporaryDirectory()
        // Consecutive free ports are not guaranteed; the bases are taken from the system and the run checks them by use.
        let rpcBase = try FreePort.next(), p2pBase = try FreePort.next()
        let net = Net(dir: dir, rpcBase: rpcBase)
        let made = try await CairnProcess.run(["testnet", "--validators", "4", "--dir", dir.path("net"), "--rpc-port-base", "\(rpcBase)",
                                               "--p2p-port-base", "\(p2pBase)", "--block-time", "200", "--chain-id", "net-test"],
                                              log: dir.url.appendingPathComponent("testnet.log"))
        #expect(made.status == 0, "\(made.output)")
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
}
