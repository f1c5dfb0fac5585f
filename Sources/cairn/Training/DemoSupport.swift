import CairnClient
import CairnPrimitives
import CairnTrainer
import CairnModels
import CairnInference
import Foundation

/// The demo's data: the records of split "train" dealt to participants by domain (several participants on one domain
/// split it record by record), and the test records of every domain.
struct DemoSplit {
    var width: Int
    var names: [String] = []
    var parts: [LabelledData] = []
    var partFeatures: [[[Float]]] = []
    var test: LabelledData
    var testFeatures: [[Float]]

    init(_ all: LabelledData, features: [[Float]], labels: [String], participants: Int) {
        width = features.first?.count ?? 0
        let indices = all.records.indices
        let testIndices = indices.filter { all.records[$0].split == "test" }
        test = LabelledData(records: testIndices.map { all.records[$0] })
        testFeatures = testIndices.map { features[$0] }
        let train = indices.filter { all.records[$0].split != "test" }
        let domains = Array(Set(train.map { all.records[$0].domain ?? "all" })).sorted()
        for p in 0..<participants {
            let domain = domains[p % domains.count]
            // Participants dealt the same domain take every k-th of its records.
            let sharing = (0..<participants).filter { $0 % domains.count == p % domains.count }
            let slot = sharing.firstIndex(of: p)!
            let mine = train.filter { all.records[$0].domain ?? "all" == domain }.enumerated().filter { $0.offset % sharing.count == slot }.map(\.element)
            names.append(sharing.count > 1 ? "\(domain)/\(slot)" : domain)
            parts.append(LabelledData(records: mine.map { all.records[$0] }))
            partFeatures.append(mine.map { features[$0] })
        }
    }

    /// The held-out test set as the job's creator commits to it: its records as JSON Lines, in order.
    func testFile(labels: [String]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return test.records.flatMap { (try? encoder.encode($0)).map { Array($0) + [10] } ?? [] }
    }

    /// Writes every participant's records and the test records with their embeddings, as the Flower baseline reads them.
    func export(to path: String, labels: [String]) throws {
        var out = Data()
        func line(_ domain: String, _ split: String, _ label: String, _ x: [Float]) {
            let numbers = x.map { String(format: "%.6g", $0) }.joined(separator: ",")
            let y = labels.firstIndex(of: label) ?? 0
            out.append(Data("{\"domain\":\"\(domain)\",\"split\":\"\(split)\",\"label\":\(y),\"embedding\":[\(numbers)]}\n".utf8))
        }
        for (i, part) in parts.enumerated() { for (r, x) in zip(part.records, partFeatures[i]) { line(names[i], "train", r.label, x) } }
        for (r, x) in zip(test.records, testFeatures) { line(r.domain ?? "all", "test", r.label, x) }
        guard FileManager.default.createFile(atPath: path, contents: out) else { throw CLIError("cannot write \(path)") }
    }
}

/// A fresh devnet for the demo (`cairn devnet` from this executable, no providers, no gateway), stopped at the end.
final class TrainDevnet: @unchecked Sendable {
    let home: String
    let process = Process()
    let rpcPort = Int.random(in: 30_000...39_999)
    var nodeURL: String { "http://127.0.0.1:\(rpcPort)" }
    var keysHome: String { home + "/devnet-home" }
    let modelsDir: String?

    init(home: String, modelsDir: String?, accounts: Int, blockTime: Int) throws {
        self.home = home
        self.modelsDir = modelsDir
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["devnet", "--home", keysHome, "--reset", "--rpc-port", "\(rpcPort)", "--block-time", "\(blockTime)",
                             "--providers", "0", "--no-gateway", "--accounts", "\(accounts)", "--probe-interval", "0"]
        FileManager.default.createFile(atPath: home + "/devnet.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: home + "/devnet.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The node's client once it answers, with MiniLM registered (from dev0) as the base model.
    func waitUntilReady() async throws -> NodeClient {
        let node = try NodeClient(url: nodeURL)
        do {
            _ = try await NodeWait.until(limit: .seconds(120), stopped: { !self.process.isRunning }) { try await node.status() }
            // The keys are written before the node answers.
            let owner = try Keyring(home: keysHome).privateKey("dev0")
            let spec = try DevnetCommand.genesisModels(locator: ModelLocator(directory: modelsDir)).filter { $0.name == "minilm" }
            _ = try await node.send(spec.map { MsgRegisterModel($0) }, key: owner)
        } catch {
            let log = (try? String(contentsOfFile: home + "/devnet.log", encoding: .utf8)) ?? ""
            throw CLIError("the devnet did not start: \(error) \(log.suffix(1500))")
        }
        return node
    }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
