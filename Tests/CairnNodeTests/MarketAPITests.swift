import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnNode
import CairnTestSupport

/// The market's read routes on a real HTTP server.
@Suite struct MarketAPITests {
    struct Providers: Decodable { let providers: [ProviderView] }
    struct Channels: Decodable { let channels: [ChannelView] }

    @Test func aNewChainListsNoProvidersOrChannelsAndServesTheMarketParameters() async throws {
        try await InProcessNode.with { node in
            let providers = try await node.request("GET", "/v1/market/providers")
            #expect(providers.status == 200)
            #expect(try JSONDecoder().decode(Providers.self, from: providers.body).providers.isEmpty)
            let channels = try await node.request("GET", "/v1/market/channels?client=\(InProcessNode.funded.address.bech32)")
            #expect(channels.status == 200)
            #expect(try JSONDecoder().decode(Channels.self, from: channels.body).channels.isEmpty)
            let params = try await node.request("GET", "/v1/params/market")
            #expect(params.status == 200)
            #expect(try JSONDecoder().decode(MarketParams.self, from: params.body) == .default)
        }
    }
}
