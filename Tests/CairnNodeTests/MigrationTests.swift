import Foundation
import GRDB
import Logging
import CairnPrimitives
import CairnLedger
import CairnGovernance
import CairnStaking
import CairnMarket
import CairnModels
import CairnStorage
import CairnChain
import CairnNode
import CairnTestSupport
import Testing

/// A store an earlier version wrote (parameters as JSON text) is refused with the command that migrates it, and the
/// migration keeps every block's transactions and every state entry but the parameters, which it re-encodes.
@Suite struct MigrationTests {
    /// The five parameter records, the only state the migration changes.
    static let parameterKeys = ["ledger/params", "staking/params", "gov/params", "market/params", "models/params"]
    static let blocks: UInt64 = 133

    /// A copy of the legacy devnet home (see `Fixtures/legacy-store/README.md`).
    static func legacyHome() throws -> (TemporaryDirectory, NodeHome) {
        let fixture = try #require(Bundle.module.url(forResource: "legacy-store", withExtension: nil, subdirectory: "Fixtures"))
        let dir = try TemporaryDirectory()
        let home = NodeHome(path: dir.path("home"))
        try FileManager.default.createDirectory(at: home.configDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home.dataDir, withIntermediateDirectories: true)
        for name in ["genesis.json", "node.json", "validator_key.json"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: home.configDir.appendingPathComponent(name))
        }
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gunzip.arguments = ["gzip", "-dc", fixture.appendingPathComponent("chain.sqlite.gz").path]
        _ = FileManager.default.createFile(atPath: home.databasePath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: home.databasePath))
        gunzip.standardOutput = out
        try gunzip.run()
        gunzip.waitUntilExit()
        try out.close()
        #expect(gunzip.terminationStatus == 0)
        return (dir, home)
    }

    /// Every state entry of the database at `path`, by key.
    static func state(_ path: String) throws -> [String: [UInt8]] {
        let queue = try RawDatabase.open(path)
        return try queue.read { db in
            var out: [String: [UInt8]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM state") {
                out[Array(row["key"] as Data).hexString] = Array(row["value"] as Data)
            }
            return out
        }
    }

    /// Each block's header time and transaction hashes in order, by height.
    static func blocks(_ path: String) throws -> [[String]] {
        let queue = try RawDatabase.open(path)
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT height, header FROM blocks ORDER BY height").map { row in
                let height: Int64 = row["height"]
                // The fields both versions' headers begin with (this version's adds the validator set, commit and
                // evidence hashes after them).
                var r = CanonicalReader(Array(row["header"] as Data))
                _ = try r.readString()
                _ = try r.readUInt64()
                let time = try r.readUInt64()
                for _ in 0..<4 { _ = try r.readHash() }
                _ = try r.readAmount()
                _ = try r.readUInt64()
                let proposer = try r.readAddress()
                let txs = try Data.fetchAll(db, sql: "SELECT hash FROM txs WHERE height = ? ORDER BY idx", arguments: [height])
                return ["\(time)", proposer.bech32] + txs.map { Array($0).hexString }
            }
        }
    }

    @Test func aStoreOfTheEarlierVersionIsRefusedWithTheCommandThatMigratesIt() async throws {
        let (dir, home) = try Self.legacyHome()
        for command in [["node", "start", "--home", home.root.path], ["node", "verify", "--home", home.root.path]] {
            let result = try await CairnProcess.run(command, log: dir.url.appendingPathComponent("\(command[1]).log"))
            #expect(result.status != 0)
            #expect(result.output.split(separator: "\n").count == 1, "\(result.output)")
            #expect(result.output.hasPrefix("error: "), "\(result.output)")
            #expect(result.output.contains("`cairn node migrate --home \(home.root.path)`"), "\(result.output)")
        }
    }

    @Test func theMigrationKeepsTheBlocksAndTheStateAndReencodesTheParameters() async throws {
        let (dir, home) = try Self.legacyHome()
        let before = try Self.state(home.databasePath)
        let blocksBefore = try Self.blocks(home.databasePath)
        #expect(blocksBefore.count == Int(Self.blocks) + 1)
        for key in Self.parameterKeys { #expect(before[Array(key.utf8).hexString]?.first == UInt8(ascii: "{"), "\(key) is JSON text") }

        // What a migration killed half-way leaves behind: a new store, unfinished, beside the old one.
        for suffix in [".migrating", ".migrating-wal"] {
            try Data("a migration killed half-way".utf8).write(to: URL(fileURLWithPath: home.databasePath + suffix))
        }
        let migrate = try await CairnProcess.run(["node", "migrate", "--home", home.root.path], log: dir.url.appendingPathComponent("migrate.log"))
        #expect(migrate.status == 0, "\(migrate.output)")
        #expect(migrate.output.hasPrefix("migrated \(Self.blocks) blocks"), "\(migrate.output)")
        #expect(FileManager.default.fileExists(atPath: home.databasePath + ".pre-migration"))
        #expect(try Self.state(home.databasePath + ".pre-migration") == before, "the old store is kept as it was")
        #expect(!FileManager.default.fileExists(atPath: home.databasePath + ".migrating"))

        // The same transactions in the same blocks, at the same times and proposers.
        #expect(try Self.blocks(home.databasePath) == blocksBefore)
        // Every state entry as it was, but the parameters: canonical now, with the values they had (the proposal that
        // passed at block 91 included).
        let after = try Self.state(home.databasePath)
        let parameterHex = Set(Self.parameterKeys.map { Array($0.utf8).hexString })
        // New: the validator sets (the last, current and next, and the history of their changes) that BFT consensus keeps.
        let validatorKeys = ["ledger/validators/last", "ledger/validators/current", "ledger/validators/next"].map { Array($0.utf8).hexString }
        // And the exchange and verification, which came later: their parameters and what the buybacks record.
        let added = Set(after.keys).subtracting(before.keys)
        #expect(added.isSuperset(of: validatorKeys))
        #expect(added.contains(Array("exchange/params".utf8).hexString))
        #expect(added.contains(Array("verification/params".utf8).hexString))
        let newPrefixes = ["ledger/valsets/", "exchange/", "verification/"].map { Array($0.utf8).hexString }
        #expect(added.subtracting(validatorKeys).allSatisfy { key in newPrefixes.contains { key.hasPrefix($0) } },
                "\(added.subtracting(validatorKeys).filter { key in !newPrefixes.contains { key.hasPrefix($0) } })")
        #expect(Set(before.keys).isSubset(of: after.keys))
        // Signing records count one block fewer: downtime is judged from each block's last commit, and block 1 has none.
        let signingHex = Array("staking/sign/".utf8).hexString
        for (key, value) in before where !parameterHex.contains(key) && !key.hasPrefix(signingHex) {
            #expect(after[key] == value, "state entry \(key) changed")
        }
        func both<P: ParameterSet & Decodable>(_ type: P.Type, _ key: String) throws -> (P, P) {
            let hex = Array(key.utf8).hexString
            return (try JSONDecoder().decode(P.self, from: Data(try #require(before[hex]))), try P(canonicalBytes: try #require(after[hex])))
        }
        let ledger = try both(ChainParams.self, "ledger/params")
        #expect(ledger.0 == ledger.1 && ledger.1.blockGasLimit == 80_000_000)
        let gov = try both(GovParams.self, "gov/params")
        #expect(gov.0 == gov.1 && gov.1.quorumBps == 3_000)
        let market = try both(MarketParams.self, "market/params")
        #expect(market.0 == market.1 && market.1.settleDelayBlocks == 25)
        let staking = try both(StakingParams.self, "staking/params")
        #expect(staking.0 == staking.1)
        let models = try both(ModelsParams.self, "models/params")
        #expect(models.0 == models.1)

        // The migrated chain replays, and a node opens it.
        let verify = try await CairnProcess.run(["node", "verify", "--home", home.root.path], log: dir.url.appendingPathComponent("verify.log"))
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.hasPrefix("replayed \(Self.blocks) blocks"), "\(verify.output)")
        let node = try NodeRunner(home: home, logger: Logger(label: "test")).open()
        #expect(await node.head.height == Self.blocks)
        #expect(try node.chain.withState { try node.chain.ledger.params(state: $0).blockGasLimit } == 80_000_000)

        let again = try await CairnProcess.run(["node", "migrate", "--home", home.root.path], log: dir.url.appendingPathComponent("again.log"))
        #expect(again.status == 0)
        #expect(again.output.contains("needs no migration"), "\(again.output)")
    }
}
