public import CairnPrimitives
public import CairnLedger
import CairnBank
import CairnConsensus
import CairnStorage
import Hummingbird
public import Logging
public import ServiceLifecycle
import UnixSignals
import Foundation

/// Opens a node from its home folder and runs its services (HTTP API, block production, provider probes) until
/// SIGINT or SIGTERM.
public struct NodeRunner: Sendable {
    public let home: NodeHome
    public let logger: Logger

    public init(home: NodeHome, logger: Logger) {
        self.home = home
        self.logger = logger
    }

    /// The ledger with every module registered (see `LedgerWiring`).
    public static func makeLedger() -> Ledger { LedgerWiring.makeLedger() }

    /// Opens the store and the chain, checking the stored head against the genesis and header.
    public func open() throws -> Node {
        let genesis = try home.loadGenesis()
        guard let validator = genesis.validators.first?.key, genesis.validators.count == 1 else {
            throw NodeHomeError("the Solo engine needs exactly one genesis validator with a valid key")
        }
        let store = try SQLiteStore(path: home.databasePath)
        let chain = Chain(store: store, ledger: NodeRunner.makeLedger(), genesis: genesis)
        let engine = try SoloEngine(validator: validator, key: try home.loadValidatorKey())
        return try Node(chain: chain, engine: engine)
    }

    /// Runs the node, and `services` beside it in the same service group (they start with it and stop with it);
    /// `onReady` gets the node once the HTTP server listens. With a positive `config.probeIntervalSeconds` the node
    /// also probes the active providers' endpoints (`ProviderProbe`).
    public func run(config: NodeHome.Config, services: [any Service] = [],
                    onReady: @escaping @Sendable (Node) async -> Void = { _ in }) async throws {
        let node = try open()
        let api = NodeAPI(node: node, bank: BankModule())
        let producer = BlockProducer(node: node, interval: .milliseconds(config.blockIntervalMilliseconds), logger: logger)
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(config.rpcHost, port: config.rpcPort), serverName: "cairn"),
            onServerRunning: { _ in await onReady(node) },
            logger: logger
        )
        var own: [any Service] = [app, producer]
        if config.probeIntervalSeconds > 0 {
            own.append(ProviderProbe(chain: node.chain, settings: .init(interval: .seconds(config.probeIntervalSeconds)), logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: own + services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}
