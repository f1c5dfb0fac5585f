import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnPrimitives
import CairnLedger
import CairnConsensus
import CairnChain
import CairnNode
import CairnStorage
import CairnClient
import CairnTestSupport
import Logging

/// The real `cairn devnet` process killed right after logging an own consensus message and before sending it (the
/// test-only crash point), and at random moments (SIGKILL), then restarted: across all its lives it never signs two
/// different messages for one height, round and step, and what it committed agrees with what it logged.
@Suite struct SignGuardCrashTests {
    static let chainID = "guard-crash"

    static func arguments(home: String, port: Int) -> [String] {
        ["devnet", "--home", home, "--rpc-port", "\(port)", "--block-time", "50", "--chain-id", chainID, "--accounts", "2",
         "--providers", "0", "--no-gateway"]
    }

    /// The signed messages a validator's home holds now: its consensus log's own messages (read from a copy, so
    /// opening it repairs nothing in place) and the sign guard's record.
    static func signed(home: String) throws -> [(step: String, bytes: [UInt8])] {
        let data = URL(fileURLWithPath: home).appendingPathComponent("data")
        var out: [(step: String, bytes: [UInt8])] = []
        let wal = data.appendingPathComponent("consensus.wal")
        if FileManager.default.fileExists(atPath: wal.path) {
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("wal-copy-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: wal, to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            for record in try WriteAheadLog(path: copy.path).recovered where record.kind == 2 {
                switch try ConsensusMessage(canonicalBytes: record.payload) {
                case let .proposal(p, _):
                    out.append(("\(p.proposal.height)/\(p.proposal.round)/proposal", p.proposal.canonicalBytes))
                case let .vote(v):
                    out.append(("\(v.vote.height)/\(v.vote.round)/\(v.vote.type)", v.vote.canonicalBytes))
                }
            }
        }
        let guardPath = data.appendingPathComponent("sign-guard").path
        if FileManager.default.fileExists(atPath: guardPath), let last = try SignGuard(path: guardPath).last {
            let kind = switch last.step.step {
            case .proposal: "proposal"
            case .prevote: "\(VoteType.prevote)"
            case .precommit: "\(VoteType.precommit)"
            }
            out.append(("\(last.step.height)/\(last.step.round)/\(kind)", last.signBytes))
        }
        return out
    }

    @Test(.timeLimit(.minutes(3))) func aValidatorKilledBetweenLoggingAndSendingNeverSignsAConflictingMessage() async throws {
        let dir = try TemporaryDirectory()
        let home = dir.path("devnet")
        var rng = SeededRandom(seed: 0x516_C4A5)
        var seen: [(step: String, bytes: [UInt8])] = []
        var crashes = 0
        // Four lives end in the crash point, right after the Nth own message is logged; two in SIGKILL at a random moment.
        for life in 0..<6 {
            let log = dir.url.appendingPathComponent("life-\(life).log")
            if life % 3 != 2 {
                let n = Int.random(in: 1...12, using: &rng)
                let p = try CairnProcess(Self.arguments(home: home, port: try FreePort.next()), log: log,
                                         extraEnvironment: [TestHooks.enableVariable: "1", TestHooks.crashVariable: "\(n)"])
                let status = try await p.waitForExit(timeout: .seconds(60))
                #expect(status == ConsensusDriver.testCrashStatus, "life \(life) (crash after \(n) logged messages): \(p.output.suffix(600))")
                if status == ConsensusDriver.testCrashStatus { crashes += 1 }
            } else {
                let running = try await CrashRestartTests.start(home: home, log: log, chainID: Self.chainID, blockTime: 50, accounts: 2)
                try await Task.sleep(for: .milliseconds(Int.random(in: 50...600, using: &rng)))
                try await running.process.stop(SIGKILL)
            }
            seen += try Self.signed(home: home)
        }
        #expect(crashes == 4)
        // A last life runs without faults and goes on deciding.
        let last = try await CrashRestartTests.start(home: home, log: dir.url.appendingPathComponent("last.log"), chainID: Self.chainID,
                                                     blockTime: 50, accounts: 2)
        let from = last.status.height
        let deadline = ContinuousClock.now + .seconds(30)
        while try await last.client.status().height < from + 5, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await last.client.status().height >= from + 5, "the restarted validator decides again")
        try await last.process.stop(SIGTERM)
        seen += try Self.signed(home: home)

        var byStep: [String: [UInt8]] = [:]
        for (step, bytes) in seen {
            if let earlier = byStep[step] { #expect(earlier == bytes, "two different messages signed for \(step)") }
            byStep[step] = bytes
        }
        #expect(!byStep.isEmpty)
        // Every precommit logged for the round that decided a block is a precommit for that block.
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let node = try NodeRunner(home: NodeHome(path: home), logger: logger).open()
        let head = try node.chain.head().height
        var checked = 0
        for h in UInt64(1)...head {
            let commit = try #require(try node.chain.block(at: h)).commit
            guard let bytes = byStep["\(h)/\(commit.round)/\(VoteType.precommit)"] else { continue }
            let vote = try Vote(canonicalBytes: bytes)
            #expect(vote.blockHash == commit.blockHash, "the precommit logged for block \(h) is for the block committed")
            checked += 1
        }
        #expect(checked >= 1, "the logs held a precommit of a committed block")
    }

    @Test func theTestCrashPointIsRefusedWithoutTestHooks() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.url.appendingPathComponent("refused.log")
        let p = try CairnProcess(Self.arguments(home: dir.path("devnet"), port: try FreePort.next()), log: log,
                                 extraEnvironment: [TestHooks.crashVariable: "1"])
        let status = try await p.waitForExit(timeout: .seconds(60))
        #expect(status != 0 && status != ConsensusDriver.testCrashStatus)
        #expect(p.output.contains("test-only fault"), "\(p.output.suffix(400))")
    }
}
