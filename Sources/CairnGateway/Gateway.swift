public import CairnPrimitives
public import CairnClient
public import Logging
public import ServiceLifecycle
import AsyncHTTPClient
import CairnLedger
import CairnWire
import Hummingbird
import NIOCore
import Foundation

/// What `cairn gateway start` runs: the OpenAI API in front of the market's providers, paying them through the
/// gateway key's payment channels.
public struct GatewayConfig: Sendable {
    /// Holds `gateway/wallet.json` (the channels) and `gateway/usage.sqlite` (usage per API key).
    public var home: String
    public var nodeURL: String
    public var listenHost: String
    public var listenPort: Int
    public var keys: APIKeys
    public var channels: ChannelDesk.Policy
    public var timeouts: GatewayServer.Timeouts
    /// How often the providers are re-read from the chain.
    public var refreshInterval: Duration
    /// Checks a share of the jobs and challenges failures (nil: no audits).
    public var auditor: (any JobAuditor)?

    public init(home: String, nodeURL: String, listenHost: String, listenPort: Int, keys: APIKeys, channels: ChannelDesk.Policy,
                timeouts: GatewayServer.Timeouts = .init(), refreshInterval: Duration = .seconds(5)) {
        self.home = home
        self.nodeURL = nodeURL
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.keys = keys
        self.channels = channels
        self.timeouts = timeouts
        self.refreshInterval = refreshInterval
    }

    /// Refuses a configuration that would serve strangers for free: without API keys only loopback addresses.
    public func validate() throws(GatewayError) {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(listenHost) || listenHost.hasPrefix("127.")
        guard !keys.isEmpty || loopback else {
            throw GatewayError("a gateway without API keys listens on loopback only (127.0.0.1); give --api-key or --keys-file to listen on \(listenHost)")
        }
        guard channels.deposit > .zero, channels.spendLimit >= channels.deposit else {
            throw GatewayError("the channel deposit must be above zero and at most the spending limit")
        }
        guard (1...64).contains(channels.channelsPerProvider) else { throw GatewayError("channels per provider must be between 1 and 64") }
    }

    public var walletPath: String { URL(fileURLWithPath: home).appendingPathComponent("gateway/wallet.json").path }
    public var usagePath: String { URL(fileURLWithPath: home).appendingPathComponent("gateway/usage.sqlite").path }
}

/// The gateway service: waits for the node, recovers its channels, then runs the HTTP server, the provider refresh and
/// the channel upkeep in one service group; on shutdown it finishes the receipts under way.
public struct Gateway: Service {
    public struct Ready: Sendable {
        public var address: Address
        public var port: Int
        public var providers: Int
    }

    let config: GatewayConfig
    let key: PrivateKey
    let sender: TransactionSender?
    let logger: Logger
    let onReady: @Sendable (Ready) async -> Void

    /// - Parameter sender: the sender of `key`'s transactions, where other parts of the process (the auditor) sign with
    ///   `key` too; by default the gateway makes its own.
    public init(config: GatewayConfig, key: PrivateKey, sender: TransactionSender? = nil, logger: Logger,
                onReady: @escaping @Sendable (Ready) async -> Void = { _ in }) {
        precondition(sender.map { $0.address == key.publicKey.address } ?? true, "the sender signs with the gateway's key")
        self.config = config
        self.key = key
        self.sender = sender
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        try config.validate()
        let node = try NodeClient(url: config.nodeURL)
        let status = try await waitForNode(node)
        let metrics = GatewayMetrics()
        let desk = try ChannelDesk(chain: ChannelTransactions(sender: sender ?? TransactionSender(node: node, key: key)), store: WalletStore(path: config.walletPath), key: key,
                                   chainID: status.chainID, policy: config.channels, metrics: metrics)
        try await desk.recover()
        let usage = try UsageStore(path: config.usagePath)
        let directory = ProviderDirectory(node: node)
        try? await directory.refresh()
        var httpConfig = HTTPClient.Configuration()
        httpConfig.timeout = .init(connect: config.timeouts.connect.timeAmount, read: config.timeouts.firstToken.timeAmount)
        httpConfig.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        httpConfig.decompression = .disabled
        let background = BackgroundWork()
        try await HTTPClient.withHTTPClient(configuration: httpConfig) { http in
            var server = GatewayServer(directory: directory, desk: desk, selector: SelectorBox(), usage: usage, metrics: metrics, http: http,
                                       keys: config.keys, timeouts: config.timeouts, logger: logger, background: background)
            server.auditor = config.auditor
            let address = key.publicKey.address
            let app = Application(
                router: server.router(),
                configuration: .init(address: .hostname(config.listenHost, port: config.listenPort), serverName: "cairn-gateway"),
                onServerRunning: { channel in
                    await onReady(Ready(address: address, port: channel.localAddress?.port ?? 0, providers: directory.providers.count))
                },
                logger: logger)
            let upkeep = Upkeep(directory: directory, desk: desk, auditor: config.auditor, refresh: config.refreshInterval, logger: logger)
            let flusher = Flusher(desk: desk)
            let group = ServiceGroup(configuration: .init(services: [app, upkeep, flusher], logger: logger))
            try await group.run()
            await background.drain()
            await desk.flush()
        }
    }

    func waitForNode(_ node: NodeClient) async throws -> StatusView {
        do {
            return try await NodeWait.until(stopped: { Task.isShuttingDownGracefully || Task.isCancelled },
                                            waiting: { logger.notice("waiting for the node", metadata: ["node": "\(config.nodeURL)"]) }) {
                try await node.status()
            }
        } catch {
            throw GatewayError("cannot reach the node at \(config.nodeURL): \(error)")
        }
    }
}

/// Re-reads the providers and looks after idle channels, once a second and at each refresh interval.
struct Upkeep: Service {
    let directory: ProviderDirectory
    let desk: ChannelDesk
    let auditor: (any JobAuditor)?
    let refresh: Duration
    let logger: Logger

    func run() async throws {
        var lastRefresh = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if ContinuousClock.now - lastRefresh >= refresh {
                lastRefresh = .now
                do { try await directory.refresh() } catch {
                    logger.warning("cannot read the providers from the node", metadata: ["error": "\(error)"])
                }
                if let auditor {
                    await auditor.review()
                    directory.setSuspects(await auditor.suspects())
                }
            }
            await desk.upkeep { directory.endpoint(of: $0) }
        }
    }
}

/// Writes the wallet's accepted receipts every 50 ms (when there are any).
struct Flusher: Service {
    let desk: ChannelDesk

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            await desk.flush()
        }
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}
