public import CairnPrimitives
import CairnMarket
import CairnClient
public import Logging
public import ServiceLifecycle
import CairnModels
import CairnLedger
import AsyncHTTPClient
import Hummingbird
import Foundation
import CairnTraining

/// The provider agent: checks its models against the registry, makes sure it is a bonded and listed provider, then
/// serves the OpenAI API, follows its channels on the chain and claims what it earns, in one service group that
/// shuts down gracefully.
public struct ProviderAgent: Service {
    /// What a running agent reports once its HTTP server listens.
    public struct Ready: Sendable {
        public var address: Address
        public var port: Int
        public var models: [ServedModel]
    }

    let config: ProviderConfig
    let key: PrivateKey
    let logger: Logger
    let onReady: @Sendable (Ready) async -> Void

    public init(config: ProviderConfig, key: PrivateKey, logger: Logger, onReady: @escaping @Sendable (Ready) async -> Void = { _ in }) {
        self.config = config
        self.key = key
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        var httpConfig = HTTPClient.Configuration()
        httpConfig.timeout = .init(connect: .seconds(10), read: .seconds(300))
        try await HTTPClient.withHTTPClient(configuration: httpConfig) { http in
            let chain = try await connect(http: http)
            let setup = ProviderSetup(registry: chain, key: key, logger: logger)
            var served: [ServedModel] = []
            for model in config.models {
                let file = WeightsHasher.weightsFile(at: model.path)
                logger.info("hashing weights", metadata: ["model": "\(model.name)", "file": "\(file)"])
                let view = try await setup.registered(model, hash: try WeightsHasher.hash(file: file))
                guard !served.contains(where: { $0.modelID == view.id }) else {
                    throw ProviderError(.configuration, "two models are the same registered model \(view.name) (id \(view.id))")
                }
                let price = ModelPrice(modelID: view.id, promptPerMillion: model.promptPerMillion,
                                       completionPerMillion: model.completionPerMillion, embeddingPerMillion: model.embeddingPerMillion)
                let isHead = ServedHead.isHeadFile(model.path)
                served.append(ServedModel(name: view.name, price: price, contextLength: 0, generates: !isHead, embeds: !isHead,
                                          aliases: model.name == view.name ? [] : [model.name], weightsHash: view.weightsHash))
            }
            // Trained heads run over an embedding model the engine serves; the engine loads the others.
            let isHead = config.models.map { ServedHead.isHeadFile($0.path) }
            let engineModels = zip(config.models, served).enumerated().filter { !isHead[$0.offset] }.map(\.element)
            var backend = try await loadBackend(engineModels.map(\.1), configured: engineModels.map(\.0), http: http)
            let heads = try zip(config.models, served).enumerated().filter { isHead[$0.offset] }.map { _, pair in
                try Self.head(pair.0, served: pair.1, over: backend.models)
            }
            if let cheat = try ProviderTestHooks.cheat(environment: ProcessInfo.processInfo.environment) {
                logger.warning("test hook: this provider cheats", metadata: ["cheat": "\(cheat.rawValue)"])
                backend = CheatingBackend(backend, cheat: cheat)
            }
            try await setup.ensureOperator(selfBond: config.selfBond, moniker: config.moniker, commissionBps: config.commissionBps)
            let spec = ProviderSpec(endpoint: config.registeredEndpoint, hardware: Self.hardware(),
                                    models: (backend.models + heads.map(\.served)).map(\.price).sorted { $0.modelID < $1.modelID })
            do throws(LedgerError) { try spec.validate() } catch { throw ProviderError(.configuration, "invalid provider listing: \(error.message)") }
            let listing = try await setup.ensureListed(spec)
            logger.info("listed on the market", metadata: ["provider": "\(key.publicKey.address)", "listing": "\(listing.rawValue)"])
            try await serve(backend: backend, heads: heads, chain: chain)
        }
    }

