import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnClient
import CairnTestSupport

/// The exchange on the real devnet process, driven with the `cairn` CLI as a user would: a pool created, traded both
/// ways, joined and left, read back, and the mistakes a user makes refused with a clear message.
@Suite struct ExchangeDevnetTests {
    @Test func aPoolIsCreatedTradedJoinedAndLeftWithTheCLI() async throws {
        let net = try await StakingGovernanceDevnetTests.Devnet(chainID: "cairn-exchange-e2e")
        do { try await scenario(net) } catch {
            try? await net.stop()
            throw error
        }
        try await net.stop()
    }

    func pool(_ net: StakingGovernanceDevnetTests.Devnet) async throws -> [String: JSONValue] {
        guard case let .object(p) = try JSONValue(parsing: try await net.ok(["query", "exchange", "pool", "1"])) else { return [:] }
        return p
    }

    func scenario(_ net: StakingGovernanceDevnetTests.Devnet) async throws {
        try await net.ok(["tx", "exchange", "create-pool", "1000cairn", "2000000000uusdc", "--from", "dev0"])
        var p = try await pool(net)
        #expect(p["denom0"] == .string("ucairn") && p["reserve0"] == .string("1000000000") && p["reserve1"] == .string("2000000000"))
        #expect(p["price0"] == .string("2.000000000000000000"))
        let dev1 = try net.address("dev1")
        let usdcBefore = try await net.client.account(dev1).balances.first { $0.denom == "uusdc" }?.amount ?? .zero

        // Sell 10 cairn, then buy exactly 5 usdc back.
        let sold = try await net.ok(["tx", "exchange", "swap", "1", "--in", "10cairn", "--min-out", "19000000uusdc", "--from", "dev1"])
        #expect(sold.contains("exchange.swap"), "\(sold)")
        let usdcAfter = try await net.client.account(dev1).balances.first { $0.denom == "uusdc" }?.amount ?? .zero
        #expect(usdcAfter > usdcBefore && usdcAfter.value - usdcBefore.value >= 19_000_000)
        try await net.ok(["tx", "exchange", "swap", "1", "--out", "5000000uusdc", "--max-in", "3cairn", "--from", "dev1"])

        // Join, then leave with every share.
        let joined = try await net.ok(["tx", "exchange", "add-liquidity", "1", "100cairn", "300000000uusdc", "--from", "dev1", "--json"])
        let receipt = try JSONDecoder().decode(Receipt.self, from: Data(joined.utf8))
        let shares = try #require(receipt.events.first { $0.type == "exchange.add_liquidity" }?["shares"])
        p = try await pool(net)
        #expect(p["totalShares"] != .string("1414213562"))
        try await net.ok(["tx", "exchange", "remove-liquidity", "1", "--shares", shares, "--min", "99cairn", "--from", "dev1"])
        #expect(try await net.client.account(dev1).balances.first { $0.denom == "pool/1" } == nil)

        // The mistakes: a limit the pool cannot meet, an exact-out swap with no ceiling, a pair the pool does not trade, a second pool.
        let greedy = try await net.cli(["tx", "exchange", "swap", "1", "--in", "10cairn", "--min-out", "30000000uusdc", "--from", "dev1"])
        #expect(greedy.status != 0 && greedy.output.contains("exchange/6"), "\(greedy.output)")
        let open = try await net.cli(["tx", "exchange", "swap", "1", "--out", "5000000uusdc", "--from", "dev1"])
        #expect(open.status != 0 && open.output.contains("--max-in"), "\(open.output)")
        let wrong = try await net.cli(["tx", "exchange", "swap", "1", "--in", "5pool/1", "--from", "dev1"])
        #expect(wrong.status != 0 && wrong.output.contains("trades ucairn and uusdc"), "\(wrong.output)")
        let again = try await net.cli(["tx", "exchange", "create-pool", "1uusdc", "1cairn", "--from", "dev2"])
        #expect(again.status != 0 && again.output.contains("exchange/3"), "\(again.output)")
        let missing = try await net.cli(["query", "exchange", "pool", "7"])
        #expect(missing.status != 0 && missing.output.contains("no pool 7"), "\(missing.output)")

        guard case let .object(all) = try JSONValue(parsing: try await net.ok(["query", "exchange", "pools"])), case let .array(list)? = all["pools"] else {
            Issue.record("no pools listed")
            return
        }
        #expect(list.count == 1)
    }
}
