import Testing
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnClient
import CairnTestSupport

/// Verification on the real devnet process, driven with the `cairn` CLI: three verifiers bond, a client challenges a
/// provider-signed receipt, the committee drawn from block entropy commits and reveals "cheated", and the provider is
/// slashed, jailed and its reputation records it, with the challenger paid; the mistakes are refused with the ledger's codes.
@Suite struct VerificationDevnetTests {
    @Test func aChallengedCheaterIsSlashedThroughTheCLI() async throws {
        // Blocks of 600 ms: each member's vote is a `cairn` process that must land within the 8 blocks of a phase, and the
        // suite keeps both cores busy.
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-verification-e2e", blockTime: 600, accounts: 5)
        do { try await scenario(net) } catch {
            try? await net.stop()
            throw error
        }
        try await net.stop()
    }

    func challenge(_ net: StakingGovernanceDevnetTests.Devnet) async throws -> [String: JSONValue] {
        guard case let .object(c) = try JSONValue(parsing: try await net.ok(["query", "verification", "challenge", "1"])) else { return [:] }
        return c
    }

    func status(_ net: StakingGovernanceDevnetTests.Devnet) async throws -> String {
        if case let .string(s)? = try await challenge(net)["status"] { return s }
        return ""
    }

    func waitForStatus(_ net: StakingGovernanceDevnetTests.Devnet, notIn: Set<String>) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let s = try await status(net)
            if !notIn.contains(s) { return s }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CairnProcess.Failure(description: "challenge 1 stayed \(notIn)")
    }

    func tokens(_ net: StakingGovernanceDevnetTests.Devnet, _ a: Address) async throws -> Amount? {
        guard case let .object(o) = try await net.json("/v1/staking/operators/\(a.bech32)") else { return nil }
        return StakingGovernanceDevnetTests.amount(o["tokens"])
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet) async throws {
        let provider = try net.address("dev4"), challenger = try net.address("dev0")
        try await net.ok(["tx", "staking", "create-provider", "--moniker", "cheap-provider", "--self-bond", "100cairn", "--from", "dev4"])
        try await net.ok(["tx", "models", "register", "--from", "dev0", "--name", "smollm2", "--weights-hash", String(repeating: "ab", count: 32),
                          "--format", "gguf", "--architecture", "llama", "--licence", "Apache-2.0", "--royalty-bps", "500"])
        try await net.ok(["tx", "market", "register-provider", "--endpoint", "http://127.0.0.1:9", "--model", "1:100:200:0", "--from", "dev4"])
        for v in ["dev1", "dev2", "dev3"] { try await net.ok(["tx", "verification", "register", "--bond", "100cairn", "--from", v]) }
        let verifiers = try JSONValue(parsing: try await net.ok(["query", "verification", "verifiers"]))
        guard case let .object(vs) = verifiers, case let .array(list)? = vs["verifiers"] else { Issue.record("no verifiers"); return }
        #expect(list.count == 3)

        // A receipt the provider signed for a job (here made with its key, as its agent signs every answer).
        let key = try Keyring(home: net.home).privateKey("dev4")
        let receipt = ServiceReceipt(provider: provider, channelID: 1, requestHash: Hash.sha256(Array("a prompt".utf8)),
                                     outputHash: Hash.sha256(Array("random text".utf8)), modelID: 1, model: "smollm2", promptTokens: 12,
                                     completionTokens: 40, embeddingTokens: 0,
                                     price: ModelPrice(modelID: 1, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 0),
                                     cost: 9, cumulative: 9, modelCumulative: 9, modelTokens: 52, modelRequests: 1)
            .signed(by: key, chainID: "cairn-verification-e2e")
        let request = net.dir.path("request.json"), output = net.dir.path("output.txt")
        try Data("a prompt".utf8).write(to: URL(fileURLWithPath: request))
        try Data("random text".utf8).write(to: URL(fileURLWithPath: output))
        let evidence = ["--request", request, "--output", output]

        // The mistakes first: a bond below the minimum, something that is not a receipt, the provider challenging itself.
        let small = try await net.cli(["tx", "verification", "challenge", "--receipt", receipt.headerValue, ] + evidence + ["--bond", "1cairn",
                                       "--from", "dev0"])
        #expect(small.status != 0 && small.output.contains("verification/2"), "\(small.output)")
        let garbage = try await net.cli(["tx", "verification", "challenge", "--receipt", "bm90IGEgcmVjZWlwdA==", ] + evidence + ["--from", "dev0"])
        #expect(garbage.status != 0 && garbage.output.contains("is not a receipt"), "\(garbage.output)")
        let own = try await net.cli(["tx", "verification", "challenge", "--receipt", receipt.headerValue, ] + evidence + ["--from", "dev4"])
        #expect(own.status != 0 && own.output.contains("verification/4"), "\(own.output)")

        let stakeBefore = try #require(try await tokens(net, provider))
        let challengerBefore = try await net.balance(challenger)
        let raised = ContinuousClock.now
        try await net.ok(["tx", "verification", "challenge", "--receipt", receipt.headerValue, ] + evidence + ["--from", "dev0"])
        #expect(try await waitForStatus(net, notIn: ["drawing"]) == "committing")
        guard case let .array(seats)? = try await challenge(net)["committee"] else { Issue.record("no committee"); return }
        #expect(seats.count == 3)

        // The committee commits, then reveals, each member in its own process at the same time.
        let home = net.home, url = net.url, logs = net.dir.url
        func everyMember(_ step: String) async throws {
            try await withThrowingTaskGroup(of: (String, Int32, String).self) { group in
                for v in ["dev1", "dev2", "dev3"] {
                    group.addTask {
                        let r = try await CairnProcess.run(["tx", "verification", step, "1", "cheated", "--from", v, "--home", home, "--node", url],
                                                           log: logs.appendingPathComponent("\(step)-\(v).log"))
                        return (v, r.status, r.output)
                    }
                }
                for try await (v, status, output) in group { #expect(status == 0, "\(step) by \(v): \(output)") }
            }
        }
        try await everyMember("commit")
        #expect(try await waitForStatus(net, notIn: ["committing"]) == "revealing")
        try await everyMember("reveal")
        #expect(try await waitForStatus(net, notIn: ["revealing"]) == "upheld")
        let elapsed = ContinuousClock.now - raised
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("verification devnet: challenge submitted to provider slashed in \(String(format: "%.1f", seconds)) s")
        #expect(seconds < 60, "slashed \(seconds) s after the challenge")

        let c = try await challenge(net)
        let slashed = try #require(StakingGovernanceDevnetTests.amount(c["slashed"]))
        let bounty = try #require(StakingGovernanceDevnetTests.amount(c["bounty"]))
        #expect(slashed.value == stakeBefore.value / 10 && bounty.value == slashed.value / 2)
        #expect(try await tokens(net, provider) == Amount(stakeBefore.value - slashed.value))
        // The challenger paid fees for its transactions and got its bond back with the bounty.
        let challengerAfter = try await net.balance(challenger)
        #expect(challengerAfter.value > challengerBefore.value + bounty.value - 1_000_000, "\(challengerBefore) → \(challengerAfter)")
        guard case let .object(rep) = try JSONValue(parsing: try await net.ok(["query", "verification", "provider", provider.bech32])) else {
            Issue.record("no reputation"); return
        }
        #expect(rep["challengesUpheld"] == .number(1) && rep["pendingChallenges"] == .array([]))
        // The explorer shows the verdict on the provider's page and the catch in the providers list.
        let page = try await Self.fetch(net.url + "/explorer/providers/\(provider.bech32)")
        #expect(page.contains("1 upheld (caught cheating)") && page.contains("upheld") && page.contains("cheated, cheated, cheated"), "\(page.prefix(200))")
        let listPage = try await Self.fetch(net.url + "/explorer/providers")
        #expect(listPage.contains("caught 1×"))
        // A second challenge of the same receipt is refused.
        let again = try await net.cli(["tx", "verification", "challenge", "--receipt", receipt.headerValue, ] + evidence + ["--from", "dev0"])
        #expect(again.status != 0 && again.output.contains("verification/5"), "\(again.output)")
    }

    static func fetch(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }
}
