public import CairnPrimitives
public import CairnMarket
public import CairnModels
public import CairnClient
import CairnVerification
import Synchronization
import Foundation

/// The active providers and the models they serve, as the chain lists them, re-read every refresh.
public final class ProviderDirectory: Sendable {
    /// One model some active provider serves.
    public struct Listing: Sendable {
        public var model: ModelView
        public var candidates: [ProviderCandidate]
    }

    struct State {
        var providers: [ProviderView] = []
        var models: [UInt64: ModelView] = [:]
        var byName: [String: Listing] = [:]
        var refreshed: Date?
        var lastError: String?
        /// Providers this gateway's own audits suspect (``JobAuditor/suspects()``).
        var suspects: Set<Address> = []
    }

    let node: NodeClient
    let state = Mutex(State())

    public init(node: NodeClient) {
        self.node = node
    }

    /// Re-reads the market's providers (and the registry entries of models not seen before).
    public func refresh() async throws(ClientError) {
        let providers: [ProviderView]
        do {
            providers = try await node.get("/v1/market/providers", as: ProviderList.self).providers.filter(\.active)
        } catch {
            state.withLock { $0.lastError = error.description }
            throw error
        }
        var known = state.withLock { $0.models }
        for id in Set(providers.flatMap { $0.models.map(\.modelID) }) where known[id] == nil {
            known[id] = try await node.get("/v1/registry/models/\(id)", as: ModelView.self)
        }
        // What verification recorded of each provider (a node without the module answers 404: no records).
        var records: [String: CheckRecord] = [:]
        if let list = try? await node.get("/v1/verification/providers", as: ReputationList.self) {
            for r in list.providers {
                records[r.provider] = CheckRecord(checksPassed: r.checksPassed, checksFailed: r.checksFailed, challengesUpheld: r.challengesUpheld)
            }
        }
        var byName: [String: Listing] = [:]
        for p in providers where URL(string: p.endpoint)?.host != nil {
            for price in p.models {
                guard let model = known[price.modelID] else { continue }
                byName[model.name, default: Listing(model: model, candidates: [])].candidates
                    .append(ProviderCandidate(address: p.address, endpoint: p.endpoint, price: price, stake: p.stake,
                                              reputation: records[p.address.bech32] ?? CheckRecord()))
            }
        }
        state.withLock { s in
            s.providers = providers
            s.models = known
            s.byName = byName
            s.refreshed = Date()
            s.lastError = nil
        }
    }

    /// Re-reads the providers unless that was done less than `age` ago (a model not served yet may be served now).
    public func refresh(ifOlderThan age: Double) async {
        let last = state.withLock { $0.refreshed }
        guard last.map({ Date().timeIntervalSince($0) >= age }) ?? true else { return }
        try? await refresh()
    }

    /// The model named `name` and its providers, or nil when no active provider serves it.
    public func listing(_ name: String) -> Listing? {
        state.withLock { s in
            guard var listing = s.byName[name] else { return nil }
            for i in listing.candidates.indices where s.suspects.contains(listing.candidates[i].address) {
                listing.candidates[i].reputation.suspected = true
            }
            return listing
        }
    }

    /// Providers the gateway's audits suspect from their pooled checks: ranked as if a check had failed.
    public func setSuspects(_ suspects: Set<Address>) { state.withLock { $0.suspects = suspects } }

    /// Every model some active provider serves, by name.
    public var listings: [Listing] { state.withLock { $0.byName.values.sorted { $0.model.name < $1.model.name } } }

    /// The active providers.
    public var providers: [ProviderView] { state.withLock { $0.providers } }

    /// A provider's endpoint, if it is listed.
    public func endpoint(of address: Address) -> String? { state.withLock { s in s.providers.first { $0.address == address }?.endpoint } }

    /// The registry entry of a model id seen so far.
    public func model(_ id: UInt64) -> ModelView? { state.withLock { $0.models[id] } }

    struct ProviderList: Decodable { var providers: [ProviderView] }
}

/// `GET /v1/verification/providers`.
struct ReputationList: Decodable {
    let providers: [ReputationView]
}
