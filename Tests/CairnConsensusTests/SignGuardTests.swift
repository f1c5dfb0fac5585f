import CairnConsensus
import Foundation
import Testing

struct SignGuardTests {
    let folder = TemporaryFolder()
    var path: String { folder.file("data/priv_validator_state") }

    /// A stand-in for the validator key: deterministic, so equal bytes give equal signatures.
    static func fakeSign(_ bytes: [UInt8]) -> [UInt8] { [0xAA] + bytes.reversed() }

    static func at(_ height: UInt64, _ round: UInt32, _ step: SignStep.Step) -> SignStep {
        SignStep(height: height, round: round, step: step)
    }

    @Test func stepsAreOrderedByHeightThenRoundThenStep() {
        let ordered = [Self.at(1, 0, .proposal), Self.at(1, 0, .prevote), Self.at(1, 0, .precommit),
                       Self.at(1, 1, .proposal), Self.at(2, 0, .proposal), Self.at(2, 0, .precommit)]
        #expect(ordered.shuffled().sorted() == ordered)
        #expect(Self.at(3, 2, .prevote).description == "height 3 round 2 step prevote")
    }

    @Test func aFreshGuardHasSignedNothing() throws {
        let guardFile = try SignGuard(path: path)
        #expect(guardFile.last == nil)
        #expect(!FileManager.default.fileExists(atPath: path))
        try guardFile.checkNotAhead(ofChainHeight: 0)
    }

    @Test func theFirstSignatureIsRecordedOnDisk() throws {
        let guardFile = try SignGuard(path: path)
        let signature = try guardFile.sign(Self.at(5, 0, .prevote), bytes: [1, 2, 3], signer: Self.fakeSign)
        #expect(signature == [0xAA, 3, 2, 1])
        let expected = LastSigned(step: Self.at(5, 0, .prevote), signBytes: [1, 2, 3], signature: signature)
        #expect(guardFile.last == expected)
        #expect(try SignGuard(path: path).last == expected)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test func signingTheSameBytesAgainReturnsTheRecordedSignatureWithoutSigning() throws {
        let guardFile = try SignGuard(path: path)
        let first = try guardFile.sign(Self.at(5, 0, .precommit), bytes: [7, 8], signer: Self.fakeSign)
        var calls = 0
        let again = try guardFile.sign(Self.at(5, 0, .precommit), bytes: [7, 8]) { bytes in
            calls += 1
            return [0xBB]
        }
        #expect(again == first)
        #expect(calls == 0)
        // After a restart too: the node re-sends the message it signed before the crash.
        let reopened = try SignGuard(path: path)
        #expect(try reopened.sign(Self.at(5, 0, .precommit), bytes: [7, 8]) { _ in [0xCC] } == first)
    }

