import ArgumentParser
import AsyncHTTPClient
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnClient
import CairnWire
import NIOCore
import NIOHTTP1
import Foundation
import Synchronization

/// `cairn bench gateway`: what the gateway adds over calling a provider directly, on a devnet this command starts.
///
/// Both paths use the same HTTP client and the same request (MiniLM embeddings of a short sentence). The direct path
/// pays with a voucher signed before the clock starts and checks the receipt after it stops, so its figures are the
/// provider's alone; the gateway path is timed end to end, payments included. The two are interleaved so drift
/// affects both alike.
struct BenchGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "Latency the gateway adds over a direct call, requests per second, payment cost (release build).")

    @Option(help: "Sequential requests per path for the latency figures.") var requests = 400
    @Option(help: "Concurrent clients for the throughput figures.") var clients = 8
    @Option(help: "Seconds of each throughput run.") var seconds = 10
    @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?
    @Flag(help: "Run the gateway as its own process (`cairn gateway start`) instead of inside the devnet's.") var gatewayProcess = false

    func run() async throws {
        try await reportingFailure {
            guard requests >= 10, (1...64).contains(clients), (1...600).contains(seconds) else {
                throw CLIError("--requests must be at least 10, --clients 1 to 64, --seconds 1 to 600")
            }
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-gateway-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: home) }
            let devnet = try BenchDevnet(home: home, modelsDir: modelsDir, gatewayProcess: gatewayProcess)
            defer { devnet.stop() }
            try await HTTPClient.withHTTPClient(configuration: .init()) { http in
                try await measure(devnet, http: http)
            }
        }
    }

    func measure(_ devnet: BenchDevnet, http: HTTPClient) async throws {
        print("starting a devnet (node, one provider, the gateway\(gatewayProcess ? " as its own process" : "")) in \(devnet.home)...")
        let provider = try await devnet.waitUntilReady(http: http)
        let node = try NodeClient(url: devnet.nodeURL)
        let status = try await node.status()
        let key = try signingKey("dev2", home: devnet.keysHome)
        let wallet = try ChannelWallet(node: node, key: key, chainID: status.chainID, path: devnet.home + "/bench-wallet.json")
        guard let price = provider.models.first(where: { $0.modelID == 2 }) else { throw CLIError("the provider does not serve MiniLM") }
        var channels: [UInt64] = []
        for _ in 0..<clients { channels.append(try await wallet.open(to: provider.address, deposit: 100_000_000).id) }
        let body = ByteBuffer(string: #"{"model":"minilm","input":"A short sentence about stones piled up to mark a trail."}"#)
        let direct = DirectPath(http: http, url: provider.endpoint + "/v1/embeddings", wallet: wallet, price: price, body: body)
        let gatewayURL = devnet.gatewayURL + "/v1/embeddings"

        // Warm-up: connections, caches, the gateway's channel and selector.
        for _ in 0..<30 {
            _ = try await direct.call(channel: channels[0])
            _ = try await Self.post(http, gatewayURL, body)
        }
        var directTimes: [Double] = [], gatewayTimes: [Double] = []
        for _ in 0..<requests {
            directTimes.append(try await direct.call(channel: channels[0]))
            gatewayTimes.append(try await Self.post(http, gatewayURL, body))
        }
        let d = Percentiles(directTimes), g = Percentiles(gatewayTimes)

        // Payments: signing a voucher and checking a receipt, as the gateway does per request.
        let voucher = try await wallet.voucher(for: channels[0]).voucher
        guard let receipt = direct.lastReceipt.withLock({ $0 }) else { throw CLIError("no receipt from the provider") }
        let rounds = 2000
        var clock = ContinuousClock.now
        for _ in 0..<rounds { _ = voucher.signed(by: key, chainID: status.chainID) }
        let signMicros = (ContinuousClock.now - clock).micros / Double(rounds)
        clock = .now
        for _ in 0..<rounds { precondition(receipt.isValid(chainID: status.chainID)) }
        let checkMicros = (ContinuousClock.now - clock).micros / Double(rounds)
        let recordMillis = direct.acceptSeconds.withLock { $0.isEmpty ? 0 : $0.sorted()[$0.count / 2] } * 1000

        // Throughput: `clients` concurrent loops for `seconds` on each path (the direct path with a channel per client).
        let ids = channels
        let directRate = try await Self.throughput(clients: clients, seconds: seconds) { i in _ = try await direct.call(channel: ids[i]) }
        let gatewayRate = try await Self.throughput(clients: clients, seconds: seconds) { _ in _ = try await Self.post(http, gatewayURL, body) }

        let paymentShare = (signMicros + checkMicros) / (g.p50 * 1000) * 100
        print("""

        cairn bench gateway (\(ProcessInfo.processInfo.activeProcessorCount) cores; MiniLM embeddings of a short sentence; one provider; \
        the gateway \(gatewayProcess ? "in its own process" : "in the devnet's process"))
        latency, \(requests) sequential requests per path, interleaved:
          direct to the provider   p50 \(f(d.p50)) ms   p99 \(f(d.p99)) ms
          through the gateway      p50 \(f(g.p50)) ms   p99 \(f(g.p99)) ms
          added by the gateway     p50 \(f(g.p50 - d.p50)) ms   p99 \(f(g.p99 - d.p99)) ms   (goal: under 1 ms at p50)
        payments, per request:
          signing the voucher      \(f(signMicros, 1)) µs
          checking the receipt     \(f(checkMicros, 1)) µs
          together                 \(f(signMicros + checkMicros, 1)) µs = \(f(paymentShare, 2))% of a request through the gateway (goal: under 5%)
          the SDK wallet writing one receipt to disk at once (fsync): \(f(recordMillis)) ms
            (the gateway checks receipts after the answer has gone out and writes them in one batch every 50 ms)
        throughput, \(clients) concurrent clients for \(seconds) s each:
          direct (a channel per client)   \(f(directRate, 1)) requests/s
          through the gateway             \(f(gatewayRate, 1)) requests/s   ratio \(f(gatewayRate / directRate, 2))
        """)
    }

    func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

    /// POSTs `body` to `url` and returns the milliseconds to the whole answer.
    static func post(_ http: HTTPClient, _ url: String, _ body: ByteBuffer, headers: [(String, String)] = []) async throws -> Double {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (n, v) in headers { request.headers.add(name: n, value: v) }
        request.body = .bytes(body)
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw CLIError("\(url) answered HTTP \(response.status.code)") }
        return (ContinuousClock.now - start).micros / 1000
    }

    /// Requests per second of `clients` loops running `call` for `seconds`.
    static func throughput(clients: Int, seconds: Int, _ call: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let end = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<clients {
                group.addTask {
                    var n = 0
                    while ContinuousClock.now < end {
                        try await call(i)
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(done) / (ContinuousClock.now - start).seconds
    }
}

/// The direct path: a voucher signed before the clock starts, the receipt checked and recorded after it stops.
final class DirectPath: Sendable {
    let http: HTTPClient
    let url: String
    let wallet: ChannelWallet
    let price: ModelPrice
    let body: ByteBuffer
    let lastReceipt = Mutex<SignedReceipt?>(nil)
    let acceptSeconds = Mutex<[Double]>([])

    init(http: HTTPClient, url: String, wallet: ChannelWallet, price: ModelPrice, body: ByteBuffer) {
        self.http = http
        self.url = url
        self.wallet = wallet
        self.price = price
        self.body = body
    }

    /// One paid request on `channel`; the milliseconds of the HTTP exchange alone.
    func call(channel: UInt64) async throws -> Double {
        let voucher = try await wallet.voucher(for: channel)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: CairnHeader.voucher, value: voucher.headerValue)
        request.headers.add(name: CairnHeader.channel, value: String(channel))
        request.body = .bytes(body)
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        let millis = (ContinuousClock.now - start).micros / 1000
        guard response.status == .ok,
              let receipt = response.headers.first(name: CairnHeader.receipt).flatMap(SignedReceipt.init(headerValue:)) else {
            throw CLIError("the provider answered HTTP \(response.status.code) without a receipt")
        }
        let accepting = ContinuousClock.now
        _ = try await wallet.accept(receipt, channel: channel, price: price)
        let acceptTime = (ContinuousClock.now - accepting).seconds
        acceptSeconds.withLock { if $0.count < 10_000 { $0.append(acceptTime) } }
        lastReceipt.withLock { $0 = receipt }
        return millis
    }
}

/// A devnet (`cairn devnet` with one provider) and its gateway, in the devnet's process or in its own
/// (`cairn gateway start`), run by this command from its own executable.
final class BenchDevnet: @unchecked Sendable {
    let home: String
    let process = Process()
    let gateway = Process()
    var gatewayStarted = false
    let rpcPort = Int.random(in: 30_000...39_999), providerPort = Int.random(in: 40_000...49_999), gatewayPort = Int.random(in: 50_000...59_999)
    var nodeURL: String { "http://127.0.0.1:\(rpcPort)" }
    var gatewayURL: String { "http://127.0.0.1:\(gatewayPort)" }

    let gatewayProcess: Bool

    init(home: String, modelsDir: String?, gatewayProcess: Bool) throws {
        self.gatewayProcess = gatewayProcess
        self.home = home
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.executableURL = executable
        process.arguments = ["devnet", "--home", home + "/devnet-home", "--reset", "--rpc-port", "\(rpcPort)", "--block-time", "200",
                             "--providers", "1", "--provider-port", "\(providerPort)"]
            + (gatewayProcess ? ["--no-gateway"] : ["--gateway-port", "\(gatewayPort)"])
            + (modelsDir.map { ["--models-dir", $0] } ?? [])
        FileManager.default.createFile(atPath: home + "/devnet.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: home + "/devnet.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        gateway.executableURL = executable
        gateway.arguments = ["gateway", "start", "--home", home + "/devnet-home", "--key", "dev1", "--node", nodeURL,
                             "--listen", "127.0.0.1:\(gatewayPort)", "--channels-per-provider", "8", "--refresh", "2"]
        gateway.standardOutput = log
        gateway.standardError = log
    }

    /// The keys live in the devnet's home.
    var keysHome: String { home + "/devnet-home" }

    /// The provider's listing, once the gateway serves through it.
    func waitUntilReady(http: HTTPClient) async throws -> ProviderView {
        let deadline = ContinuousClock.now + .seconds(240)
        let node = try NodeClient(url: nodeURL)
        while ContinuousClock.now < deadline {
            // The gateway starts once the node answers (the devnet has written its keys by then).
            if gatewayProcess, !gatewayStarted, (try? await node.status()) != nil {
                do { try gateway.run() } catch { throw CLIError("cannot start the gateway: \(error)") }
                gatewayStarted = true
            }
            guard process.isRunning, !gatewayStarted || gateway.isRunning else {
                let log = (try? String(contentsOfFile: home + "/devnet.log", encoding: .utf8)) ?? ""
                throw CLIError("the devnet stopped: \(log.suffix(2000))")
            }
            if let listed = try? await node.get("/v1/market/providers", as: ProviderList.self).providers.first(where: \.active),
               let models = try? await http.execute(HTTPClientRequest(url: gatewayURL + "/v1/models"), timeout: .seconds(5)),
               models.status == .ok,
               String(buffer: try await models.body.collect(upTo: 1 << 20)).contains("minilm") {
                return listed
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw CLIError("the devnet was not ready within 4 minutes; see \(home)/devnet.log")
    }

    struct ProviderList: Decodable { var providers: [ProviderView] }

    func stop() {
        for p in (gatewayStarted ? [gateway] : []) + [process] where p.isRunning {
            p.interrupt()
            let deadline = Date().addingTimeInterval(20)
            while p.isRunning, Date() < deadline { usleep(50_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
    }
}

struct Percentiles {
    var p50: Double
    var p99: Double

    init(_ values: [Double]) {
        let s = values.sorted()
        p50 = s[s.count / 2]
        p99 = s[min(s.count - 1, Int(Double(s.count) * 0.99))]
    }
}

extension Duration {
    var micros: Double { Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12 }
    var seconds: Double { micros / 1e6 }
}
