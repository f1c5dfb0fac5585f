import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnVerification

/// The verification module as the latest committed state has it: `GET /v1/verification/challenges[?status=S]`,
/// `GET /v1/verification/challenges/ID`, `GET /v1/verification/verifiers`, `GET /v1/verification/providers/ADDRESS`
/// (a provider's reputation and undecided challenges) and `GET /v1/verification/providers` (every provider checked so far).
extension NodeAPI {
    struct ChallengesView: Encodable { let challenges: [ChallengeView] }
    struct VerifiersView: Encodable { let verifiers: [VerifierView] }
    struct ReputationsView: Encodable { let providers: [ReputationView] }

    static let challengeStatuses: Set<String> = ["gathering", "drawing", "committing", "revealing", "upheld", "rejected", "void", "lapsed"]

    func addVerificationRoutes(to router: Router<BasicRequestContext>) {
        let verification = LedgerWiring.verification
        router.get("/v1/verification/challenges") { request, _ in
            let status = request.uri.queryParameters.get("status")
            if let status, !Self.challengeStatuses.contains(status) {
                throw APIError.badRequest("bad_status", "'\(status.prefix(40))' is not one of \(Self.challengeStatuses.sorted().joined(separator: ", "))")
            }
            return try json(try chain.withState { state throws -> ChallengesView in
                ChallengesView(challenges: try verification.challenges(state: state, status: status))
            })
        }
        router.get("/v1/verification/challenges/:id") { _, ctx in
            let text = ctx.parameters.get("id") ?? ""
            guard let id = UInt64(text) else { throw APIError.badRequest("bad_id", "'\(text.prefix(40))' is not a challenge id") }
            return try json(try chain.withState { state throws -> ChallengeView in
                guard let c = try verification.challenge(id, state: state) else { throw APIError.notFound("no challenge \(id)") }
                return c
            })
        }
        router.get("/v1/verification/verifiers") { _, _ in
            try json(try chain.withState { state throws -> VerifiersView in VerifiersView(verifiers: try verification.verifiers(state: state)) })
        }
        router.get("/v1/verification/providers") { _, _ in
            try json(try chain.withState { state throws -> ReputationsView in
                ReputationsView(providers: try verification.reputations(state: state).map { try verification.reputation(of: $0.provider, state: state) })
            })
        }
        router.get("/v1/verification/providers/:address") { _, ctx in
            let text = ctx.parameters.get("address") ?? ""
            guard let address = try? Address(bech32: text) else { throw APIError.badRequest("bad_address", "'\(text.prefix(80))' is not an address") }
            return try json(try chain.withState { state throws -> ReputationView in try verification.reputation(of: address, state: state) })
        }
    }
}
