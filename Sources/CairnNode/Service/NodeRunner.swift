public import CairnPrimitives
public import CairnConsensus
import CairnP2P
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

    /// The home's chain on `store` (opened neither way): the ledger with every module and the home's genesis.
    public func chain(on store: SQLiteStore) throws -> Chain {
        Chain(store: store, ledger: LedgerWiring.makeLedger(), genesis: try home.loadGenesis())
    }

    /// The validator's signer: its key, its sign guard (`data/sign-guard`) and its consensus log (`data/consensus.wal`);
    /// nil for a home without a validator key (a node that follows).
    public func signer() throws -> ConsensusDriver.Signer? {
        guard let key = try home.loadValidatorKey() else { return nil }
        let guardFile = try SignGuard(path: home.dataDir.appendingPathComponent("sign-guard").path)
        let wal = try WriteAheadLog(path: home.dataDir.appendingPathComponent("consensus.wal").path)
        if let warning = wal.warning { logger.warning("consensus log: \(warning)") }
        return ConsensusDriver.Signer(key: key, guardFile: guardFile, wal: wal)
    }

    /// Opens the chain on `store` (the home's when nil), checking the stored head against the genesis and header.
    ///
    /// - Throws: a `NodeHomeError` naming `cairn node migrate` for a store an earlier version wrote.
    public func open(store: SQLiteStore? = nil) throws -> Node {
        let chain = try chain(on: try store ?? openStore())
        do { return try Node(chain: chain, clockOffsetMilliseconds: try TestHooks.fromProcess().clockOffsetMilliseconds) } catch let e as LegacyStoreError {
            throw NodeHomeError("\(home.databasePath): \(e.description). Run `\(migrateCommand)` to migrate it (it re-executes every "
                                + "block and signs it again with the validator key; the old store is kept beside it)")
        }
    }

    /// Runs consensus on `node` alone (no HTTP API, no peers) until block `height` is committed, a block every
    /// `blockInterval` milliseconds: for tests and tools that need a chain made by the real engine.
    public func decide(_ node: Node, until height: UInt64, blockInterval: UInt64 = 0) async throws {
        guard await node.head.height < height else { return }
        let driver = ConsensusDriver(chainID: node.chainID, application: node, network: NoPeers(), signer: try signer(),
                                     timeouts: .standard, commitWait: blockInterval, lastHeight: height)
        try await driver.run()
    }

    /// Runs `node` with its HTTP API (and `sites` beside it) and consensus (the Tendermint engine; with the home's
    /// validator key it signs, a new block every `blockIntervalMilliseconds` when it is the only validator), and
    /// `services` in the same service group (they start with it and stop with it); `onReady` gets the node once the HTTP
    /// server listens.
    public func run(_ node: Node, config: NodeHome.Config, sites: [any NodeSite] = [], services: [any Service] = [],
                    onReady: @escaping @Sendable (Node) async -> Void = { _ in }) async throws {
        let hooks = try TestHooks.fromProcess()
        let api = NodeAPI(node: node, sites: sites)
        let reactor = config.p2pPort == nil ? nil : ConsensusReactor(node: node)
        let driver = ConsensusDriver(chainID: node.chainID, application: node, network: reactor ?? NoPeers(), signer: try signer(),
                                     timeouts: .standard, commitWait: UInt64(config.blockIntervalMilliseconds),
                                     testFaults: .init(exitAfterLoggedMessages: hooks.exitAfterLoggedMessages, equivocate: hooks.equivocate))
        var peers: [any Service] = []
        var peerSwitchInUse: PeerSwitch?
        if let reactor, let port = config.p2pPort {
            let key = try NodeKey.loadOrCreate(path: home.nodeKeyFile.path)
            let addresses = try config.persistentPeers.map { entry in
                do { return try PeerAddress(parsing: entry) } catch { throw NodeHomeError("\(home.configFile.path): persistent peer '\(entry)': \(error)") }
            }
            let settings = PeerSwitch.Settings(listenHost: config.p2pHost, listenPort: port, persistentPeers: addresses)
            let peerSwitch = PeerSwitch(nodeKey: key, settings: settings, onConnect: { await reactor.greet($0) }) { await reactor.handle($0, $1) }
            reactor.attach(peerSwitch, driver: driver)
            peerSwitchInUse = peerSwitch
            logger.info("p2p: node id \(key.id), listening on \(config.p2pHost):\(port), \(addresses.count) persistent peers")
            peers.append(P2PService(peerSwitch: peerSwitch, reactor: reactor))
        }
        node.network.attach(peerSwitch: peerSwitchInUse, driver: driver)
        let producer = ConsensusService(driver: driver, node: node, logger: logger)
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(config.rpcHost, port: config.rpcPort), serverName: "cairn"),
            onServerRunning: { _ in await onReady(node) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app, producer] + peers + services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}
