import Crypto
import Foundation
import Testing
@testable import CairnP2P

@Suite struct NodeKeyTests {
    /// RFC 8032 section 7.1, test 1: the secret key (seed) and the public key it gives.
    static let rfcSeed = [UInt8](hexString: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let rfcPublicKey = [UInt8](hexString: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    /// The first 20 bytes of SHA-256 of `rfcPublicKey`, computed outside Swift with Python's hashlib
    /// (`hashlib.sha256(pk).hexdigest()[:40]`; the public key checked with the `cryptography` package 48.0.0).
    static let rfcNodeID = "21fe31dfa154a261626bf854046fd2271b7bed4b"

    @Test func aFixedSeedGivesTheKnownPublicKeyAndID() throws {
        let key = try NodeKey(seed: Self.rfcSeed)
        #expect(key.publicKey == Self.rfcPublicKey)
        #expect(key.id.hex == Self.rfcNodeID)
    }

    @Test func theIDIsTheFirst20BytesOfSHA256OfThePublicKey() {
        let key = NodeKey()
        let digest = Array(SHA256.hash(data: key.publicKey))
        #expect(key.id.bytes == Array(digest.prefix(20)))
        #expect(key.id.hex.count == 40)
        #expect(key.id.hex == key.id.hex.lowercased())
    }

    @Test func nodeIDParsingAcceptsEitherCaseAndRejectsTheRest() throws {
        #expect(try NodeID(hex: Self.rfcNodeID.uppercased()).hex == Self.rfcNodeID)
        for bad in ["", "21fe", Self.rfcNodeID + "00", "0x" + Self.rfcNodeID.dropFirst(2), "zz" + Self.rfcNodeID.dropFirst(2)] {
            #expect(throws: P2PError.self) { try NodeID(hex: bad) }
            do { _ = try NodeID(hex: bad) } catch { #expect(error.code == .invalidNodeID) }
        }
    }

    @Test func loadOrCreateWritesAnOwnerOnlyFileAndReadsTheSameKeyBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-p2p-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("config/node_key.json").path

        let created = try NodeKey.loadOrCreate(path: path)
        var info = stat()
        let statResult = stat(path, &info)
        #expect(statResult == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: String]
        #expect(json?["seed"] == created.seed.hex)
        #expect(json?["public_key"] == created.publicKey.hex)
        #expect(json?["id"] == created.id.hex)

        let loaded = try NodeKey.loadOrCreate(path: path)
        #expect(loaded.seed == created.seed)
        #expect(loaded.id == created.id)
    }

    @Test func aKeyFileWhoseIDDoesNotMatchItsSeedIsRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-p2p-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("node_key.json").path
        let key = try NodeKey(seed: Self.rfcSeed)
        let other = NodeKey()
        let text = """
            {"seed": "\(key.seed.hex)", "public_key": "\(key.publicKey.hex)", "id": "\(other.id.hex)"}
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try NodeKey.load(path: path)
            Issue.record("a key file with another node's id was accepted")
        } catch {
            #expect(error.code == .invalidKeyFile)
        }
        try Data("{\"seed\": \"00\"}".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try NodeKey.load(path: path)
            Issue.record("a truncated key file was accepted")
        } catch {
            #expect(error.code == .invalidKeyFile)
        }
    }
}

extension [UInt8] {
    /// Bytes from hex written in a test (a typo is a test bug: it traps).
    init(hexString: String) {
        var out = [UInt8]()
        var chars = Array(hexString.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        precondition(chars.isEmpty, "odd-length hex in a test")
        self = out
    }

    /// Lower-case hex.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
