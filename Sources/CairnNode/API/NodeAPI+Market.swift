import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnMarket

/// `GET /v1/market/...`: providers and payment channels, read from the latest committed state.
extension NodeAPI {
    struct ProvidersView: Encodable {
        let providers: [ProviderView]
    }

    struct ChannelsView: Encodable {
        let channels: [ChannelView]
    }

    func addMarketRoutes(to router: Router<BasicRequestContext>) {
        let market = LedgerWiring.market
        router.get("/v1/market/providers") { _, _ in
            try json(ProvidersView(providers: try chain.withState { try market.providerViews(state: $0) }))
        }
        router.get("/v1/market/providers/:address") { _, ctx in
            let address = try parseAddress(ctx.parameters.get("address") ?? "")
            guard let view = try chain.withState({ try market.providerView(address, state: $0) }) else {
                throw APIError.notFound("\(address) is not a registered provider")
            }
            return try json(view)
        }
        router.get("/v1/market/channels/:id") { _, ctx in
            let text = ctx.parameters.get("id") ?? ""
            guard let id = UInt64(text) else { throw APIError.badRequest("bad_id", "'\(text.prefix(40))' is not a channel id") }
            guard let view = try chain.withState({ try market.channelView(id, state: $0) }) else {
                throw APIError.notFound("no channel \(id)")
            }
            return try json(view)
        }
        router.get("/v1/market/channels") { req, _ in
            let client = req.uri.queryParameters.get("client")
            let provider = req.uri.queryParameters.get("provider")
            switch (client, provider) {
            case let (client?, nil):
                let a = try parseAddress(client)
                return try json(ChannelsView(channels: try chain.withState { try market.channelViews(client: a, state: $0) }))
            case let (nil, provider?):
                let a = try parseAddress(provider)
                return try json(ChannelsView(channels: try chain.withState { try market.channelViews(provider: a, state: $0) }))
            default:
                throw APIError.badRequest("bad_query", "give exactly one of 'client' or 'provider' (an address)")
            }
        }
    }
}
