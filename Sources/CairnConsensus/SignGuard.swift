import Foundation
import CairnPrimitives

/// The point in consensus a signature is for: a height, a round and a step, ordered in that sequence.
public struct SignStep: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// The kind of message signed, in the order a round signs them.
    public enum Step: UInt8, Sendable, Comparable, CustomStringConvertible {
        /// A block proposal.
        case proposal = 1
        /// A prevote.
        case prevote = 2
        /// A precommit.
        case precommit = 3

        public static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }

        public var description: String {
            switch self {
            case .proposal: "proposal"
            case .prevote: "prevote"
            case .precommit: "precommit"
            }
        }
    }

    /// The block height.
    public var height: UInt64
    /// The round within the height.
    public var round: UInt32
    /// The message kind within the round.
    public var step: Step

    /// Creates a sign step.
    public init(height: UInt64, round: UInt32, step: Step) {
        self.height = height
        self.round = round
        self.step = step
    }

    public static func < (a: SignStep, b: SignStep) -> Bool {
        (a.height, a.round, a.step.rawValue) < (b.height, b.round, b.step.rawValue)
    }

    public var description: String { "height \(height) round \(round) step \(step)" }
}

/// What a validator signed last: the step, the exact bytes and the signature it gave.
public struct LastSigned: Sendable, Equatable {
    /// The height, round and step signed for.
    public var step: SignStep
    /// The bytes that were signed.
    public var signBytes: [UInt8]
    /// The signature given, kept so a restart can send the same message again.
    public var signature: [UInt8]

    /// Creates a record.
    public init(step: SignStep, signBytes: [UInt8], signature: [UInt8]) {
        self.step = step
        self.signBytes = signBytes
        self.signature = signature
    }
}

/// Double-sign protection: the validator's key signs a consensus message only through this guard, which records on
/// disk, before the signature leaves the process, what it signed; it refuses different bytes for the same step and
/// anything for an earlier step, across crashes and restarts (the role of CometBFT's `priv_validator_state.json`).
///
/// The file is small and binary, `"CSG1" | height u64 | round u32 | step u8 | n u32 | sign bytes | m u32 |
/// signature | crc32 u32` (big-endian), parsed strictly: a file that is damaged in any way is refused, never reset,
/// because forgetting what was signed is how a validator double-signs.
///
/// Not `Sendable`: one actor (the consensus driver) owns the guard, so two signatures never race.
public final class SignGuard {
    /// The guard file's path.
    public let path: String
    /// What was signed last, or nil when this key has signed nothing yet.
    public private(set) var last: LastSigned?
    /// Set when a write fails: the disk may then hold either record, so the guard signs nothing until reopened.
    private var failure: SignGuardError?

    private static let magic: [UInt8] = Array("CSG1".utf8)

    /// Loads the guard file at `path`; a missing file means this key has signed nothing yet.
    ///
    /// - Throws: `.corrupt` when the file exists but does not parse (the node must not start), `.io` when it cannot
    ///   be read or its folder created.
    public init(path: String) throws(SignGuardError) {
        self.path = path
        let bytes: [UInt8]?
        do {
            try DurableFile.createParentFolder(of: path)
            bytes = try DurableFile.readIfPresent(path)
        } catch {
            throw SignGuardError(.io, "cannot read the sign guard file \(path): \(error)")
        }
        guard let bytes else { return }
        guard let record = Self.decode(bytes) else {
            throw SignGuardError(.corrupt, """
                the sign guard file \(path) is corrupt (\(bytes.count) bytes that do not parse); it records what this \
                validator last signed, and signing without it could double-sign. Restore it from a backup, or delete \
                it only if you are sure this key has signed nothing at or above the chain's current height
                """)
        }
        last = record
    }

    /// Signs `bytes` for `step` unless that would be a double sign, recording the signature durably first.
    ///
    /// `signer` only computes the signature; nothing leaves the process until this returns, and the caller sends the
    /// message only then. Signing the same bytes for the recorded step again returns the recorded signature.
    ///
    /// - Throws: `.conflictingSignature` for other bytes at the recorded step, `.regression` for an earlier step,
    ///   `.io` when the record cannot be written (the signature is then withheld).
    public func sign(_ step: SignStep, bytes: [UInt8], signer: ([UInt8]) -> [UInt8]) throws(SignGuardError) -> [UInt8] {
        if let failure { throw failure }
        switch Self.verdict(last: last, step: step, bytes: bytes) {
        case let .reuse(signature): return signature
        case .conflicting:
            throw SignGuardError(.conflictingSignature, """
                refusing to sign different bytes for \(step): this validator already signed other bytes for it \
                (recorded in \(path))
                """)
        case .regression:
            throw SignGuardError(.regression, "refusing to sign for \(step): already signed for \(last!.step) (recorded in \(path))")
        case .sign: break
        }
        let record = LastSigned(step: step, signBytes: bytes, signature: signer(bytes))
        do {
            try DurableFile.replace(path, with: Self.encode(record), mode: 0o600)
        } catch {
            let failure = SignGuardError(.io, "cannot record the signature for \(step) in \(path); signing stopped until restart: \(error)")
            self.failure = failure
            throw failure
        }
        last = record
        return record.signature
    }