    @Test func differentBytesForTheSameStepAreRefused() throws {
        let guardFile = try SignGuard(path: path)
        _ = try guardFile.sign(Self.at(5, 1, .prevote), bytes: [1], signer: Self.fakeSign)
        var called = false
        let error = #expect(throws: SignGuardError.self) {
            try guardFile.sign(Self.at(5, 1, .prevote), bytes: [2]) { _ in called = true; return [] }
        }
        #expect(error?.code == .conflictingSignature)
        #expect(error?.message.contains("height 5 round 1 step prevote") == true)
        #expect(!called)
        #expect(guardFile.last?.signBytes == [1])
    }

    @Test(arguments: [SignGuardTests.at(5, 1, .proposal), SignGuardTests.at(5, 0, .precommit), SignGuardTests.at(4, 9, .precommit)])
    func anEarlierStepIsRefused(earlier: SignStep) throws {
        let guardFile = try SignGuard(path: path)
        _ = try guardFile.sign(Self.at(5, 1, .prevote), bytes: [1], signer: Self.fakeSign)
        let error = #expect(throws: SignGuardError.self) {
            try guardFile.sign(earlier, bytes: [1], signer: Self.fakeSign)
        }
        #expect(error?.code == .regression)
        #expect(error?.message.contains("already signed for height 5 round 1 step prevote") == true)
    }

    @Test func laterStepsAreSignedAndEachReplacesTheRecord() throws {
        let guardFile = try SignGuard(path: path)
        for (i, step) in [Self.at(5, 0, .proposal), Self.at(5, 0, .prevote), Self.at(5, 2, .prevote), Self.at(6, 0, .proposal)].enumerated() {
            _ = try guardFile.sign(step, bytes: [UInt8(i)], signer: Self.fakeSign)
        }
        #expect(try SignGuard(path: path).last == LastSigned(step: Self.at(6, 0, .proposal), signBytes: [3], signature: [0xAA, 3]))
    }

    @Test func theRecordSurvivesAReopenAndStillRefusesAConflict() throws {
        _ = try SignGuard(path: path).sign(Self.at(9, 0, .precommit), bytes: [4, 4], signer: Self.fakeSign)
        let reopened = try SignGuard(path: path)
        let conflict = #expect(throws: SignGuardError.self) {
            try reopened.sign(Self.at(9, 0, .precommit), bytes: [5, 5], signer: Self.fakeSign)
        }
        #expect(conflict?.code == .conflictingSignature)
        let regression = #expect(throws: SignGuardError.self) {
            try reopened.sign(Self.at(9, 0, .prevote), bytes: [5, 5], signer: Self.fakeSign)
        }
        #expect(regression?.code == .regression)
    }

    @Test func aFailedWriteWithholdsTheSignatureAndStopsSigningUntilReopened() throws {
        let guardFile = try SignGuard(path: path)
        _ = try guardFile.sign(Self.at(5, 0, .prevote), bytes: [1], signer: Self.fakeSign)
        // A folder where the temporary file goes makes the write fail, whoever runs the test.
        try FileManager.default.createDirectory(atPath: path + ".tmp", withIntermediateDirectories: false)
        let error = #expect(throws: SignGuardError.self) {
            try guardFile.sign(Self.at(5, 0, .precommit), bytes: [2], signer: Self.fakeSign)
        }
        #expect(error?.code == .io)
        #expect(guardFile.last?.step == Self.at(5, 0, .prevote))

        // The disk might hold either record after a failed write, so the guard refuses even once the fault is gone.
        try FileManager.default.removeItem(atPath: path + ".tmp")
        let stopped = #expect(throws: SignGuardError.self) {
            try guardFile.sign(Self.at(5, 0, .precommit), bytes: [2], signer: Self.fakeSign)
        }
        #expect(stopped?.code == .io)
        #expect(try SignGuard(path: path).sign(Self.at(5, 0, .precommit), bytes: [2], signer: Self.fakeSign) == [0xAA, 2])
    }

    @Test func aRecordForTheNextHeightIsAcceptedAndOneFurtherAheadIsRefused() throws {
        let guardFile = try SignGuard(path: path)
        _ = try guardFile.sign(Self.at(12, 0, .prevote), bytes: [1], signer: Self.fakeSign)
        try guardFile.checkNotAhead(ofChainHeight: 11)
        try guardFile.checkNotAhead(ofChainHeight: 12)
        try guardFile.checkNotAhead(ofChainHeight: 40)
        let error = #expect(throws: SignGuardError.self) { try guardFile.checkNotAhead(ofChainHeight: 10) }
        #expect(error?.code == .aheadOfChain)
        #expect(error?.message.contains("height 12") == true)
        #expect(error?.message.contains("height 10") == true)
        #expect(error?.message.contains(path) == true)
    }

    /// Damage at every place in the file: the magic, the height, the step byte, a length, the signature, the checksum,
    /// a truncated file, an extra byte and an empty file.
    @Test(arguments: ["magic", "height", "step", "length", "signature", "checksum", "truncated", "extra", "empty"])
    func aCorruptFileIsRefusedAtOpen(damage: String) throws {
        _ = try SignGuard(path: path).sign(Self.at(3, 0, .prevote), bytes: [1, 2], signer: Self.fakeSign)
        // The file is "CSG1", height (4..<12), round (12..<16), step (16), n (17..<21), bytes, m, signature, crc32.
        var bytes = try folder.bytes(of: "data/priv_validator_state")
        switch damage {
        case "magic": bytes[0] = UInt8(ascii: "X")
        case "height": bytes[11] ^= 0x01
        case "step": bytes[16] = 7
        case "length": bytes[20] = 9
        case "signature": bytes[bytes.count - 5] ^= 0x80
        case "checksum": bytes[bytes.count - 1] ^= 0x01
        case "truncated": bytes.removeLast(3)
        case "extra": bytes.append(0)
        default: bytes = []
        }
        try folder.write(bytes, to: "data/priv_validator_state")

        let error = #expect(throws: SignGuardError.self) { try SignGuard(path: path) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains(path) == true)
    }

    @Test func aStepByteOutsideTheThreeStepsIsRefusedEvenWithAValidChecksum() throws {
        // "CSG1", height 1, round 0, step 4, no bytes, no signature, then a correct CRC of all that.
        var bytes = Array("CSG1".utf8) + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0] + [4] + [0, 0, 0, 0] + [0, 0, 0, 0]
        bytes += withUnsafeBytes(of: CRC32.checksum(bytes).bigEndian, Array.init)
        try folder.write(bytes, to: "data/priv_validator_state")
        let error = #expect(throws: SignGuardError.self) { try SignGuard(path: path) }
        #expect(error?.code == .corrupt)
    }
}
