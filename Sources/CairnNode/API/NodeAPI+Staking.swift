import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnStaking

/// `GET /v1/staking/...` and `/v1/params/{module}`: reads of the latest committed state.
extension NodeAPI {
    struct OperatorsView: Encodable {
        let operators: [OperatorView]
        let pools: StakingPools
    }

    struct DelegationsView: Encodable {
        let delegator: Address
        let delegations: [DelegationView]
        let unbonding: [UnbondingView]
    }

    func addStakingRoutes(to router: Router<BasicRequestContext>) {
        let staking = LedgerWiring.staking
        router.get("/v1/staking/operators") { _, _ in
            try json(try chain.withState { OperatorsView(operators: try staking.operatorViews(state: $0), pools: try staking.pools(state: $0)) })
        }
        router.get("/v1/staking/operators/:address") { _, ctx in
            let address = try parseAddress(ctx.parameters.get("address") ?? "")
            guard let view = try chain.withState({ try staking.operatorView(address, state: $0) }) else {
                throw APIError.notFound("\(address) is not a registered operator")
            }
            return try json(view)
        }
        router.get("/v1/staking/delegations/:address") { _, ctx in
            let address = try parseAddress(ctx.parameters.get("address") ?? "")
            return try json(try chain.withState {
                DelegationsView(delegator: address, delegations: try staking.delegationViews(of: address, state: $0),
                                unbonding: try staking.unbondingViews(of: address, state: $0))
            })
        }
        router.get("/v1/params/:module") { _, ctx in
            let module = ctx.parameters.get("module") ?? ""
            guard let params = try chain.withState({ try chain.ledger.parameters(module: module, state: $0) }) else {
                throw APIError.notFound("module '\(module.prefix(40))' has no parameters (modules with parameters: \(chain.ledger.parameterModules.joined(separator: ", ")))")
            }
            return try json(params)
        }
    }

    func parseAddress(_ text: String) throws -> Address {
        do { return try Address(bech32: text) } catch { throw APIError.badRequest("bad_address", error.description) }
    }
}
