import ArgumentParser
import CairnNode
import CairnP2P
import CairnChain
import CairnApp
import CairnExplorer
import CairnLedger
import CairnBank
import CairnClient
import CairnPrimitives
import CairnStorage
import Logging
import ServiceLifecycle
import Foundation

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node", abstract: "Run a validator node.",
                                                    subcommands: [Init.self, Start.self, Verify.self, Migrate.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a node home: a new one-validator chain, or (--genesis, --peers) a node joining a network.",
            discussion: """
                With --chain-id: a new chain whose only validator is this node. With --genesis FILE --peers id@host:port,...: \
                a node that joins the network of that genesis, dials those peers and follows the chain. It gets a consensus \
                key, also in its test keyring as `validator`: fund that address, then `cairn tx staking create-validator \
                --home DIR --from validator ...` makes the node a validator two blocks after the bond.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Chain id of a new chain.") var chainId: String?
        @Option(help: "Genesis file of the network to join.") var genesis: String?
        @Option(help: "Peers to dial, id@host:port separated by commas.") var peers: String?
        @Option(help: "Port of the HTTP API.") var rpcPort: Int = 26657
        @Option(help: "Address the HTTP API binds.") var rpcHost: String = "127.0.0.1"
        @Option(help: "Port it listens on for peers (a joining node; default 26656).") var p2pPort: Int?
        @Option(help: "Address it listens on for peers.") var p2pHost: String = "127.0.0.1"
        @Option(help: "Milliseconds between blocks.") var blockTime: Int = 1000
        @Option(help: "Tokens the validator's account starts with.") var validatorFunds: String = "1000000cairn"
        @Option(help: "Part of those the validator bonds as its self-bond.") var validatorBond: String = "100000cairn"

        func run() async throws {
            try await reportingFailure {
                let home = NodeHome(path: global.home)
                guard !home.isInitialized else { throw CLIError("\(home.root.path) already holds a node") }
                if let genesis { return try join(home: home, genesisFile: genesis) }
                guard peers == nil else { throw CLIError("--peers needs --genesis: a new chain has no peers") }
                guard let chainId else { throw CLIError("name --chain-id for a new chain, or --genesis and --peers to join one") }
                let funds = try Coin(parsing: validatorFunds)
                let bond = try Coin(parsing: validatorBond)
                guard funds.denom == Denom.native, bond.denom == Denom.native else { throw CLIError("funds and bond must be in cairn or ucairn") }
                guard bond.amount <= funds.amount else { throw CLIError("--validator-bond \(validatorBond) is more than --validator-funds \(validatorFunds)") }
                var config = NodeHome.Config(rpcPort: rpcPort, blockIntervalMilliseconds: blockTime)
                config.rpcHost = rpcHost
                try home.initialize(chainID: chainId, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000), config: config) { validator in
                    try LedgerWiring.genesisModules(validator: validator, balances: [.init(address: validator.address, coins: [funds])],
                                                    validatorBond: bond.amount)
                }
                print("initialized \(home.root.path) for chain '\(chainId)'\nstart it with: cairn node start --home \(global.home)")
            }
        }

        /// A home that joins the network of `genesisFile`: the genesis, a consensus key not bonded yet, a node key, and a
        /// config that dials the peers.
        func join(home: NodeHome, genesisFile: String) throws {
            guard chainId == nil else { throw CLIError("--chain-id and --genesis exclude each other: the genesis names the chain") }
            let genesis: Genesis
            do { genesis = try JSONDecoder().decode(Genesis.self, from: Data(contentsOf: URL(fileURLWithPath: genesisFile))) } catch {
                throw CLIError("cannot read the genesis file \(genesisFile): \(error)")
            }
            let addresses = try (peers ?? "").split(separator: ",").map { entry in
                do { return try PeerAddress(parsing: String(entry.trimmingCharacters(in: .whitespaces))) } catch {
                    throw CLIError("--peers: '\(entry)': \(error)")
                }
            }
            guard !addresses.isEmpty else { throw CLIError("--peers: name at least one peer (id@host:port) to join through") }
            let port = p2pPort ?? 26656
            guard (1...65_535).contains(port), (1...65_535).contains(rpcPort) else { throw CLIError("ports must be between 1 and 65535") }
            var config = NodeHome.Config(rpcPort: rpcPort, blockIntervalMilliseconds: blockTime, p2pHost: p2pHost, p2pPort: port,
                                         persistentPeers: addresses.map(\.description))
            config.rpcHost = rpcHost
            let key = PrivateKey()
            try home.initialize(genesis: genesis, validatorKey: key, config: config)
            _ = try Keyring(home: home.root.path).add("validator", key: key, backend: .test)
            let nodeKey = NodeKey()
            try nodeKey.save(path: home.nodeKeyFile.path)
            print("""
                initialized \(home.root.path) to join chain '\(genesis.chainID)' through \(addresses.count) peer(s)
                node id \(nodeKey.id), p2p \(p2pHost):\(port), API http://\(rpcHost):\(rpcPort)
                consensus key \(key.publicKey.address) (keyring name `validator`, not bonded: the node follows the chain)
                start it with: cairn node start --home \(global.home)
                """)
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the node; it resumes from its last committed block.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Port of the HTTP API (overrides the config).") var rpcPort: Int?
        @Option(help: "Milliseconds between blocks (overrides the config).") var blockTime: Int?
        @Option(help: ArgumentHelp("Seconds between probes of each active provider's endpoint, for the explorer's uptime; 0 turns probing off (overrides the config, default \(NodeHome.Config.defaultProbeIntervalSeconds)).",
                                   valueName: "seconds"))
        var probeInterval: Int?

        func run() async throws {
            try await reportingFailure {
                let home = NodeHome(path: global.home)
                guard home.isInitialized else { throw CLIError("\(home.root.path) has no node: run `cairn node init --home \(global.home) --chain-id ID` first") }
                var config = try home.loadConfig()
                if let rpcPort { config.rpcPort = rpcPort }
                if let blockTime { config.blockIntervalMilliseconds = blockTime }
                if let probeInterval { config.probeIntervalSeconds = try checkProbeInterval(probeInterval) }
                try await runNode(home: home, config: config, banner: nil)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-execute every stored block from genesis and check each state root (node must be stopped or not writing).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingFailure {
                let runner = NodeRunner(home: NodeHome(path: global.home), logger: cairnLogger("cairn.node"))
                let source = try runner.chain(on: try runner.openStore())
                let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-verify-\(UUID().uuidString).sqlite")
                defer { try? FileManager.default.removeItem(at: tmp) }
                if try source.hasLegacyHeaders() {
                    throw CLIError("the store was written by an earlier version (before BFT consensus) and cannot be replayed by this "
                                   + "one: migrate it first with `cairn node migrate --home \(global.home)`")
                }
                let target = try runner.chain(on: try SQLiteStore(path: tmp.path))
                let n = try source.replay(into: target)
                let head = try source.head()
                if global.json { try printJSON(["blocks": "\(n)", "stateRoot": head.stateRoot.hex]) } else {
                    print("replayed \(n) blocks from genesis: every state root, receipt and the head root \(head.stateRoot) match")
                }
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Migrate a store an earlier version wrote: re-execute every block under this version's encoding and sign it again (node must be stopped).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingFailure {
                let home = NodeHome(path: global.home)
                guard home.isInitialized else { throw CLIError("\(home.root.path) has no node") }
                let runner = NodeRunner(home: home, logger: cairnLogger("cairn.node"))
                guard let done = try await runner.migrateStore() else {
                    if global.json { try printJSON(["migrated": "0"]) } else { print("the store at \(home.databasePath) needs no migration") }
                    return
                }
                if global.json {
                    try printJSON(["migrated": "\(done.blocks)", "stateRoot": done.newStateRoot.hex, "previousStateRoot": done.oldStateRoot.hex,
                                   "backup": done.backup])
                } else {
                    print("""
                        migrated \(done.blocks) blocks: every block re-executed with the same transactions, receipts unchanged, and signed again
                        state root at the head: \(done.newStateRoot) (was \(done.oldStateRoot))
                        the store as it was is kept at \(done.backup)
                        """)
                }
            }
        }
    }
}

/// Runs a node from `home` until Ctrl-C, printing `banner` once the API listens: the chain node with its API, the
/// explorer beside it (its index kept behind the head), the provider prober when `config` asks for one, and `services`.
func runNode(home: NodeHome, config: NodeHome.Config, banner: String?, services: [any Service] = []) async throws {
    let logger = cairnLogger("cairn.node")
    let runner = NodeRunner(home: home, logger: logger)
    let store = try runner.openStore()
    let node = try runner.open(store: store)
    let explorer = Explorer.started(chain: node.chain, store: store)
    var own = services
    if config.probeIntervalSeconds > 0 {
        own.append(ProviderProbe(chain: node.chain, store: store, settings: .init(interval: .seconds(config.probeIntervalSeconds)),
                                 logger: logger))
    }
    try await runner.run(node, config: config, sites: [explorer], services: own) { node in
        let head = await node.head
        print("node for chain '\(node.chainID)' at height \(head.height), API on http://\(config.rpcHost):\(config.rpcPort)")
        if let banner { print(banner) }
        // nil flushes every output stream; naming the global `stdout` is not concurrency-safe in Swift 6.
        fflush(nil)
    }
}
