import ArgumentParser
import CairnClient
import CairnPrimitives
import Foundation

/// `cairn bench transfers`: load on a running network, signed transfers sent round-robin to its nodes, with a log of
/// every transfer's fate and the latency and throughput figures.
struct BenchTransfersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfers",
        abstract: "Send signed transfers to running nodes and measure their commit latency and throughput.",
        discussion: """
            Transfers of AMOUNT ucairn from KEY, with consecutive nonces from the account's current one, go to the nodes \
            round-robin; at most CONCURRENCY are in flight (submitted, not yet seen committed). A transfer is committed \
            when a node returns its receipt (polled every 50 ms); its latency runs from its first submission to that \
            sighting. Only the same signed bytes are ever resubmitted, so none can be applied twice: to the next node at \
            once after a connection error or a 5xx, and after each TIMEOUT-MS without a receipt, until every node has \
            had one window. The run stops signing after COUNT transfers or DURATION seconds, whichever comes first, and \
            then waits for those in flight.
            """)

    @Option(name: .customLong("node"), help: "Node API URL; repeat for several nodes (default: $CAIRN_NODE, else http://127.0.0.1:26657).")
    var nodes: [String] = []
    @Option(help: "Home folder holding the keyring ($CAIRN_HOME when set).")
    var home: String = ProcessInfo.processInfo.environment["CAIRN_HOME"] ?? "./.cairn-devnet"
    @Option(help: "Name of the sending key (unencrypted test keyring, or CAIRN_PASSPHRASE).") var from: String
    @Option(help: "Transfers to send.") var count: Int = 1000
    @Option(help: "Stop signing new transfers after this many seconds.") var duration: Double?
    @Option(help: "Most transfers in flight at once.") var concurrency: Int = 8
    @Option(help: "Recipient address (default: a fixed address derived from the label 'cairn bench transfers').") var to: String?
    @Option(help: "Amount of each transfer, in ucairn.") var amount: String = "1"
    @Option(help: "Milliseconds a node gets to commit a transfer before it is sent to the next node.") var timeoutMs: Int = 10_000
    @Option(help: "Append one JSON line per finished transfer to this file.") var log: String?
    @Flag(help: "Print one JSON object with the figures.") var json = false

    /// The recipient when `--to` is left out: a fresh address no one holds the key of by accident.
    static let defaultRecipient = PrivateKey.deterministic("cairn bench transfers").publicKey.address

    func run() async throws {
        try await reportingFailure {
            guard count >= 1 else { throw CLIError("--count must be at least 1") }
            guard concurrency >= 1 else { throw CLIError("--concurrency must be at least 1") }
            guard timeoutMs >= 1 else { throw CLIError("--timeout-ms must be at least 1") }
            if let duration, !(duration > 0 && duration.isFinite) { throw CLIError("--duration must be a positive number of seconds") }
            guard let value = Amount(decimal: amount), value > .zero else { throw CLIError("--amount must be a whole number of ucairn above 0, not '\(amount)'") }
            let urls = nodes.isEmpty ? [ProcessInfo.processInfo.environment["CAIRN_NODE"] ?? "http://127.0.0.1:26657"] : nodes
            let clients = try urls.map { try NodeClient(url: $0) }
            let recipient = try to.map { try Address(bech32: $0) } ?? Self.defaultRecipient
            let key = try signingKey(from, home: home)
            let logFile = try log.map { try TransferLog(path: $0) }
            let load = TransferLoad(nodes: clients, config: .init(
                key: key, to: recipient, amount: value, count: count, duration: duration.map { .milliseconds(Int64($0 * 1000)) },
                concurrency: concurrency, timeout: .milliseconds(timeoutMs)))
            let start = try await load.start()
            if !json {
                print("\(count) transfers of \(value)ucairn from \(key.publicKey.address) (nonce \(start.nonce)) to \(recipient)"
                      + "\(to == nil ? " (the default recipient)" : ""), at most \(concurrency) in flight, over \(clients.count) node(s)")
            }
            let records = await load.run(from: start) { record in
                do { try logFile?.append(record) } catch {
                    FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
                }
            }
            let summary = TransferLoadSummary(records)
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: summary.jsonObject, options: [.sortedKeys]), as: UTF8.self))
            } else {
                printText(summary)
            }
        }
    }

    func printText(_ s: TransferLoadSummary) {
        print("submitted \(s.submitted), committed \(s.committed)\(s.failedInBlock > 0 ? " (\(s.failedInBlock) failed in their block)" : ""), "
              + "not committed \(s.notCommitted)")
        if let l = s.latency {
            print(String(format: "latency ms: p50 %.1f, p90 %.1f, p99 %.1f, max %.1f, mean %.1f", l.p50, l.p90, l.p99, l.max, l.mean))
        }
        let heights = s.firstHeight.map { first in " (heights \(first)-\(s.lastHeight ?? first))" } ?? ""
        print(String(format: "%.1f committed transfers/s over %.2f s from the first submission to the last commit", s.tps, s.wallSeconds) + heights)
    }
}
