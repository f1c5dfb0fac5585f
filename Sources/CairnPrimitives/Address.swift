public import Foundation

/// An account address: the first 20 bytes of SHA-256 of an Ed25519 public key, shown as bech32 `cairn1...`.
public struct Address: Hashable, Comparable, Sendable {
    /// The bech32 human-readable prefix of every Cairn address.
    public static let prefix = "cairn"

    /// The 20 raw bytes.
    public let bytes: [UInt8]

    /// Wraps 20 raw bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        self.bytes = bytes
    }

    /// Derives the address of a public key.
    public init(publicKey: PublicKey) {
        self.bytes = Array(Hash.sha256(publicKey.rawRepresentation).bytes.prefix(20))
    }

    /// Parses a `cairn1...` address, checking prefix, checksum and length.
    public init(bech32 text: String) throws(AddressError) {
        let (hrp, data) = try Bech32.decode(text)
        guard hrp == Address.prefix else {
            throw AddressError(.wrongPrefix, "address prefix is '\(hrp)', expected '\(Address.prefix)'")
        }
        guard data.count == 20 else {
            throw AddressError(.wrongLength, "address holds \(data.count) bytes, expected 20")
        }
        self.bytes = data
    }

    /// The bech32 form.
    public var bech32: String { Bech32.encode(hrp: Address.prefix, data: bytes) }

    public static func < (a: Address, b: Address) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

extension Address: CustomStringConvertible {
    public var description: String { bech32 }
}

extension Address: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try Address(bech32: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(bech32)
    }
}

/// Why an address string was rejected.
public struct AddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Code: String, Sendable {
        case tooLong, mixedCase, malformed, badCharacter, badChecksum, wrongPrefix, wrongLength
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "invalid address: \(message)" }
}
