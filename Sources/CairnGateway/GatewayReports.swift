import CairnPrimitives
import CairnMarket
import CairnWire
import CairnModels
import Foundation

/// `GET /v1/models`: OpenAI's list, each model with Cairn's fields under `cairn` (registry id, owner, royalty, and the
/// prices of every provider serving it, in ucairn per million tokens).
struct ModelList: Encodable {
    struct Price: Encodable {
        var provider: String
        var promptPerMillion: String
        var completionPerMillion: String
        var embeddingPerMillion: String

        enum CodingKeys: String, CodingKey {
            case provider
            case promptPerMillion = "prompt_per_million"
            case completionPerMillion = "completion_per_million"
            case embeddingPerMillion = "embedding_per_million"
        }
    }

    struct Cairn: Encodable {
        var modelID: UInt64
        var owner: String
        var royaltyBps: UInt32
        var providers: Int
        var prices: [Price]

        enum CodingKeys: String, CodingKey {
            case owner, providers, prices
            case modelID = "model_id"
            case royaltyBps = "royalty_bps"
        }
    }

    struct Model: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy: String
        var cairn: Cairn

        enum CodingKeys: String, CodingKey {
            case id, object, created, cairn
            case ownedBy = "owned_by"
        }
    }

    var object = "list"
    var data: [Model]

    init(_ listings: [ProviderDirectory.Listing], created: Int) {
        data = listings.map { l in
            let prices = l.candidates.map {
                Price(provider: $0.address.bech32, promptPerMillion: $0.price.promptPerMillion.value.description,
                      completionPerMillion: $0.price.completionPerMillion.value.description,
                      embeddingPerMillion: $0.price.embeddingPerMillion.value.description)
            }
            return Model(id: l.model.name, created: created, ownedBy: l.model.owner.bech32,
                         cairn: Cairn(modelID: l.model.id, owner: l.model.owner.bech32, royaltyBps: l.model.royaltyBps,
                                      providers: l.candidates.count, prices: prices))
        }
    }
}

/// `GET /v1/cairn/usage`: requests, tokens and spend (ucairn) by API key, provider and model.
struct UsageReport: Encodable {
    struct Line: Encodable {
        var name: String
        var nameKey: String
        var totals: UsageTotals

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: DynamicKey.self)
            try c.encode(name, forKey: DynamicKey(nameKey))
            try c.encode(totals.requests, forKey: DynamicKey("requests"))
            try c.encode(totals.failed, forKey: DynamicKey("failed"))
            try c.encode(totals.promptTokens, forKey: DynamicKey("prompt_tokens"))
            try c.encode(totals.completionTokens, forKey: DynamicKey("completion_tokens"))
            try c.encode(totals.embeddingTokens, forKey: DynamicKey("embedding_tokens"))
            try c.encode(totals.spend.value.description, forKey: DynamicKey("spend"))
        }
    }

    var keys: [Line]
    var providers: [Line]
    var models: [Line]
}

/// `GET /v1/cairn/providers`: the providers the gateway knows and what it has observed of each.
struct ProviderReport: Encodable {
    struct Entry: Encodable {
        var address: String
        var endpoint: String
        var models: [String]
        var stake: String
        var inRotation: Bool
        var ejectedForMilliseconds: UInt64?
        var successRate: Double
        var firstTokenSeconds: Double?
        var tokensPerSecond: Double?
        var inFlight: Int
        var capacity: Int

        enum CodingKeys: String, CodingKey {
            case address, endpoint, models, stake
            case inRotation = "in_rotation"
            case ejectedForMilliseconds = "ejected_for_ms"
            case successRate = "success_rate"
            case firstTokenSeconds = "first_token_seconds"
            case tokensPerSecond = "tokens_per_second"
            case inFlight = "in_flight"
            case capacity
        }
    }

    var providers: [Entry]

    init(directory: ProviderDirectory, selector: (stats: [Address: ProviderSelector.Stats], now: UInt64)) {
        providers = directory.providers.map { p in
            let s = selector.stats[p.address] ?? ProviderSelector.Stats()
            let cooling = s.ejectedUntil.map { $0 > selector.now } ?? false
            return Entry(address: p.address.bech32, endpoint: p.endpoint,
                         models: p.models.compactMap { directory.model($0.modelID)?.name }, stake: p.stake.value.description,
                         inRotation: !cooling, ejectedForMilliseconds: cooling ? s.ejectedUntil.map { $0 - selector.now } : nil,
                         successRate: s.successRate, firstTokenSeconds: s.firstTokenSeconds, tokensPerSecond: s.tokensPerSecond,
                         inFlight: s.inFlight, capacity: s.capacity)
        }
    }
}

extension GatewayServer {
    /// The usage report, of one key (a gateway with keys shows each caller its own) or of all.
    func usageReport(key: String?) throws -> UsageReport {
        func lines(_ group: UsageStore.Group, _ nameKey: String) throws -> [UsageReport.Line] {
            try usage.totals(by: group, key: key).map { UsageReport.Line(name: $0.name, nameKey: nameKey, totals: $0.totals) }
        }
        return UsageReport(keys: try lines(.key, "key"), providers: try lines(.provider, "provider").filter { !$0.name.isEmpty },
                           models: try lines(.model, "model"))
    }
}
