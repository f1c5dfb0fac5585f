import ArgumentParser
import CairnPrimitives
import CairnGateway
import CairnVerifier
import CairnClient
import Logging
import ServiceLifecycle
import UnixSignals
import Foundation

/// `cairn gateway ...`: serve the OpenAI API in front of the market's providers.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "Serve the OpenAI API, paying the market's providers per token.", subcommands: [Start.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the OpenAI API until Ctrl-C: choose a provider per request, pay it through payment channels, fail over.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Key (in HOME/keys) that pays for the channels and signs their vouchers.") var key: String
        @Option(help: "Address the HTTP server listens on, HOST:PORT (loopback only without API keys).") var listen = "127.0.0.1:8080"
        @Option(help: "An API key clients must give as 'Authorization: Bearer KEY', SECRET or NAME:SECRET (repeatable).") var apiKey: [String] = []
        @Option(help: "A file of API keys, one NAME:SECRET per line.") var keysFile: String?
        @Option(help: "The most escrowed at once in open channels, e.g. 100cairn.") var spendLimit = "100cairn"
        @Option(help: "Deposit of a new channel and of a top-up, e.g. 5cairn.") var channelDeposit = "5cairn"
        @Option(help: "Channels per provider (concurrent requests to one provider); more, up to 64, to a provider that says it runs more requests at once (X-Cairn-Capacity).") var channelsPerProvider = 4
        @Option(help: "Seconds to connect to a provider.") var connectTimeout: Double = 2
        @Option(help: "Seconds to a provider's first byte, and between two reads of a stream.") var firstTokenTimeout: Double = 60
        @Option(help: "Seconds for a whole request.") var totalTimeout: Double = 300
        @Option(help: "Providers tried per request before giving up.") var attempts = 3
        @Option(help: "Seconds between two reads of the providers from the chain.") var refresh: Double = 5
        @Option(help: "Seconds a channel is idle before its last voucher is handed to its provider.") var settleAfter: Double = 2
        @Option(help: "Seconds a channel is idle before it is closed.") var closeAfter: Double = 3600
        @Option(help: "Share of the jobs to check (0 to 1), drawn after each receipt; a job that fails is challenged on the chain.")
        var auditRate: Double = 0
        @Option(help: "Bond of each challenge an audit raises, e.g. 10cairn (paid by --key).") var auditBond = "10cairn"
        @Option(help: "Folder holding the models the audits check with (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?

        func run() async throws {
            try await reportingFailure {
                let signer = try signingKey(key, home: global.home)
                let logger = cairnLogger("cairn.gateway")
                var audited = try gatewayConfig()
                guard (0...1).contains(auditRate) else { throw CLIError("--audit-rate must be between 0 and 1") }
                // One sender for the key: the channels' transactions and the audits' challenges take its nonces in turn.
                let sender = TransactionSender(node: try NodeClient(url: global.node), key: signer)
                if auditRate > 0 {
                    audited.auditor = GatewayAuditor(rate: auditRate, sender: sender, bond: try nativeAmount(auditBond),
                                                     modelsDirectory: modelsDir) { line in
                        logger.notice("\(line)")
                    }
                }
                let config = audited
                let gateway = Gateway(config: config, key: signer, sender: sender, logger: logger) { ready in
                    print("gateway \(ready.address) serving the OpenAI API on http://\(config.listenHost):\(ready.port)/v1 "
                          + "(\(ready.providers) providers)")
                    fflush(nil)
                }
                let group = ServiceGroup(configuration: .init(services: [gateway], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
        }

        func gatewayConfig() throws -> GatewayConfig {
            let (host, port) = try parseListen(listen)
            func seconds(_ s: Double, _ name: String) throws -> Duration {
                guard s > 0, s < 1e7 else { throw CLIError("\(name) must be a positive number of seconds") }
                return .milliseconds(Int64(s * 1000))
            }
            let policy = ChannelDesk.Policy(spendLimit: try nativeAmount(spendLimit), deposit: try nativeAmount(channelDeposit),
                                            channelsPerProvider: channelsPerProvider, settleAfter: try seconds(settleAfter, "--settle-after"),
                                            closeAfter: try seconds(closeAfter, "--close-after"))
            guard (1...16).contains(attempts) else { throw CLIError("--attempts must be between 1 and 16") }
            let timeouts = GatewayServer.Timeouts(connect: try seconds(connectTimeout, "--connect-timeout"),
                                                  firstToken: try seconds(firstTokenTimeout, "--first-token-timeout"),
                                                  total: try seconds(totalTimeout, "--total-timeout"), attempts: attempts)
            let config = GatewayConfig(home: global.home, nodeURL: global.node, listenHost: host, listenPort: port,
                                       keys: try APIKeys.parse(arguments: apiKey, file: keysFile), channels: policy, timeouts: timeouts,
                                       refreshInterval: try seconds(refresh, "--refresh"))
            try config.validate()
            return config
        }
    }
}
