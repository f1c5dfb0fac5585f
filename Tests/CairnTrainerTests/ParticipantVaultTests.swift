import CairnPrimitives
import CairnTraining
import CairnTrainer
import Foundation
import Testing

@Suite struct ParticipantVaultTests {
    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "cairn-vault-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func secretsRoundTripEncryptedAndOnlyForTheirKey() throws {
        let home = try folder()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let key = PrivateKey.deterministic("vault-owner")
        let vault = ParticipantVault(home: home, job: 3, signingKey: key)
        var rng = SystemRandomNumberGenerator()
        var contents = try vault.loadOrCreate(job: 3, randomness: &rng)
        contents.rounds[1] = RoundSecrets(round: 1, maskSecret: [UInt8](repeating: 9, count: 32), selfSeed: [UInt8](repeating: 8, count: 32))
        try vault.store(contents)
        #expect(try vault.load() == contents)
        // Encrypted on disk: neither secret appears in the file.
        let raw = try #require(FileManager.default.contents(atPath: vault.path))
        #expect(raw.range(of: Data(contents.encryptionSecret)) == nil && raw.range(of: Data([UInt8](repeating: 9, count: 32))) == nil)
        #expect((try FileManager.default.attributesOfItem(atPath: vault.path)[.posixPermissions] as? Int) == 0o600)
        // Another key's vault at the same place does not open, and the file is left as it was.
        try FileManager.default.copyItem(atPath: vault.path, toPath: ParticipantVault(home: home, job: 3, signingKey: .deterministic("other")).path)
        #expect(throws: TrainerError.self) { try ParticipantVault(home: home, job: 3, signingKey: .deterministic("other")).load() }
        // Old rounds are dropped as new ones come.
        for r in 2...5 { contents.rounds[UInt32(r)] = RoundSecrets(round: UInt32(r), maskSecret: [], selfSeed: []) }
        try vault.store(contents)
        #expect(try vault.load()?.rounds.keys.sorted() == [4, 5])
    }

    @Test func aCorruptVaultIsAnErrorAndIsNotReplaced() throws {
        let home = try folder()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let vault = ParticipantVault(home: home, job: 1, signingKey: .deterministic("owner"))
        var rng = SystemRandomNumberGenerator()
        _ = try vault.loadOrCreate(job: 1, randomness: &rng)
        var bytes = try #require(FileManager.default.contents(atPath: vault.path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: vault.path))
        #expect(throws: TrainerError.self) { try vault.loadOrCreate(job: 1, randomness: &rng) }
        #expect(FileManager.default.contents(atPath: vault.path) == bytes)
        // A write cut short leaves only the temporary file beside the vault; the vault itself is whole.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: vault.path + ".tmp"))
        #expect(FileManager.default.contents(atPath: vault.path) == bytes)
    }

    @Test func dataCommitmentsFixTheRecordsAndTheirOrder() throws {
        let a = LabelledData(records: [LabelledRecord(text: "good", label: "positive"), LabelledRecord(text: "bad", label: "negative")])
        let b = LabelledData(records: [LabelledRecord(text: "good", label: "positive"), LabelledRecord(text: "bad", label: "positive")])
        let c = LabelledData(records: a.records.reversed())
        #expect(a.commitment.count == 2)
        #expect(a.commitment.root != b.commitment.root && a.commitment.root != c.commitment.root)
        #expect(throws: TrainerError.self) { try a.examples(labels: ["x", "y"], features: [[0], [1]]) }
    }

    @Test func malformedDataFilesAreRefusedWithTheLine() throws {
        let home = try folder()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/data.jsonl"
        try "{\"text\": \"ok\", \"label\": \"positive\"}\nnot json\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TrainerError.self) { try LabelledData.load(path) }
        do { _ = try LabelledData.load(path) } catch { #expect("\(error)".contains("line 2")) }
        try "{\"text\": \"t\", \"label\": \"a\", \"split\": \"test\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TrainerError.self) { try LabelledData.load(path, split: "train") }
    }
}
