import CairnNode
import CairnP2P
import CairnLedger
import CairnPrimitives
import Logging
import ServiceLifecycle
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The validators of a devnet beyond its first: their homes under `HOME/validators/nodeI` (I from 1), each a
/// `cairn node start` process this one starts, watches and stops. The devnet's own home is validator 0; all of them
/// dial each other over p2p on loopback.
struct DevnetValidators {
    let home: String

    var folder: URL { URL(fileURLWithPath: home).appendingPathComponent("validators") }

    func home(_ i: Int) -> NodeHome { NodeHome(path: folder.appendingPathComponent("node\(i)").path) }

    /// The validator homes beyond the first that the devnet holds (0 for a one-validator devnet).
    var extraCount: Int {
        var n = 0
        while home(n + 1).isInitialized { n += 1 }
        return n
    }

    /// The p2p settings of validator `i` of `count` (none for a devnet of one): it listens on `p2pBase + i` and dials the
    /// others.
    static func peering(_ i: Int, count: Int, nodeKeys: [NodeKey], p2pBase: Int) -> (port: Int?, peers: [String]) {
        guard count > 1 else { return (nil, []) }
        let peers = nodeKeys.indices.filter { $0 != i }.map { PeerAddress(id: nodeKeys[$0].id, host: "127.0.0.1", port: p2pBase + $0).description }
        return (p2pBase + i, peers)
    }

    /// Writes the homes of validators 1..<count: their keys and node keys, the shared genesis, configs with the API on
    /// `rpcPort + i`.
    func initialize(genesis: Genesis, keys: [PrivateKey], nodeKeys: [NodeKey], rpcPort: Int, p2pBase: Int, blockTime: Int) throws {
        for i in keys.indices.dropFirst() {
            let peering = Self.peering(i, count: keys.count, nodeKeys: nodeKeys, p2pBase: p2pBase)
            let config = NodeHome.Config(rpcPort: rpcPort + i, blockIntervalMilliseconds: blockTime, probeIntervalSeconds: 0,
                                         p2pPort: peering.port, persistentPeers: peering.peers)
            try home(i).initialize(genesis: genesis, validatorKey: keys[i], config: config)
            try nodeKeys[i].save(path: home(i).nodeKeyFile.path)
        }
    }

    /// Sets the API port (`rpcPort + i`) and block time of every extra validator, as a resumed devnet asks.
    func update(rpcPort: Int, blockTime: Int) throws {
        for i in 0..<extraCount {
            var config = try home(i + 1).loadConfig()
            config.rpcPort = rpcPort + i + 1
            config.blockIntervalMilliseconds = blockTime
            try home(i + 1).saveConfig(config)
        }
    }
}

/// Runs the devnet's extra validators as child processes until graceful shutdown: each is started with
/// `cairn node start`, its output going to `node.log` in its home; one that exits is started again after a second;
/// at shutdown each gets SIGTERM (SIGKILL after 10 s).
struct DevnetValidatorProcesses: Service {
    let validators: DevnetValidators
    let logger: Logger

    func run() async throws {
        let count = validators.extraCount
        guard count > 0 else { return }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        try await withThrowingDiscardingTaskGroup { group in
            for i in 1...count {
                group.addTask { try await supervise(i, executable: executable) }
            }
        }
    }

    /// Keeps validator `i` running until graceful shutdown.
    func supervise(_ i: Int, executable: URL) async throws {
        let home = validators.home(i)
        let logURL = home.root.appendingPathComponent("node.log")
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if !FileManager.default.fileExists(atPath: logURL.path) { FileManager.default.createFile(atPath: logURL.path, contents: nil) }
            let log = try FileHandle(forWritingTo: logURL)
            try log.seekToEnd()
            let process = Process()
            process.executableURL = executable
            process.arguments = ["node", "start", "--home", home.root.path]
            process.standardOutput = log
            process.standardError = log
            try process.run()
            logger.info("validator \(i) started (pid \(process.processIdentifier)), log \(logURL.path)")
            await withGracefulShutdownHandler {
                while process.isRunning, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(200)) }
            } onGracefulShutdown: {
                process.terminate()
            }
            if process.isRunning {
                process.terminate()
                let deadline = ContinuousClock.now + .seconds(10)
                while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            try? log.close()
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            logger.warning("validator \(i) exited with status \(process.terminationStatus); starting it again in a second")
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
