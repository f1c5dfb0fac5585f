import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnNode
import CairnChain
import CairnStorage
import CairnExplorer
import CairnClient
import CairnTestSupport

/// A node run in this process by `NodeRunner` on a loopback port, with the explorer beside it as the CLI wires it, and
/// one funded account.
struct InProcessNode: Sendable {
    static let chainID = "api-test"
    static let funded = DevAccount("api-funded")
    static let fundedBalance: Amount = 1_000_000_000_000

    let node: Node
    let port: Int
    let home: NodeHome
    /// The node's store, which also holds the explorer's index and probes.
    let store: SQLiteStore
    let indexer: ExplorerIndexer
    var chain: Chain { node.chain }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts a fresh node (genesis in a temporary home, blocks every 200 ms; with `p2p`, listening for peers on a
    /// loopback port too), runs `body`, then stops it.
    static func with<T: Sendable>(p2p: Bool = false, fundedCoins: [Coin] = [], _ body: (InProcessNode) async throws -> T) async throws -> T {
        let dir = try TemporaryDirectory()
        let home = NodeHome(path: dir.path("home"))
        try home.initialize(chainID: chainID, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000)) { validator in
            let balances = [
                BankGenesis.Balance(address: funded.address,
                                    coins: ([Coin(denom: Denom.native, amount: fundedBalance)] + fundedCoins).sorted { $0.denom < $1.denom }),
                BankGenesis.Balance(address: validator.address, coins: [Coin(denom: Denom.native, amount: 1_000_000)]),
            ]
            return ["bank": try JSONValue(encoding: BankGenesis(balances: balances))]
        }
        var logger = Logger(label: "cairn.test.node")
        logger.logLevel = .critical
        let runner = NodeRunner(home: home, logger: logger)

        var lastError: (any Error)?
        // A free port may still be taken before the node binds it (another process): try a few.
        for _ in 0..<8 {
            let port = try FreePort.next()
            let config = NodeHome.Config(rpcHost: "127.0.0.1", rpcPort: port, blockIntervalMilliseconds: 200,
                                         p2pPort: p2p ? try FreePort.next() : nil)
            let (ready, continuation) = AsyncStream<Result<Node, any Error>>.makeStream()
            let store = try runner.openStore()
            let opened = try runner.open(store: store)
            let explorer = Explorer.started(chain: opened.chain, store: store)
            // Stopped gracefully, as a signal stops the node (see GracefulTask).
            let task = GracefulTask {
                do {
                    try await runner.run(opened, config: config, sites: [explorer]) { node in continuation.yield(.success(node)) }
                    continuation.yield(.failure(StartFailure(description: "the node stopped before it was ready")))
                } catch {
                    continuation.yield(.failure(error))
                }
                continuation.finish()
            }
            var first: Result<Node, any Error>?
            for await r in ready {
                first = r
                break
            }
            switch first {
            case let .success(node)?:
                let running = InProcessNode(node: node, port: port, home: home, store: store, indexer: explorer.indexer)
                defer { withExtendedLifetime(dir) {} }
                return try await task.stop { try await body(running) }
            case let .failure(error)?:
                lastError = error
                await task.stop()
            case nil:
                lastError = StartFailure(description: "the node never reported ready")
                await task.stop()
            }
        }
        throw StartFailure(description: "could not start an in-process node: \(lastError.map { "\($0)" } ?? "unknown")")
    }

    func client() throws -> NodeClient { try NodeClient(url: baseURL.absoluteString) }

    /// One HTTP exchange: status, content type and body.
    struct Reply: Sendable {
        let status: Int
        let contentType: String?
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(_ method: String, _ path: String, body: Data? = nil) async throws -> Reply {
        try await HTTP.request(method, URL(string: path, relativeTo: baseURL)!, body: body)
    }
}

/// A bare URLSession client that returns every status as is. Requests may wait 60 s: beside the whole suite on two
/// cores an in-process server has taken over 10 s to answer.
enum HTTP {
    static let session: URLSession = {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 60
        return URLSession(configuration: config)
    }()

    static func request(_ method: String, _ url: URL, body: Data? = nil) async throws -> InProcessNode.Reply {
        var req = URLRequest(url: url)
        req.httpMethod = method
        if let body {
            req.httpBody = body
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.boundedData(for: req)
        let http = response as! HTTPURLResponse
        return InProcessNode.Reply(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), body: data)
    }
}