    /// What the guard does with a request to sign `bytes` for `step` after `last`.
    public enum Verdict: Equatable, Sendable {
        /// A later step: sign, and record it.
        case sign
        /// The step and bytes signed last: give the recorded signature again.
        case reuse([UInt8])
        /// The step signed last, with other bytes.
        case conflicting
        /// An earlier step.
        case regression
    }

    /// The rule, apart from the file: what any signer (this guard, or a simulated node's) does for a request.
    public static func verdict(last: LastSigned?, step: SignStep, bytes: [UInt8]) -> Verdict {
        guard let last else { return .sign }
        if step == last.step { return bytes == last.signBytes ? .reuse(last.signature) : .conflicting }
        return step > last.step ? .sign : .regression
    }

    /// Refuses to start when the guard is for a height beyond the one the chain is deciding.
    ///
    /// The node calls it at start with its committed chain height: the guard may be for at most `height + 1`. A record
    /// further ahead means the home was copied from elsewhere or the chain was reset, and signing could double-sign.
    public func checkNotAhead(ofChainHeight height: UInt64) throws(SignGuardError) {
        guard let last, last.step.height > height, last.step.height - height > 1 else { return }
        throw SignGuardError(.aheadOfChain, """
            the sign guard file \(path) records a signature at height \(last.step.height), but the chain is only at \
            height \(height): this home was copied or its chain reset. Refusing to start, since signing could double-sign
            """)
    }

    static func encode(_ record: LastSigned) -> [UInt8] {
        var bytes = magic
        DurableFile.appendBigEndian(record.step.height, to: &bytes)
        DurableFile.appendBigEndian(record.step.round, to: &bytes)
        bytes.append(record.step.step.rawValue)
        DurableFile.appendBigEndian(UInt32(record.signBytes.count), to: &bytes)
        bytes.append(contentsOf: record.signBytes)
        DurableFile.appendBigEndian(UInt32(record.signature.count), to: &bytes)
        bytes.append(contentsOf: record.signature)
        DurableFile.appendBigEndian(CRC32.checksum(bytes), to: &bytes)
        return bytes
    }

    /// The record in `bytes`, or nil unless they are exactly one well-formed record with a matching checksum.
    static func decode(_ bytes: [UInt8]) -> LastSigned? {
        guard bytes.count >= 4 + 8 + 4 + 1 + 4 + 4 + 4, bytes.starts(with: magic) else { return nil }
        let body = Array(bytes.dropLast(4))
        guard CRC32.checksum(body) == DurableFile.readBigEndian(bytes, at: bytes.count - 4) else { return nil }
        var offset = magic.count
        func take(_ count: Int) -> [UInt8]? {
            guard count <= body.count - offset else { return nil }
            defer { offset += count }
            return Array(body[offset..<offset + count])
        }
        func integer(_ count: Int) -> UInt64? { take(count)?.reduce(0) { $0 << 8 | UInt64($1) } }
        guard let height = integer(8), let round = integer(4), let rawStep = integer(1),
              let step = SignStep.Step(rawValue: UInt8(rawStep)),
              let n = integer(4), let signBytes = take(Int(n)),
              let m = integer(4), let signature = take(Int(m)),
              offset == body.count
        else { return nil }
        return LastSigned(step: SignStep(height: height, round: UInt32(round), step: step), signBytes: signBytes, signature: signature)
    }
}

/// A refusal or failure of the ``SignGuard``: a stable code, a message naming the step and the file, and where it was
/// thrown.
///
/// Compare on ``code``; the message is free text and may change.
public struct SignGuardError: Error, Sendable, CustomStringConvertible {
    /// A stable, opaque category of ``SignGuardError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// Other bytes were already signed for this height, round and step.
        public static let conflictingSignature = Code("conflicting-signature")
        /// A later height, round or step was already signed for.
        public static let regression = Code("regression")
        /// The guard records a height beyond the one the chain is deciding.
        public static let aheadOfChain = Code("ahead-of-chain")
        /// The guard file exists but does not parse.
        public static let corrupt = Code("corrupt")
        /// The guard file cannot be read or written.
        public static let io = Code("io")

        public var description: String { name }
    }

    /// The error's stable category.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The source file that threw.
    public let file: String
    /// The source line that threw.
    public let line: Int

    init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
