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
                served.append(ServedModel(name: view.name, price: price, contextLength: 0, generates: true, embeds: true,
                                          aliases: model.name == view.name ? [] : [model.name], weightsHash: view.weightsHash))
            }
            var backend = try await loadBackend(served, http: http)
            if let cheat = try ProviderTestHooks.cheat(environment: ProcessInfo.processInfo.environment) {
                logger.warning("test hook: this provider cheats", metadata: ["cheat": "\(cheat.rawValue)"])
                backend = CheatingBackend(backend, cheat: cheat)
            }
            try await setup.ensureOperator(selfBond: config.selfBond, moniker: config.moniker, commissionBps: config.commissionBps)
            let spec = ProviderSpec(endpoint: config.registeredEndpoint, hardware: Self.hardware(),
                                    models: backend.models.map(\.price).sorted { $0.modelID < $1.modelID })
            do throws(LedgerError) { try spec.validate() } catch { throw ProviderError(.configuration, "invalid provider listing: \(error.message)") }
            let listing = try await setup.ensureListed(spec)
            logger.info("listed on the market", metadata: ["provider": "\(key.publicKey.address)", "listing": "\(listing.rawValue)"])
            try await serve(backend: backend, chain: chain)
        }
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
    func loadBackend(_ served: [ServedModel], http: HTTPClient) async throws -> any InferenceBackend {
        switch config.backend {
        case .engine(let contextLength):
            let substitute = try ProviderTestHooks.weights(environment: ProcessInfo.processInfo.environment)
            var loaded: [(ServedModel, EngineBackend.Engine)] = []
            for (model, entry) in zip(config.models, served) {
                logger.info("loading model", metadata: ["model": "\(entry.name)", "path": "\(model.path)"])
                let isFolder = WeightsHasher.weightsFile(at: model.path) != model.path
                if !isFolder, let substitute { logger.warning("test hook: serving other weights", metadata: ["model": "\(entry.name)", "path": "\(substitute)"]) }
                let engine = isFolder ? try EngineBackend.loadEmbeddingModel(directory: model.path)
                    : try EngineBackend.loadLanguageModel(path: substitute ?? model.path, contextLength: contextLength)
                loaded.append((entry, engine))
            }
            return try EngineBackend(loaded)
        case .openAI(let url, let contextLength):
            let routes = zip(config.models, served).map { model, entry in
                var entry = entry
                entry.contextLength = contextLength
                return OpenAIProxyBackend.Route(served: entry, upstreamName: model.name)
            }
            return try OpenAIProxyBackend(url: url, routes: routes, http: http)
        }
    }

    /// Runs the HTTP server, the chain follower and the claimer until shutdown.
    func serve(backend: any InferenceBackend, chain: any MarketChain) async throws {
        let store = try VoucherStore(path: VoucherStore.path(home: config.home))
        let desk = try PaymentDesk(store: store, chain: chain, key: key, logger: logger)
        let server = ProviderServer(backend: backend, desk: desk, logger: logger)
        let address = key.publicKey.address
        let models = backend.models
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
