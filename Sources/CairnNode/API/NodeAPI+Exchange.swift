import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnExchange

/// `GET /v1/exchange/pools[/ID]`: the exchange's pools as the latest committed state has them, with the average
/// prices since the last buyback brought up to the head's time.
extension NodeAPI {
    struct PoolsView: Encodable {
        let pools: [PoolView]
        /// ucairn the buybacks burned, by cause.
        let burnedByCause: [String: Amount]
    }

    func addExchangeRoutes(to router: Router<BasicRequestContext>) {
        let exchange = LedgerWiring.exchange
        router.get("/v1/exchange/pools") { _, _ in
            let time = try chain.headTime()
            return try json(try chain.withState { state throws -> PoolsView in
                PoolsView(pools: try exchange.pools(state: state, time: time), burnedByCause: try exchange.summary(state: state).burnedByCause)
            })
        }
        router.get("/v1/exchange/pools/:id") { _, ctx in
            let text = ctx.parameters.get("id") ?? ""
            guard let id = UInt64(text) else { throw APIError.badRequest("bad_id", "'\(text.prefix(40))' is not a pool id") }
            let time = try chain.headTime()
            return try json(try chain.withState { state throws -> PoolView in
                guard let p = try exchange.pool(id, state: state, time: time) else { throw APIError.notFound("no pool \(id)") }
                return p
            })
        }
    }
}
