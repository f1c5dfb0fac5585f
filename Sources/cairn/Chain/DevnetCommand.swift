import ArgumentParser
import CairnNode
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnMarket
import CairnClient
import CairnPrimitives
import Foundation

struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet", abstract: "Run a local single-validator network with funded dev accounts.")

    @Option(help: "Home folder of the devnet.") var home: String = "./.cairn-devnet"
    @Option(help: "Port of the node's HTTP API.") var rpcPort: Int = 26657
    @Option(help: "Milliseconds between blocks.") var blockTime: Int = 1000
    @Option(help: "Number of funded dev accounts (keys dev0, dev1, ...).") var accounts: Int = 4
    @Option(help: "Chain id of a new devnet.") var chainId: String = "cairn-devnet"
    @Flag(help: "Delete the home folder first and start a new chain.") var reset = false

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

    /// Closing channels settle after 20 blocks (20 seconds at the default block time).
    static var marketParams: MarketParams {
        var p = MarketParams.default
        p.settleDelayBlocks = 20
        return p
    }

    func run() async throws {
        try await reportingFailure {
            let nodeHome = NodeHome(path: home)
            if reset { try? FileManager.default.removeItem(at: nodeHome.root) }
            var config = NodeHome.Config(rpcPort: rpcPort, blockIntervalMilliseconds: blockTime)
            if !nodeHome.isInitialized {
                guard (1...100).contains(accounts) else { throw CLIError("--accounts must be between 1 and 100") }
                let keyring = Keyring(home: home)
                var funded = [BankGenesis.Balance]()
                for i in 0..<accounts {
                    let info = try keyring.add("dev\(i)", backend: .test)
                    funded.append(.init(address: info.address, coins: [Coin(denom: Denom.native, amount: 1_000_000_000_000)]))
                }
                try nodeHome.initialize(chainID: chainId, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000), config: config) { v in
                    let validatorFunds = [Coin(denom: Denom.native, amount: 1_000_000_000_000)]
                    return try LedgerWiring.genesisModules(validator: v, balances: funded + [.init(address: v.address, coins: validatorFunds)],
                                                           validatorBond: 100_000_000_000, staking: DevnetCommand.stakingParams,
                                                           gov: DevnetCommand.govParams, market: DevnetCommand.marketParams)
                }
            } else {
                config = try nodeHome.loadConfig()
                config.rpcPort = rpcPort
                config.blockIntervalMilliseconds = blockTime
            }
            let keys = (try? Keyring(home: home).list()) ?? []
            let url = "http://127.0.0.1:\(config.rpcPort)"
            var banner = "devnet home: \(nodeHome.root.path)\n"
            banner += "blocks every \(config.blockIntervalMilliseconds) ms; dev accounts (test keyring in \(home)/keys):\n"
            for k in keys { banner += "  \(k.name)  \(k.address)\n" }
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
              curl \(url)/v1/status
              curl -N \(url)/v1/events
            stop with Ctrl-C; `cairn devnet` again resumes the same chain (--reset starts a new one)
            """
            try await runNode(home: nodeHome, config: config, banner: banner)
        }
    }
}
