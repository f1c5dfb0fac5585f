import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnExchange
import CairnClient
import CairnApp
import CairnChain
import CairnExplorer
import CairnTestSupport

/// The exchange through a running node: pools created and traded by signed transactions over HTTP, then read back
/// from `/v1/exchange/pools` and the explorer's pages.
@Suite struct ExchangeAPITests {
    static let usdc = "uusdc"

    @Test func poolsAreServedByTheAPIAndShownWithAPriceChartByTheExplorer() async throws {
        try await InProcessNode.with(fundedCoins: [Coin(denom: Self.usdc, amount: 1_000_000_000_000)]) { node in
            let client = try node.client()
            let key = InProcessNode.funded.key
            let created = try await client.send([MsgCreatePool(denomA: Self.usdc, amountA: 2_000_000_000, denomB: Denom.native, amountB: 1_000_000_000)],
                                                key: key)
            #expect(created.success, "\(String(describing: created.error))")
            for i in 0..<3 {
                let r = try await client.send([MsgSwap(poolID: 1, denomIn: i % 2 == 0 ? Denom.native : Self.usdc,
                                                       trade: .exactIn(amount: 10_000_000, minOut: 1), deadline: 0)], key: key)
                #expect(r.success, "\(String(describing: r.error))")
            }

            guard case let .object(all) = try await client.get("/v1/exchange/pools"), case let .array(pools)? = all["pools"],
                  case let .object(first)? = pools.first, case let .object(burned)? = all["burnedByCause"] else {
                Issue.record("no pools served")
                return
            }
            #expect(pools.count == 1 && first["denom0"] == .string(Denom.native) && first["denom1"] == .string(Self.usdc))
            #expect(Set(burned.keys) == ["protocol-fee", "treasury"])
            let pool = try await client.get("/v1/exchange/pools/1", as: PoolView.self)
            let record = try #require(try node.chain.withState { try LedgerWiring.exchange.poolRecord(1, state: $0) })
            #expect(pool.reserve0.value == record.reserve0 && pool.reserve1.value == record.reserve1 && pool.shareDenom == "pool/1")
            #expect(pool.price0.hasPrefix("1.9") || pool.price0.hasPrefix("2.0"), "\(pool.price0)")
            #expect(try await node.request("GET", "/v1/exchange/pools/9").status == 404)
            #expect(try await node.request("GET", "/v1/exchange/pools/x").status == 400)

            node.indexer.waitForBackgroundCatchUp()
            let list = try await node.request("GET", "/explorer/pools")
            #expect(list.status == 200 && list.text.contains("ucairn / uusdc") && list.text.contains("/explorer/pools/1"))
            let page = try await node.request("GET", "/explorer/pools/1")
            #expect(page.status == 200)
            #expect(page.text.contains("<svg class=\"chart\"") && page.text.contains("after each of the last 4 pool events"), "\(page.text.prefix(3000))")
            #expect(page.text.contains("exchange/swap"))
            #expect(try await node.request("GET", "/explorer/pools/9").status == 404)
        }
    }
}
