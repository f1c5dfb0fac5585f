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

/// Staking and governance on the real devnet process, driven with the `cairn` CLI as a user would:
/// delegate, earn, withdraw, undelegate and wait out unbonding; a parameter change voted through and in
/// force; a treasury spend paid; a proposal under quorum failing with its deposit burned; and the rejections.
@Suite(.serialized) struct StakingGovernanceDevnetTests {
    static let chainID = "cairn-staking-e2e"

    final class Devnet {
        let dir: TemporaryDirectory
        let home: String
        let running: CrashRestartTests.Running
        var url: String { running.client.baseURL.absoluteString }
        var client: NodeClient { running.client }
        var calls = 0

        init(chainID: String = StakingGovernanceDevnetTests.chainID, blockTime: Int = 100, accounts: Int = 3) async throws {
            dir = try TemporaryDirectory()
            home = dir.path("devnet")
            // Ten seconds to vote at 100 ms blocks: each vote is a `cairn` process that waits for its block, and beside the
            // whole suite the devnet's default of 30 blocks has closed before two of them were in.
            running = try await CrashRestartTests.start(home: home, log: dir.url.appendingPathComponent("devnet.log"), chainID: chainID,
                                                        blockTime: blockTime, accounts: accounts, extra: ["--voting-period", "100"])
        }

        /// Runs `cairn ARGS --home H --node URL`; returns the exit status and output.
        func cli(_ args: [String]) async throws -> (status: Int32, output: String) {
            calls += 1
            return try await CairnProcess.run(args + ["--home", home, "--node", url], log: dir.url.appendingPathComponent("cli-\(calls).log"))
        }

        /// Runs a command that must succeed.
        @discardableResult
        func ok(_ args: [String]) async throws -> String {
            let r = try await cli(args)
            #expect(r.status == 0, "cairn \(args.joined(separator: " ")) failed: \(r.output)")
            return r.output
        }

        func json(_ path: String) async throws -> JSONValue { try await client.get(path) }

        func height() async throws -> UInt64 { try await client.status().height }

