import ArgumentParser
import CairnChain
import CairnApp
import CairnConsensus
import CairnLedger
import CairnBank
import CairnPrimitives
import CairnStorage
import Foundation

/// `cairn bench ledger`: signature checks, transfers through full blocks, state-tree updates and commit latency.
struct BenchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Benchmark the ledger (use a release build).")

    @Option(help: "Signatures verified for the single-core rate.") var verifications: Int = 20_000
    @Option(help: "Blocks of 1,000 transfers to run.") var smallBlocks: Int = 5
    @Option(help: "Blocks of 10,000 transfers to run.") var largeBlocks: Int = 5

    func run() async throws {
        try await reportingFailure {
            print("cairn bench ledger (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
            let verify = benchVerify(count: verifications)
            print(String(format: "ed25519 verify, 1 core:          %10.0f /s", Double(verify.count) / verify.seconds))
            let treeRate = try benchTree()
            print(String(format: "state tree updates:              %10.0f leaves/s", treeRate))
            let small = try benchBlocks(size: 1_000, count: smallBlocks, sampleEvery: 0)
            print(String(format: "blocks of  1,000 transfers:      %10.0f transfers/s, %7.1f ms/block", small.rate, small.latency * 1000))
            // The host's speed drifts over a run (a virtual machine shares its cores), so the single-core rate
            // the ratio uses is sampled between the 10,000-transfer blocks, when nothing else runs.
            let large = try benchBlocks(size: 10_000, count: largeBlocks, sampleEvery: 1_500)
            print(String(format: "blocks of 10,000 transfers:      %10.0f transfers/s, %7.1f ms/block", large.rate, large.latency * 1000))
            let between = Double(large.samples.reduce(0) { $0 + $1.count }) / large.samples.reduce(0) { $0 + $1.seconds }
            let rates = large.samples.map { String(format: "%.0f", Double($0.count) / $0.seconds) }.joined(separator: ", ")
            print(String(format: "ed25519 verify, 1 core, between the 10k blocks: %.0f /s (samples: %@)", between, rates))
            print(String(format: "ratio transfers/s (10k blocks) to 1-core verify rate: %.2f (goal >= 1.0)", large.rate / between))
        }
    }

    /// Verifies `count` signatures on this thread; returns the count and the seconds it took.
    func benchVerify(count: Int) -> (count: Int, seconds: Double) {
        let key = PrivateKey.deterministic("bench")
        let payloads = (0..<1000).map { i in Array("payload \(i)".utf8) }
        let sigs = payloads.map { key.sign(domain: .transaction, chainID: "bench", payload: $0) }
        let pub = key.publicKey
        let start = Date()
        var ok = 0
        for i in 0..<count where pub.isValidSignature(sigs[i % 1000], domain: .transaction, chainID: "bench", payload: payloads[i % 1000]) {
            ok += 1
        }
        precondition(ok == count)
        return (count, Date().timeIntervalSince(start))
    }

    func benchTree() throws -> Double {
        final class Memory: TreeNodeSource {
            var nodes: [NodeKey: TreeNode] = [:]
            func treeNode(_ key: NodeKey) throws -> TreeNode? { nodes[key] }
        }
        let source = Memory()
        var root = TreeRoot.empty
        var rng = SystemRandomNumberGenerator()
        var leaves = 0
        var elapsed = 0.0
        for round in 0..<12 {
            let changes = (0..<20_000).map { _ in
                TreeChange(keyHash: Hash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()),
                           valueHash: Hash(w0: rng.next(), w1: 0, w2: 0, w3: 0))
            }
            var tree = StateTree(source: source)
            let start = Date()
            root = try tree.apply(root: root, version: UInt64(round + 1), changes: changes)
            if round >= 2 {
                elapsed += Date().timeIntervalSince(start)
                leaves += changes.count
            }
            source.nodes.merge(tree.newNodes) { a, _ in a }
        }
        return Double(leaves) / elapsed
    }

    /// Transfers among many funded accounts through signature checks on all cores, execution, the
    /// state tree and the SQLite commit; returns transfers per second and the mean time per block.
    ///
    /// With `sampleEvery` above zero, that many signatures are verified on one core before each block,
    /// after its signatures are in and before the next block's start: the pipeline is idle then, and
    /// the sample's time is not counted as the blocks'.
    func benchBlocks(size: Int, count: Int, sampleEvery: Int) throws
        -> (rate: Double, latency: Double, samples: [(count: Int, seconds: Double)]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let senders = (0..<size).map { PrivateKey.deterministic("bench-sender-\($0)") }
        var params = ChainParams.default
        params.blockGasLimit = 200_000_000
        let balances = senders.map { BankGenesis.Balance(address: $0.publicKey.address, coins: [Coin(denom: Denom.native, amount: 1_000_000_000_000)]) }
        let validator = PrivateKey.deterministic("bench-validator")
        let genesis = Genesis(chainID: "bench", genesisTime: 0, params: params,
                              validators: [GenesisValidator(name: "v", publicKey: validator.publicKey)],
                              modules: ["bank": try JSONValue(encoding: BankGenesis(balances: balances))])
        let chain = Chain(store: try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path), ledger: LedgerWiring.makeLedger(),
                          genesis: genesis)
        var head = try chain.open()
        // Every block is signed and encoded before the clock starts: that is the clients' work, not the chain's.
        let blocks = (0..<count).map { b in
            senders.enumerated().map { i, key in
                TransactionBody(chainID: "bench", signer: key.publicKey, nonce: UInt64(b), gasLimit: 10_000, maxFeePerGas: 100,
                                maxPriorityFeePerGas: 1,
                                messages: [RawMessage(MsgSend(to: senders[(i + 1) % size].publicKey.address, coins: [Coin(denom: Denom.native, amount: 5)]))])
                    .signed(with: key).canonicalBytes
            }
        }
        // As a node replaying or syncing does: the next block's transactions are decoded and checked (signatures
        // included) on the other core while this one executes and commits; the time the chain waits for them is
        // reported as the signature phase.
        var phases = (wait: 0.0, execute: 0.0, commit: 0.0)
        defer {
            let n = Double(max(count, 1))
            print(String(format: "  per block of %d: waiting for signatures %.1f ms, execution and state tree %.1f ms, SQLite commit %.1f ms",
                         size, phases.wait / n * 1000, phases.execute / n * 1000, phases.commit / n * 1000))
        }
        var samples: [(count: Int, seconds: Double)] = []
        let ledger = chain.ledger
        var lastCommit = CommitCertificate.none
        var pending = blocks.isEmpty ? nil : PendingChecks(blocks[0], ledger: ledger)
        for b in blocks.indices {
            let waitStart = Date()
            let txs = try pending!.wait()
            phases.wait += Date().timeIntervalSince(waitStart)
            if sampleEvery > 0 { samples.append(benchVerify(count: sampleEvery)) }
            let verified = Date()
            pending = b + 1 < blocks.count ? PendingChecks(blocks[b + 1], ledger: ledger) : nil
            let executed = try chain.execute(height: head.height + 1, time: UInt64(b + 1), proposer: validator.publicKey.address,
                                             transactions: txs, mode: .replay, parentRoot: head.root, lastCommit: lastCommit)
            let exec = executed.execution
            let header = executed.header(chainID: "bench", height: head.height + 1, time: UInt64(b + 1), previousHash: head.blockHash,
                                         proposer: validator.publicKey.address)
            let executedAt = Date()
            lastCommit = .signed(height: header.height, blockHash: header.hash, by: [validator], chainID: "bench")
            try chain.commit(header: header, certificate: lastCommit, executed: executed)
            head = try chain.head()
            let end = Date()
            phases.execute += executedAt.timeIntervalSince(verified)
            phases.commit += end.timeIntervalSince(executedAt)
            precondition(exec.receipts.allSatisfy(\.success), "a benchmark transfer failed")
        }
        let total = phases.wait + phases.execute + phases.commit
        return (Double(size * count) / total, total / Double(max(count, 1)), samples)
    }
}