    /// The head in `model`'s file, served as `served` over the engine's model of its base.
    static func head(_ model: ProviderConfig.Model, served: ServedModel, over engine: [ServedModel]) throws -> ServedHead {
        guard let data = FileManager.default.contents(atPath: model.path) else { throw ProviderError(.configuration, "cannot read \(model.path)") }
        let (trained, head) = try ServedHead.load(Array(data))
        guard let base = engine.first(where: { $0.modelID == trained.baseModel && $0.embeds }) else {
            throw ProviderError(.configuration, "the head \(served.name) reads the embeddings of model \(trained.baseModel), which this provider does not serve")
        }
        return ServedHead(served: served, head: head, labels: trained.labels, base: base)
    }

    /// The node, waited for up to a minute (it may be starting beside the provider, as on the devnet).
    func connect(http: HTTPClient) async throws -> NodeChain {
        do {
            return try await NodeWait.until(stopped: { Task.isShuttingDownGracefully || Task.isCancelled },
                                            waiting: { logger.notice("waiting for the node", metadata: ["node": "\(config.nodeURL)"]) }) {
                try await NodeChain(url: config.nodeURL, key: key, http: http)
            }
        } catch {
            throw ProviderError(.node, "cannot reach the node at \(config.nodeURL): \(error)")
        }
    }

    /// The backend of the configuration, serving `served`.
    func loadBackend(_ served: [ServedModel], configured: [ProviderConfig.Model], http: HTTPClient) async throws -> any InferenceBackend {
        switch config.backend {
        case .engine(let contextLength):
            let substitute = try ProviderTestHooks.weights(environment: ProcessInfo.processInfo.environment)
            var loaded: [(ServedModel, EngineBackend.Engine)] = []
            for (model, entry) in zip(configured, served) {
                logger.info("loading model", metadata: ["model": "\(entry.name)", "path": "\(model.path)"])
                let isFolder = WeightsHasher.weightsFile(at: model.path) != model.path
                if !isFolder, let substitute { logger.warning("test hook: serving other weights", metadata: ["model": "\(entry.name)", "path": "\(substitute)"]) }
                let engine = isFolder ? try EngineBackend.loadEmbeddingModel(directory: model.path)
                    : try EngineBackend.loadLanguageModel(path: substitute ?? model.path, contextLength: contextLength)
                loaded.append((entry, engine))
            }
            return try EngineBackend(loaded)
        case .openAI(let url, let contextLength):
            let routes = zip(configured, served).map { model, entry in
                var entry = entry
                entry.contextLength = contextLength
                return OpenAIProxyBackend.Route(served: entry, upstreamName: model.name)
            }
            return try OpenAIProxyBackend(url: url, routes: routes, http: http)
        }
    }

    /// Runs the HTTP server, the chain follower and the claimer until shutdown.
    func serve(backend: any InferenceBackend, heads: [ServedHead], chain: any MarketChain) async throws {
        let store = try VoucherStore(path: VoucherStore.path(home: config.home))
        let desk = try PaymentDesk(store: store, chain: chain, key: key, logger: logger)
        let server = ProviderServer(backend: backend, desk: desk, logger: logger, heads: heads)
        let address = key.publicKey.address
        let models = backend.models + heads.map(\.served)
        let app = Application(
            router: server.router(),
            configuration: .init(address: .hostname(config.listenHost, port: config.listenPort), serverName: "cairn-provider"),
            onServerRunning: { channel in
                await onReady(Ready(address: address, port: channel.localAddress?.port ?? 0, models: models))
            },
            logger: logger)
        let follower = ChainFollower(chain: chain, desk: desk, logger: logger)
        let claimer = Claimer(chain: chain, desk: desk, policy: config.claimPolicy, tick: config.claimTick, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app, follower, claimer], logger: logger))
        // The group follows this service's graceful shutdown (it runs inside it).
        try await group.run()
    }

    /// This machine as the provider declares it.
    static func hardware() -> Hardware {
        Hardware(cpuCores: UInt32(ProcessInfo.processInfo.activeProcessorCount), memoryBytes: ProcessInfo.processInfo.physicalMemory)
    }
}
