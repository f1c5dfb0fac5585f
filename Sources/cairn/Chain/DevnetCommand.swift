import ArgumentParser
import CairnNode
import CairnP2P
import CairnApp
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnMarket
import CairnModels
import CairnVerification
import CairnProvider
import CairnGateway
import CairnInference
import Logging
import ServiceLifecycle
import CairnClient
import CairnPrimitives
import Foundation

struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet", abstract: "Run a local network with funded dev accounts, providers and a gateway: one validator, or --validators N.",
        discussion: """
            With --validators N above 1 the devnet's home is validator 0 and validators 1 to N-1 get homes under \
            HOME/validators; this process starts each as a `cairn node start` child (API on RPC-PORT+i, peers on \
            P2P-PORT+i, log in its home's node.log), starts it again if it exits, and stops them all with itself.
            """)

    @Option(help: "Home folder of the devnet.") var home: String = "./.cairn-devnet"
    @Option(help: "Port of the node's HTTP API.") var rpcPort: Int = 26657
    @Option(help: "Validators of a new devnet, each its own process (default 1; a resumed devnet keeps its own).") var validators: Int?
    @Option(help: "P2P port of validator 0 when there are several; validator i listens on this plus i.") var p2pPort: Int = 27656
    @Option(help: "Milliseconds between blocks.") var blockTime: Int = 1000
    @Option(help: "Number of funded dev accounts (keys dev0, dev1, ...), each with 1,000,000 cairn and 1,000,000 usdc (uusdc).") var accounts: Int = 4
    @Option(help: "Chain id of a new devnet.") var chainId: String = "cairn-devnet"
    @Option(help: "Blocks a governance proposal's voting period lasts on a new devnet (half a minute at the default block time).")
    var votingPeriod: UInt64 = DevnetCommand.govParams.votingPeriodBlocks
    @Flag(help: "Delete the home folder first and start a new chain.") var reset = false
    @Option(help: "Providers serving SmolLM2 and MiniLM in this process (keys provider0, ...), 0 for none.") var providers: Int = 2
    @Option(help: "Port of the first provider's OpenAI API; the next ones follow.") var providerPort: Int = 8401
    @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?
    @Option(help: "Port of the gateway's OpenAI API (on 127.0.0.1).") var gatewayPort: Int = 8080
    @Flag(help: "Run no gateway.") var noGateway = false
    @Option(help: ArgumentHelp("Seconds between the node's probes of each provider's endpoint (the explorer's uptime); 0 turns probing off.",
                               valueName: "seconds"))
    var probeInterval: Int = 5

    /// Short periods, so that unbonding can be watched to the end on a devnet: a minute at the default block time.
    static var stakingParams: StakingParams {
        var p = StakingParams.default
        p.unbondingBlocks = 60
        p.downtimeJailBlocks = 60
        return p
    }

    /// Deposit and voting periods of a minute and half a minute at the default block time.
    static var govParams: GovParams {
        var p = GovParams.default
        p.depositPeriodBlocks = 60
        p.votingPeriodBlocks = 30
        return p
    }

    /// A stand-in for a bridged dollar token (6 decimals), 1,000,000 of it in each dev account, so the exchange has a pair to trade.
    static let usdc = "uusdc"

    /// Closing channels settle once the verification module's longest challenge (a pooled one, 120 blocks: two minutes at
    /// the default block time) has had its time.
    static var marketParams: MarketParams {
        var p = MarketParams.default
        p.settleDelayBlocks = verificationParams.challengeWindowBlocks
        return p
    }

    /// A pooled challenge's committee has 100 blocks to commit: each member re-runs the check on the window's 20 jobs, and
    /// the devnet's verifiers share a small machine with everything else (three debug-built agents on two cores took 17 s
    /// alone and 40 to over 60 s beside the whole test suite); revealing starts as soon as all have committed. Its
    /// challenger has 10 blocks to give the window (by hand with the CLI, if it likes).
    static var verificationParams: VerificationParams {
        var p = VerificationParams.default
        p.pooledCommitBlocks = 100
        p.evidenceBlocks = 10
        return p
    }

    func run() async throws {
        try await reportingFailure {
            let nodeHome = NodeHome(path: home)
            if reset { try? FileManager.default.removeItem(at: nodeHome.root) }
            let probeInterval = try checkProbeInterval(probeInterval)
            var config = NodeHome.Config(rpcPort: rpcPort, blockIntervalMilliseconds: blockTime, probeIntervalSeconds: probeInterval)
            let extra = DevnetValidators(home: home)
            if !nodeHome.isInitialized {
                guard (1...100).contains(accounts) else { throw CLIError("--accounts must be between 1 and 100") }
                guard (0...8).contains(providers) else { throw CLIError("--providers must be between 0 and 8") }
                var gov = DevnetCommand.govParams
                gov.votingPeriodBlocks = votingPeriod
                do { try gov.validate() } catch { throw CLIError("--voting-period: \(error)") }
                // The models are checked before anything is written, so a missing model leaves no half-made devnet.
                let genesisModels = providers > 0 ? try DevnetCommand.genesisModels(locator: ModelLocator(directory: modelsDir)) : []
                let keyring = Keyring(home: home)
                var funded = [BankGenesis.Balance]()
                var owner: Address?
                for name in (0..<accounts).map({ "dev\($0)" }) + (0..<providers).map({ "provider\($0)" }) {
                    let info = try keyring.add(name, backend: .test)
                    owner = owner ?? info.address
                    // Dev accounts also hold a second token to pool against CAIRN on the exchange.
                    let usdc = name.hasPrefix("dev") ? [Coin(denom: DevnetCommand.usdc, amount: 1_000_000_000_000)] : []
                    funded.append(.init(address: info.address, coins: [Coin(denom: Denom.native, amount: 1_000_000_000_000)] + usdc))
                }
                let models = genesisModels.map { ModelsGenesis.Model(owner: owner!, spec: $0) }
                let count = validators ?? 1
                guard (1...16).contains(count) else { throw CLIError("--validators must be between 1 and 16") }
                guard count == 1 || (p2pPort >= 1 && p2pPort + count <= 65_535 && rpcPort + count <= 65_535) else {
                    throw CLIError("--p2p-port \(p2pPort) and --rpc-port \(rpcPort) leave no room for \(count) validators")
                }
                let keys = (0..<count).map { _ in PrivateKey() }
                let nodeKeys = (0..<count).map { _ in NodeKey() }
                let bonded = keys.enumerated().map { (moniker: count == 1 ? "validator" : "validator\($0.offset)", key: $0.element.publicKey,
                                                      bond: Amount(100_000_000_000)) }
                let validatorFunds = keys.map { BankGenesis.Balance(address: $0.publicKey.address, coins: [Coin(denom: Denom.native, amount: 1_000_000_000_000)]) }
                var modules = try LedgerWiring.genesisModules(validators: bonded, balances: funded + validatorFunds, staking: DevnetCommand.stakingParams,
                                                              gov: gov, market: DevnetCommand.marketParams,
                                                              verification: DevnetCommand.verificationParams)
                modules[ModelsKeys.module] = try JSONValue(encoding: ModelsGenesis(params: .default, models: models))
                let genesis = Genesis(chainID: chainId, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000), params: .default,
                                      validators: bonded.map { GenesisValidator(name: $0.moniker, publicKey: $0.key) }, modules: modules)
                let peering = DevnetValidators.peering(0, count: count, nodeKeys: nodeKeys, p2pBase: p2pPort)
                config.p2pPort = peering.port
                config.persistentPeers = peering.peers
                try nodeHome.initialize(genesis: genesis, validatorKey: keys[0], config: config)
                if count > 1 {
                    try nodeKeys[0].save(path: nodeHome.nodeKeyFile.path)
                    try extra.initialize(genesis: genesis, keys: keys, nodeKeys: nodeKeys, rpcPort: rpcPort, p2pBase: p2pPort, blockTime: blockTime)
                }
            } else {
                // A devnet holds its validator key: a store an earlier version wrote is migrated on the spot.
                if let done = try await NodeRunner(home: nodeHome, logger: cairnLogger("cairn.node")).migrateStore() {
                    print("migrated the devnet's store from an earlier version: \(done.blocks) blocks re-executed and signed again "
                          + "(the old store is kept at \(done.backup))")
                }
                let existing = 1 + extra.extraCount
                if let validators, validators != existing {
                    throw CLIError("this devnet has \(existing) validator(s), not \(validators): run with --reset for a new one")
                }
                config = try nodeHome.loadConfig()
                config.rpcPort = rpcPort
                config.blockIntervalMilliseconds = blockTime
                config.probeIntervalSeconds = probeInterval
                try extra.update(rpcPort: rpcPort, blockTime: blockTime)
            }
            let keys = (try? Keyring(home: home).list()) ?? []
            let url = "http://127.0.0.1:\(config.rpcPort)"
            let agents = try providerAgents(keys: keys.map(\.name).filter { $0.hasPrefix("provider") }, nodeURL: url)
            var banner = "devnet home: \(nodeHome.root.path)\n"
            banner += "explorer: \(url)/explorer   node API: \(url)/v1/status\n"
            let extraCount = extra.extraCount
            if extraCount > 0 {
                banner += "\(extraCount + 1) validators: this process is validator 0; validators 1 to \(extraCount) run as child processes "
                    + "(APIs on ports \(config.rpcPort + 1) to \(config.rpcPort + extraCount), logs in \(extra.folder.path)/nodeI/node.log)\n"
            }
            banner += "blocks every \(config.blockIntervalMilliseconds) ms; dev accounts (test keyring in \(home)/keys):\n"
            for k in keys where !k.name.hasPrefix("provider") { banner += "  \(k.name)  \(k.address)\n" }
            if !agents.isEmpty {
                banner += "providers (SmolLM2 and MiniLM, registered at genesis with a 10% royalty to dev0), listing themselves on the chain:\n"
                for (i, a) in agents.enumerated() { banner += "  provider\(i)  http://127.0.0.1:\(a.port)/v1  \(a.address)\n" }
            }
            let gateway = try gatewayService(keys: keys.map(\.name), nodeURL: url)
            if gateway != nil {
                let g = "http://127.0.0.1:\(gatewayPort)"
                banner += """
                gateway (OpenAI API, pays the providers per token from dev1): \(g)/v1
                  usage \(g)/v1/cairn/usage   providers \(g)/v1/cairn/providers   metrics \(g)/metrics
                  curl \(g)/v1/chat/completions -H 'Content-Type: application/json' \\
                    -d '{"model": "smollm2", "messages": [{"role": "user", "content": "What is a cairn?"}], "max_tokens": 48}'
                  python3 -c 'from openai import OpenAI; c = OpenAI(base_url="\(g)/v1", api_key="devnet"); \\
                    print(c.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "Hi!"}]).choices[0].message.content)'

                """
            }
            let first = keys.first.map(\.name) ?? "dev0"
            let second = keys.dropFirst().first?.address.bech32 ?? "ADDRESS"
            let validator = (try? nodeHome.loadGenesis().validators.first?.key?.address.bech32) ?? nil
            let cairn = CommandLine.arguments.first ?? "cairn"
            banner += """
            try:
              \(cairn) tx send --home \(home) --node \(url) --from \(first) --to \(second) --amount 12.5cairn
              \(cairn) query account --home \(home) --node \(url) \(second) --prove
              \(cairn) tx staking delegate --home \(home) --node \(url) --from \(first) --operator \(validator ?? "VALIDATOR") --amount 1000cairn
              \(cairn) query staking operators --node \(url)
              \(cairn) query decentralization --node \(url)
              \(cairn) query market providers --node \(url)
              \(cairn) query models --node \(url)
              curl \(url)/v1/status
              curl -N \(url)/v1/events
            stop with Ctrl-C; `cairn devnet` again resumes the same chain (--reset starts a new one)
            """
            let children: [any Service] = extraCount > 0 ? [DevnetValidatorProcesses(validators: extra, logger: cairnLogger("cairn.devnet"))] : []
            try await runNode(home: nodeHome, config: config, banner: banner,
                              services: children + agents.map(\.agent) + (gateway.map { [$0] } ?? []))
        }
    }

    /// SmolLM2 and MiniLM as the devnet registers them at genesis: their weights hashed, a 10% royalty.
    static func genesisModels(locator: ModelLocator) throws -> [ModelSpec] {
        var specs: [ModelSpec] = []
        for (name, format, architecture) in [("smollm2", ModelFormat.gguf, "llama"), ("minilm", ModelFormat.safetensors, "bert")] {
            let file = WeightsHasher.weightsFile(at: try locator.path(for: name))
            specs.append(ModelSpec(name: name, weightsHash: try WeightsHasher.hash(file: file), format: format,
                                   architecture: architecture, licence: "Apache-2.0", royaltyBps: 1_000))
        }
        return specs
    }

    /// The gateway, paying from dev1 (dev0 owns the models), or nil with `--no-gateway`.
    func gatewayService(keys: [String], nodeURL: String) throws -> Gateway? {
        guard !noGateway else { return nil }
        guard let name = keys.first(where: { $0 == "dev1" }) ?? keys.first(where: { $0.hasPrefix("dev") }) else {
            print("note: this devnet has no dev account to fund a gateway")
            return nil
        }
        let logger = cairnLogger("cairn.gateway")
        let policy = ChannelDesk.Policy(spendLimit: 1_000_000_000, deposit: 10_000_000, channelsPerProvider: 8, settleAfter: .seconds(2),
                                        closeAfter: .seconds(3600))
        let config = GatewayConfig(home: home, nodeURL: nodeURL, listenHost: "127.0.0.1", listenPort: gatewayPort, keys: .open,
                                   channels: policy, refreshInterval: .seconds(2))
        try config.validate()
        return Gateway(config: config, key: try signingKey(name, home: home), logger: logger) { ready in
            print("gateway \(ready.address) (\(name)) serving the OpenAI API on http://127.0.0.1:\(ready.port)/v1")
            fflush(nil)
        }
    }

    /// One provider agent per `provider...` key, each with its own home under the devnet's, port and (rising) prices.
    func providerAgents(keys: [String], nodeURL: String) throws -> [(agent: ProviderAgent, port: Int, address: Address)] {
        guard providers > 0 else { return [] }
        let locator = ModelLocator(directory: modelsDir)
        let logger = cairnLogger("cairn.provider")
        var agents: [(agent: ProviderAgent, port: Int, address: Address)] = []
        for (i, name) in keys.sorted().prefix(providers).enumerated() {
            let key = try signingKey(name, home: home)
            let percent = UInt128(100 + 10 * i)
            func price(_ base: Amount) -> Amount { Amount(base.value * percent / 100) }
            let models = [
                ProviderConfig.Model(name: "smollm2", path: try locator.path(for: "smollm2"), promptPerMillion: price(200_000),
                                     completionPerMillion: price(400_000), embeddingPerMillion: 0),
                ProviderConfig.Model(name: "minilm", path: try locator.path(for: "minilm"), promptPerMillion: 0, completionPerMillion: 0,
                                     embeddingPerMillion: price(20_000)),
            ]
            let port = providerPort + i
            let config = ProviderConfig(
                home: URL(fileURLWithPath: home).appendingPathComponent("providers").appendingPathComponent(name).path,
                nodeURL: nodeURL, listenHost: "127.0.0.1", listenPort: port, models: models, backend: .engine(contextLength: nil),
                selfBond: 1_000_000_000, moniker: name, claimPolicy: ClaimPolicy(threshold: 1_000_000, intervalMilliseconds: 10_000))
            agents.append((ProviderAgent(config: config, key: key, logger: logger) { ready in
                print("provider \(name) \(ready.address) serving \(ready.models.map(\.name).joined(separator: ", ")) on http://127.0.0.1:\(ready.port)/v1")
                fflush(nil)
            }, port, key.publicKey.address))
        }
        if agents.count < providers {
            print("note: this devnet was made with \(agents.count) provider keys; `--reset` makes a new one with \(providers)")
        }
        return agents
    }
}