        func waitForHeight(_ h: UInt64) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while try await height() < h {
                guard ContinuousClock.now < deadline else { throw CairnProcess.Failure(description: "height \(h) not reached") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        func balance(_ a: Address) async throws -> Amount {
            try await client.account(a).balances.first { $0.denom == Denom.native }?.amount ?? .zero
        }

        func address(_ key: String) throws -> Address { try Keyring(home: home).list().first { $0.name == key }!.address }

        func proposal(_ id: Int) async throws -> [String: JSONValue] {
            guard case let .object(o) = try await json("/v1/gov/proposals/\(id)"), case let .object(p)? = o["proposal"] else { return [:] }
            return p
        }

        func waitForStatus(_ id: Int, notIn active: Set<String>) async throws -> String {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if case let .string(s)? = try await proposal(id)["status"], !active.contains(s) { return s }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw CairnProcess.Failure(description: "proposal \(id) did not end")
        }

        func stop() async throws { try await running.process.stop(SIGINT) }
    }

    static func amount(_ v: JSONValue?) -> Amount? { if case let .string(s)? = v { Amount(decimal: s) } else { nil } }

    @Test func delegationRewardsUnbondingAndGovernanceWorkOnTheDevnet() async throws {
        let net = try await Devnet()
        do { try await scenario(net) } catch {
            try? await net.stop()
            throw error
        }
        try await net.stop()
    }

    func scenario(_ net: Devnet) async throws {
        guard case let .object(ops) = try await net.json("/v1/staking/operators"), case let .array(list)? = ops["operators"],
              case let .object(first)? = list.first, case let .string(opText)? = first["address"] else {
            Issue.record("no operator served")
            return
        }
        let op = try Address(bech32: opText)
        let dev0 = try net.address("dev0"), dev1 = try net.address("dev1"), dev2 = try net.address("dev2")

        // Delegate, earn over blocks, withdraw.
        try await net.ok(["tx", "staking", "delegate", "--from", "dev0", "--operator", opText, "--amount", "100000cairn"])
        try await net.waitForHeight(try await net.height() + 10)
        guard case let .object(d) = try await net.json("/v1/staking/delegations/\(dev0.bech32)"), case let .array(dels)? = d["delegations"],
              case let .object(del)? = dels.first else { Issue.record("no delegation served"); return }
        #expect(Self.amount(del["tokens"]) == 100_000_000_000)
        #expect(try #require(Self.amount(del["rewards"])) > .zero)
        let before = try await net.balance(dev0)
        try await net.ok(["tx", "staking", "withdraw-rewards", "--from", "dev0", "--operator", opText])
        #expect(try await net.balance(dev0) > Amount(before.value - 1_000_000)) // rewards in, less than a cairn of fee out

        // Rejections: more than the balance, more than delegated.
        let tooMuch = try await net.cli(["tx", "staking", "delegate", "--from", "dev1", "--operator", opText, "--amount", "2000000cairn"])
        #expect(tooMuch.status != 0 && tooMuch.output.contains("bank/1"), "\(tooMuch.output)")
        let overdrawn = try await net.cli(["tx", "staking", "undelegate", "--from", "dev0", "--operator", opText, "--amount", "100001cairn"])
        #expect(overdrawn.status != 0 && overdrawn.output.contains("staking/2"), "\(overdrawn.output)")

        // Undelegate and wait out the unbonding period.
        let beforeUndelegate = try await net.balance(dev0)
        let out = try await net.ok(["tx", "staking", "undelegate", "--from", "dev0", "--operator", opText, "--amount", "1000cairn", "--json"])
        let receipt = try JSONDecoder().decode(Receipt.self, from: Data(out.utf8))
        let completion = try #require(receipt.events.first { $0.type == "staking.undelegate" }?["completion_height"].flatMap { UInt64($0) })
        #expect(completion == receipt.height + 60)
        // Both read before the height: when the head is still short of the completion afterwards, they were read before
        // the unbonding paid out (at 100 ms blocks a loaded machine has taken longer than the 60 blocks).
        guard case let .object(u) = try await net.json("/v1/staking/delegations/\(dev0.bech32)"), case let .array(unb)? = u["unbonding"] else {
            Issue.record("no unbonding served"); return
        }
        let whileUnbonding = try await net.balance(dev0)
        if try await net.height() < completion {
            #expect(unb.count == 1)
            #expect(whileUnbonding == Amount(beforeUndelegate.value - receipt.fee.value))
        }
        try await net.waitForHeight(completion)
        #expect(try await net.balance(dev0) == Amount(beforeUndelegate.value - receipt.fee.value + 1_000_000_000))

        // A parameter change voted through and in force.
        try await net.ok(["tx", "gov", "submit-proposal", "--from", "dev0", "--title", "Raise the block gas limit",
                          "--param", "ledger.blockGasLimit=80000000", "--deposit", "10cairn"])
        try await net.ok(["tx", "gov", "vote", "1", "no", "--from", "dev0"])
        try await net.ok(["tx", "gov", "vote", "1", "yes", "--from", "dev0"])
        guard case let .object(detail) = try await net.json("/v1/gov/proposals/1"), case let .array(votes)? = detail["votes"] else {
            Issue.record("no proposal served"); return
        }
        #expect(votes.count == 1 && votes.first.flatMap { if case let .object(v) = $0 { v["option"] } else { nil } } == .string("yes"))
        if case let .object(p)? = detail["proposal"], case let .number(start)? = p["votingStartHeight"], case let .number(end)? = p["votingEndHeight"],
           let start = start.uint64, let end = end.uint64 {
            #expect(end - start == 100, "the devnet's --voting-period is not the proposal's")
        } else {
            Issue.record("no voting heights served: \(detail)")
        }
        #expect(try await net.waitForStatus(1, notIn: ["deposit_period", "voting_period"]) == "passed")
        #expect(try await net.client.status().blockGasLimit == 80_000_000)
        let late = try await net.cli(["tx", "gov", "vote", "1", "no", "--from", "dev0"])
        #expect(late.status != 0 && late.output.contains("gov/"), "\(late.output)")

        // An invalid parameter is refused at submission (the failed transaction takes no proposal id).
        let invalid = try await net.cli(["tx", "gov", "submit-proposal", "--from", "dev0", "--title", "Bad", "--param", "ledger.blockGasLimit=5",
                                         "--deposit", "10cairn"])
        #expect(invalid.status != 0 && invalid.output.contains("blockGasLimit"), "\(invalid.output)")

        // A treasury spend pays out of the community tax collected so far.
        guard case let .object(t) = try await net.json("/v1/treasury"), let treasury = Self.amount(t["balance"]) else { Issue.record("no treasury"); return }
        #expect(treasury > 10_000)
        let dev2Before = try await net.balance(dev2)
        try await net.ok(["tx", "gov", "submit-proposal", "--from", "dev0", "--title", "Pay dev2", "--spend-to", dev2.bech32,
                          "--spend-amount", "10000ucairn", "--deposit", "10cairn"])
        try await net.ok(["tx", "gov", "vote", "2", "yes", "--from", "dev0"])
        #expect(try await net.waitForStatus(2, notIn: ["deposit_period", "voting_period"]) == "passed")
        #expect(try await net.balance(dev2) == Amount(dev2Before.value + 10_000))

        // Under quorum: dev1's small stake alone votes; the proposal fails and its deposit is burned.
        try await net.ok(["tx", "staking", "delegate", "--from", "dev1", "--operator", opText, "--amount", "1000cairn"])
        try await net.ok(["tx", "gov", "submit-proposal", "--from", "dev1", "--title", "Signal", "--deposit", "10cairn"])
        try await net.ok(["tx", "gov", "vote", "3", "yes", "--from", "dev1"])
        let dev1AfterVote = try await net.balance(dev1)
        #expect(try await net.waitForStatus(3, notIn: ["deposit_period", "voting_period"]) == "no_quorum")
        #expect(try await net.balance(dev1) == dev1AfterVote) // no refund

        // Decentralization figures: one validator holds all validator stake.
        guard case let .object(dec) = try await net.json("/v1/decentralization"), case let .object(vals)? = dec["validators"],
              case let .object(stake)? = vals["stake"] else { Issue.record("no decentralization served"); return }
        #expect(stake["nakamotoOneThird"] == .number(1))
        let q = try await net.ok(["query", "decentralization"])
        #expect(q.contains("nakamotoOneThird"))
    }
}
