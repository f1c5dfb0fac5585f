import CairnPrimitives
import CairnMarket
import CairnStorage
import CairnApp
public import CairnChain
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
public import Logging
public import ServiceLifecycle
import Foundation

/// Probes every active provider's endpoint every `interval` and records what it saw in the node's store, for the
/// uptime the explorer shows.
///
/// A probe is `GET {endpoint}/v1/models` on a fresh connection; it succeeds when the answer is HTTP 200 and arrives
/// whole within `timeout`. The providers are probed concurrently, at most `concurrency` at a time, off the actor that
/// produces blocks; each round's samples are written in one short transaction on the store's writer (awaited, not
/// blocking a thread). A slow or dead provider costs only its own probe's timeout.
public struct ProviderProbe: Service {
    /// How often and how patiently to probe.
    public struct Settings: Sendable, Equatable {
        /// Time between the starts of two rounds (a round that runs longer is followed at once by the next).
        public var interval: Duration
        /// How long one probe may take, connection included.
        public var timeout: Duration
        /// Most probes in flight at once.
        public var concurrency: Int

        public init(interval: Duration = .seconds(30), timeout: Duration = .seconds(3), concurrency: Int = 16) {
            self.interval = interval
            self.timeout = timeout
            self.concurrency = max(1, concurrency)
        }
    }

    /// The path probed under each provider's endpoint.
    public static let path = "/v1/models"
    /// The most of an answer read; a longer one is a failed probe.
    static let maxBodyBytes = 1 << 20

    let chain: any ChainReader
    let store: any ExplorerStore
    let settings: Settings
    let logger: Logger
    /// Wall-clock time, Unix milliseconds: when each sample was taken.
    let now: @Sendable () -> UInt64

    /// A probe of the providers registered on `chain`, recording into `store`.
    /// - Parameter now: the wall clock in Unix milliseconds (nil: the system's).
    public init(chain: any ChainReader, store: any ExplorerStore, settings: Settings = Settings(), logger: Logger,
                now: (@Sendable () -> UInt64)? = nil) {
        self.chain = chain
        self.store = store
        self.settings = settings
        self.logger = logger
        self.now = now ?? { UInt64(Date().timeIntervalSince1970 * 1000) }
    }

    /// Probes at once and then every `interval` until cancelled or the service group shuts down.
    public func run() async throws {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: settings.timeout.timeAmount, read: settings.timeout.timeAmount)
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        try await HTTPClient.withHTTPClient(configuration: config) { http in
            await cancelWhenGracefulShutdown {
                let clock = ContinuousClock()
                while !Task.isCancelled {
                    let started = clock.now
                    await round(http)
                    do { try await clock.sleep(until: started + settings.interval) } catch { return }
                }
            }
        }
    }

    /// Probes every active provider once and records the samples; returns them (in no particular order).
    @discardableResult
    func round(_ http: HTTPClient) async -> [ProbeSample] {
        let targets: [(address: Address, endpoint: String)]
        do {
            targets = try chain.withState { try LedgerWiring.market.providerViews(state: $0) }
                .filter(\.active).map { ($0.address, $0.endpoint) }
        } catch {
            logger.warning("cannot read the providers to probe", metadata: ["error": "\(error)"])
            return []
        }
        guard !targets.isEmpty else { return [] }
        let samples = await withTaskGroup(of: ProbeSample.self, returning: [ProbeSample].self) { group in
            var pending = targets[...]
            var samples: [ProbeSample] = []
            samples.reserveCapacity(targets.count)
            func next() {
                guard let t = pending.popFirst() else { return }
                group.addTask { await probe(t.address, endpoint: t.endpoint, http: http) }
            }
            for _ in 0..<settings.concurrency { next() }
            for await sample in group {
                samples.append(sample)
                next()
            }
            return samples
        }
        // A round cut short by shutdown is not recorded: its probes were cancelled, not failed.
        guard !Task.isCancelled else { return samples }
        do { try await store.recordProbes(samples, now: now()) } catch {
            logger.warning("cannot record provider probes", metadata: ["error": "\(error)"])
        }
        return samples
    }

    /// One probe of `endpoint`: never throws, a failure is a sample with `ok` false.
    func probe(_ provider: Address, endpoint: String, http: HTTPClient) async -> ProbeSample {
        let time = now()
        let clock = ContinuousClock()
        let started = clock.now
        var status: UInt16 = 0
        var ok = false
        do {
            var request = HTTPClientRequest(url: Self.url(endpoint))
            request.method = .GET
            // A fresh connection each time, so that a probe also shows the endpoint still accepts connections.
            request.headers.add(name: "Connection", value: "close")
            let response = try await http.execute(request, deadline: .now() + settings.timeout.timeAmount)
            status = UInt16(clamping: response.status.code)
            _ = try await response.body.collect(upTo: Self.maxBodyBytes)
            ok = response.status == .ok && clock.now - started <= settings.timeout
        } catch {
            logger.debug("provider probe failed", metadata: ["provider": "\(provider)", "error": "\(error)"])
        }
        return ProbeSample(provider: provider, time: time, ok: ok, latencyMilliseconds: UInt32(clamping: (clock.now - started).milliseconds),
                           status: status)
    }

    /// `GET {endpoint}/v1/models`, with any trailing slash of the endpoint dropped.
    static func url(_ endpoint: String) -> String {
        var base = Substring(endpoint)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + path
    }
}

extension Duration {
    /// This duration as NIO's time amount.
    var timeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}
