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

/// The real `cairn` process, killed with SIGKILL under load and restarted: nothing the API reported
/// as included is lost, the height never goes back, and the stored chain re-executes from genesis.
@Suite struct CrashRestartTests {
    static let chainID = "crash-test"
    static let seed: UInt64 = 0x5EED_C0DE
    static let kills = 4
    static let senders = ["dev0", "dev1", "dev2"]
    static let recipientKey = "dev3"

    /// What the load saw: every transaction whose receipt the API served, and the highest height.
    actor Observations {
        var included: [Hash: UInt64] = [:]
        var failedReceipts = 0
        var maxHeight: UInt64 = 0

        func sawHeight(_ h: UInt64) { maxHeight = max(maxHeight, h) }

        func sawReceipt(_ r: Receipt) {
            included[r.txHash] = r.height
            if !r.success { failedReceipts += 1 }
            sawHeight(r.height)
        }
    }

    /// A running devnet process and a client of its API.
    struct Running {
        let process: CairnProcess
        let client: NodeClient
        let status: StatusView
    }

    static func start(home: String, log: URL, chainID: String = CrashRestartTests.chainID, blockTime: Int = 200,
                      accounts: Int = 4, extra: [String] = []) async throws -> Running {
        var failures = [String]()
        // The port has no part in the scenario, so it comes from the system, not the seed; it may still be taken
        // before the devnet binds it, so a few are tried.
        for _ in 0..<6 {
            let port = try FreePort.next()
            let process = try CairnProcess(["devnet", "--home", home, "--rpc-port", "\(port)", "--block-time", "\(blockTime)",
                                            "--chain-id", chainID, "--accounts", "\(accounts)", "--providers", "0", "--no-gateway"] + extra, log: log)
            let client = try NodeClient(url: "http://127.0.0.1:\(port)")
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning, ContinuousClock.now < deadline {
                if let status = try? await client.status(), status.chainID == chainID {
                    return Running(process: process, client: client, status: status)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning { try await process.stop(SIGKILL) }
            failures.append("port \(port): \(process.output.suffix(400))")
        }
        throw CairnProcess.Failure(description: "the devnet did not start: \(failures.joined(separator: "\n"))")
    }

    /// Sends batches of transfers from `key` until cancelled, recording each receipt the API serves.
    /// The nonce is tracked locally and re-read from the node after any failure (a kill loses the mempool).
    static func load(from key: PrivateKey, to recipient: Address, client: NodeClient, seen: Observations) async {
        var nonce: UInt64?
        while !Task.isCancelled {
            do {
                let status = try await client.status()
                await seen.sawHeight(status.height)
                let next: UInt64
                if let nonce { next = nonce } else { next = try await client.account(key.publicKey.address).nonce }
                nonce = next
                let builder = TxBuilder(chainID: status.chainID, tip: 1)
                var pending = [Hash]()
                for k in 0..<3 {
                    let tx = builder.build(messages: [MsgSend(to: recipient, coins: [Coin(denom: Denom.native, amount: 1)])],
                                           key: key, nonce: next + UInt64(k), baseFee: status.baseFee)
                    pending.append(try await client.submit(tx))
                }
                let deadline = ContinuousClock.now + .seconds(3)
                while !pending.isEmpty, ContinuousClock.now < deadline, !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(60))
                    for hash in pending {
                        if let receipt = try await client.receipt(hash) {
                            await seen.sawReceipt(receipt)
                            pending.removeAll { $0 == hash }
                        }
                    }
                }
                nonce = pending.isEmpty ? next + 3 : nil
            } catch {
                nonce = nil
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func includedTransactionsSurviveRepeatedKillsAndTheChainReplays() async throws {
        let dir = try TemporaryDirectory()
        let home = dir.path("devnet")
        let log = dir.url.appendingPathComponent("node.log")
        var rng = SeededRandom(seed: Self.seed)
        let seen = Observations()

        for round in 0...Self.kills {
            let node = try await Self.start(home: home, log: log)
            let before = await seen.maxHeight
            #expect(node.status.height >= before,
                    "round \(round): the node restarted at height \(node.status.height), below the \(before) it served before the kill")

            let keyring = Keyring(home: home)
            let keys = try Self.senders.map { try keyring.privateKey($0) }
            let recipient = try keyring.show(Self.recipientKey).address
            let client = node.client
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for key in keys {
                        group.addTask { await Self.load(from: key, to: recipient, client: client, seen: seen) }
                    }
                }
            }

            if round < Self.kills {
                let ms = Int.random(in: 700...2_200, using: &rng)
                try await Task.sleep(for: .milliseconds(ms))
                let status = try await node.process.stop(SIGKILL)
                load.cancel()
                await load.value
                #expect(node.process.process.terminationReason == .uncaughtSignal, "round \(round): exit \(status)")
                continue
            }

            // Three seconds of load after the last restart: at 200 ms blocks, room for ten inclusions even while the other
            // suites keep both cores busy.
            try await Task.sleep(for: .milliseconds(3_000))
            load.cancel()
            await load.value
            let included = await seen.included
            let failed = await seen.failedReceipts
            #expect(included.count >= 10, "the load got only \(included.count) transactions included")
            #expect(failed == 0)
            for (hash, height) in included {
                let receipt = try await client.receipt(hash)
                #expect(receipt?.height == height, "transaction \(hash) was reported in block \(height), now \(receipt.map { "\($0.height)" } ?? "missing")")
            }
            let final = try await client.status()
            let maxSeen = await seen.maxHeight
            #expect(final.height >= maxSeen)

            let exit = try await node.process.stop(SIGINT, timeout: .seconds(15))
            #expect(node.process.process.terminationReason == .exit && exit == 0,
                    "SIGINT should shut the node down cleanly: \(node.process.output.suffix(500))")

            let verify = try await CairnProcess.run(["node", "verify", "--home", home], log: dir.url.appendingPathComponent("verify.log"))
            #expect(verify.status == 0, "cairn node verify failed: \(verify.output)")
            let replayed = verify.output.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            #expect(verify.output.hasPrefix("replayed "), "\(verify.output)")
            #expect((replayed ?? 0) >= final.height, "verify replayed \(replayed.map(String.init) ?? "?") blocks, the head was \(final.height)")
        }
    }
}
