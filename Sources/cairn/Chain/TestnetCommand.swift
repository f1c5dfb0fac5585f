import ArgumentParser
import CairnApp
import CairnBank
import CairnClient
import CairnLedger
import CairnNode
import CairnP2P
import CairnPrimitives
import Foundation

/// `cairn testnet`: the homes of a local network of validators that dial each other.
struct TestnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testnet",
        abstract: "Write the homes of a local network: one per validator and full node, with a shared genesis and each other as peers.",
        discussion: """
            DIR/node0 ... DIR/node(N-1) are the validators: each gets a validator key, bonded in the shared genesis. The \
            full nodes come after them (DIR/nodeN, ...) with no validator key: they follow the chain, serve the API and \
            relay transactions. Every home gets a node key and a config naming all the others as persistent peers; node i \
            serves its API on RPC-PORT-BASE+i and listens for peers on P2P-PORT-BASE+i. Each home's test keyring holds a \
            key named `dev`, funded at genesis. Start each node with `cairn node start --home DIR/nodeI`.
            """)

    @Option(help: "Validators (one home each).") var validators: Int = 4
    @Option(help: "Full nodes (one home each, after the validators).") var fullNodes: Int = 0
    @Option(help: "Folder for the homes; must not exist yet.") var dir: String
    @Option(help: "Chain id.") var chainId: String = "cairn-testnet"
    @Option(help: "API port of node0; node i uses this plus i.") var rpcPortBase: Int = 26657
    @Option(help: "P2P port of node0; node i uses this plus i.") var p2pPortBase: Int = 26656 + 1000
    @Option(help: "Milliseconds between blocks.") var blockTime: Int = 1000

    func run() async throws {
        try await reportingFailure {
            guard (1...64).contains(validators) else { throw CLIError("--validators must be between 1 and 64") }
            guard (0...64).contains(fullNodes) else { throw CLIError("--full-nodes must be between 0 and 64") }
            let nodes = validators + fullNodes
            for base in [rpcPortBase, p2pPortBase] where base < 1 || base + nodes > 65_535 {
                throw CLIError("port base \(base) leaves no room for \(nodes) nodes")
            }
            guard !FileManager.default.fileExists(atPath: dir) else { throw CLIError("\(dir) exists; name a folder that does not") }
            let homes = (0..<nodes).map { NodeHome(path: URL(fileURLWithPath: dir).appendingPathComponent("node\($0)").path) }
            let keys = (0..<validators).map { _ in PrivateKey() }
            let nodeKeys = (0..<nodes).map { _ in NodeKey() }
            let funds = Coin(denom: Denom.native, amount: 1_000_000_000_000)
            var balances = keys.map { BankGenesis.Balance(address: $0.publicKey.address, coins: [funds]) }
            var devs: [Address] = []
            for home in homes {
                let info = try Keyring(home: home.root.path).add("dev", backend: .test)
                devs.append(info.address)
                balances.append(.init(address: info.address, coins: [funds]))
            }
            let bonded = keys.enumerated().map { (moniker: "validator\($0.offset)", key: $0.element.publicKey, bond: Amount(100_000_000_000)) }
            let genesis = Genesis(chainID: chainId, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000), params: .default,
                                  validators: bonded.map { GenesisValidator(name: $0.moniker, publicKey: $0.key) },
                                  modules: try LedgerWiring.genesisModules(validators: bonded, balances: balances))
            let addresses = nodeKeys.enumerated().map { PeerAddress(id: $0.element.id, host: "127.0.0.1", port: p2pPortBase + $0.offset) }
            for (i, home) in homes.enumerated() {
                let config = NodeHome.Config(rpcPort: rpcPortBase + i, blockIntervalMilliseconds: blockTime, p2pPort: p2pPortBase + i,
                                             persistentPeers: addresses.enumerated().filter { $0.offset != i }.map(\.element.description))
                try home.initialize(genesis: genesis, validatorKey: i < validators ? keys[i] : nil, config: config)
                try nodeKeys[i].save(path: home.nodeKeyFile.path)
            }
            print("wrote \(nodes) homes (\(validators) validators, \(fullNodes) full nodes) for chain '\(chainId)' under \(dir):")
            for i in homes.indices {
                let role = i < validators ? "validator \(keys[i].publicKey.address)" : "full node"
                print("  node\(i): API http://127.0.0.1:\(rpcPortBase + i), p2p \(addresses[i]), \(role), key dev \(devs[i])")
            }
            print("start each with: cairn node start --home \(dir)/nodeI")
        }
    }
}
