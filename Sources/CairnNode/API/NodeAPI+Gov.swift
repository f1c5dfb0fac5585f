import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnGovernance

/// `GET /v1/gov/...`, `/v1/treasury` and `/v1/decentralization`: reads of the latest committed state.
extension NodeAPI {
    struct ProposalsView: Encodable {
        let proposals: [Proposal]
    }

    struct ProposalDetailView: Encodable {
        let proposal: Proposal
        /// Live while voting; the final tally once voting has ended; nil while deposits are gathered.
        let tally: TallyResult?
        let votes: [VoteRecord]
        let deposits: [DepositRecord]
    }

    struct TreasuryView: Encodable {
        let address: Address
        let balance: Amount
    }

    func addGovRoutes(to router: Router<BasicRequestContext>) {
        let gov = LedgerWiring.gov
        router.get("/v1/treasury") { _, _ in
            try json(TreasuryView(address: ModuleAccount.treasury, balance: try chain.withState { try gov.treasuryBalance(state: $0) }))
        }
        router.get("/v1/gov/proposals") { req, _ in
            let limit = try boundedInt(req.uri.queryParameters.get("limit"), name: "limit", default: 50, range: 1...100)
            let before = try req.uri.queryParameters.get("before").map { text throws -> UInt64 in
                guard let v = UInt64(text) else { throw APIError.badRequest("bad_query", "'before' must be a proposal id") }
                return v
            }
            return try json(ProposalsView(proposals: try chain.withState { try gov.proposals(state: $0, before: before, limit: limit) }))
        }
        router.get("/v1/gov/proposals/:id") { _, ctx in
            let id = try proposalID(ctx.parameters.get("id") ?? "")
            return try json(try chain.withState { state throws -> ProposalDetailView in
                guard let p = try gov.proposal(id, state: state) else { throw APIError.notFound("no proposal \(id)") }
                return ProposalDetailView(proposal: p, tally: try gov.tally(of: id, state: state), votes: try gov.votes(of: id, state: state),
                                          deposits: try gov.deposits(of: id, state: state))
            })
        }
        router.get("/v1/gov/proposals/:id/tally") { _, ctx in
            let id = try proposalID(ctx.parameters.get("id") ?? "")
            return try json(try chain.withState { state throws -> TallyResult in
                guard try gov.proposal(id, state: state) != nil else { throw APIError.notFound("no proposal \(id)") }
                guard let t = try gov.tally(of: id, state: state) else {
                    throw APIError.notFound("proposal \(id) is still in its deposit period: no votes yet")
                }
                return t
            })
        }
        router.get("/v1/decentralization") { _, _ in
            try json(try chain.withState { try gov.decentralization(state: $0) })
        }
    }

    func proposalID(_ text: String) throws -> UInt64 {
        guard let id = UInt64(text) else { throw APIError.badRequest("bad_id", "'\(text.prefix(40))' is not a proposal id") }
        return id
    }

    func boundedInt(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw APIError.badRequest("bad_query", "'\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }
}
