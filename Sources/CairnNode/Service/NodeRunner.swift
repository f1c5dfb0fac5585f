public import CairnPrimitives
public import CairnConsensus
public import CairnChain
import CairnApp
public import CairnStorage
import Hummingbird
public import Logging
public import ServiceLifecycle
import UnixSignals
import Foundation

/// Opens a node from its home folder and runs its services (HTTP API with the sites given, block production, and the
/// services given) until SIGINT or SIGTERM.
public struct NodeRunner: Sendable {
    public let home: NodeHome
    public let logger: Logger

    public init(home: NodeHome, logger: Logger) {
        self.home = home
        self.logger = logger
    }

    /// Opens the home's store.
    public func openStore() throws -> SQLiteStore {
        try SQLiteStore(path: home.databasePath)
    }

    /// The Solo engine of the home's genesis validator, able to sign with `key` (nil: it only checks certificates).
    public func engine(key: PrivateKey?) throws -> SoloEngine {
        try SoloEngine(genesis: try home.loadGenesis(), key: key)
    }

    /// The home's chain on `store` (opened neither way): the ledger with every module, the home's genesis, and
    /// certificates checked by `verifier` (the genesis validator's Solo engine when nil).
    public func chain(on store: SQLiteStore, verifier: (any CommitVerifier)? = nil) throws -> Chain {
        Chain(store: store, ledger: LedgerWiring.makeLedger(), genesis: try home.loadGenesis(), verifier: try verifier ?? engine(key: nil))
    }

    /// Opens the chain on `store` (the home's when nil), checking the stored head against the genesis and header.
    ///
    /// - Throws: a `NodeHomeError` naming `cairn node migrate` for a store an earlier version wrote.
    public func open(store: SQLiteStore? = nil) throws -> Node {
        let engine = try engine(key: try home.loadValidatorKey())
        let chain = try chain(on: try store ?? openStore(), verifier: engine)
        do { return try Node(chain: chain, engine: engine) } catch let e as LegacyStoreError {
            throw NodeHomeError("\(home.databasePath): \(e.description). Run `\(migrateCommand)` to migrate it (it re-executes every "
                                + "block and signs it again with the validator key; the old store is kept beside it)")
        }
    }

    /// Runs `node` with its HTTP API (and `sites` beside it) and block production, and `services` in the same service
    /// group (they start with it and stop with it); `onReady` gets the node once the HTTP server listens.
    public func run(_ node: Node, config: NodeHome.Config, sites: [any NodeSite] = [], services: [any Service] = [],
                    onReady: @escaping @Sendable (Node) async -> Void = { _ in }) async throws {
        let api = NodeAPI(node: node, sites: sites)
        let producer = BlockProducer(node: node, interval: .milliseconds(config.blockIntervalMilliseconds), logger: logger)
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(config.rpcHost, port: config.rpcPort), serverName: "cairn"),
            onServerRunning: { _ in await onReady(node) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app, producer] + services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}
