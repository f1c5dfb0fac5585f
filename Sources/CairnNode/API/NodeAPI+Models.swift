import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnModels

/// `GET /v1/registry/models...`: the model registry, read from the latest committed state.
extension NodeAPI {
    struct ModelsListView: Encodable {
        let models: [ModelView]
    }

    func addModelsRoutes(to router: Router<BasicRequestContext>) {
        let models = LedgerWiring.models
        router.get("/v1/registry/models") { req, _ in
            let query = req.uri.queryParameters
            let limit = try boundedInt(query.get("limit"), name: "limit", default: 100, range: 1...500)
            let after = try query.get("after").map { text throws -> UInt64 in try modelID(text, what: "'after'") }
            let hash = try query.get("hash").map { text throws -> Hash in
                guard let h = Hash(hex: text) else { throw APIError.badRequest("bad_query", "'hash' must be 64 hex characters (SHA-256 of the weights)") }
                return h
            }
            let name = query.get("name")
            let owner = try query.get("owner").map { text throws -> Address in try parseAddress(text) }
            return try json(ModelsListView(models: try chain.withState { state throws -> [ModelView] in
                // A hash or a name picks at most one model; the other filters then narrow it.
                let found: [ModelView]
                if let hash {
                    found = try models.model(weightsHash: hash, state: state).map { [$0] } ?? []
                } else if let name {
                    found = try models.model(named: name, state: state).map { [$0] } ?? []
                } else if let owner {
                    return try models.models(ownedBy: owner, state: state, after: after, limit: limit)
                } else {
                    return try models.models(state: state, after: after, limit: limit)
                }
                return found.filter { m in
                    (name.map { m.name == $0 } ?? true) && (owner.map { m.owner == $0 } ?? true) && (after.map { m.id > $0 } ?? true)
                }
            }))
        }
        router.get("/v1/registry/models/:id") { _, ctx in
            let id = try modelID(ctx.parameters.get("id") ?? "", what: "model id")
            guard let view = try chain.withState({ try models.model(id, state: $0) }) else {
                throw APIError.notFound("no model \(id)")
            }
            return try json(view)
        }
        router.get("/v1/registry/models/:id/holders/:address") { _, ctx in
            let id = try modelID(ctx.parameters.get("id") ?? "", what: "model id")
            let holder = try parseAddress(ctx.parameters.get("address") ?? "")
            guard let view = try chain.withState({ try models.holding(of: holder, model: id, state: $0) }) else {
                throw APIError.notFound("no model \(id)")
            }
            return try json(view)
        }
    }

    func modelID(_ text: String, what: String) throws -> UInt64 {
        guard let id = UInt64(text) else { throw APIError.badRequest("bad_id", "\(what) '\(text.prefix(40))' is not a model id") }
        return id
    }
}
