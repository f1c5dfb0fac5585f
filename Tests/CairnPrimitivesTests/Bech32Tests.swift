import CairnPrimitives
import Foundation
import CairnTestSupport
import Testing

/// The error code `Address(bech32:)` throws for `text`, or nil when it parses.
func addressErrorCode(_ text: String) -> AddressError.Code? {
    do {
        _ = try Address(bech32: text)
        return nil
    } catch {
        return error.code
    }
}

@Suite struct Bech32Tests {
    /// Valid strings from BIP-173's test vectors whose data is a whole number of bytes.
    @Test func encodingMatchesTheBIP173Vectors() throws {
        #expect(Bech32.encode(hrp: "a", data: []) == "a12uel5l")
        // The 5-bit values 0...31 in order are these 20 bytes.
        let bytes: [UInt8] = [0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf,
                              0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf]
        #expect(Bech32.encode(hrp: "abcdef", data: bytes) == "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
        let decoded = try Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
        #expect(decoded.hrp == "abcdef" && decoded.data == bytes)
    }

    @Test func randomAddressesRoundTripThroughBech32() throws {
        var rng = SeededRandom(seed: 0xB3C4)
        for _ in 0..<200 {
            let address = try #require(Address(bytes: rng.bytes(20)))
            let text = address.bech32
            #expect(text.hasPrefix("cairn1"))
            #expect(text.count == 5 + 1 + 32 + 6)
            #expect(try Address(bech32: text) == address)
        }
    }

    @Test func addressIsFirstTwentyBytesOfSHA256OfThePublicKey() {
        let key = PrivateKey.deterministic("bech32-test").publicKey
        #expect(key.address.bytes == Array(Hash.sha256(key.rawRepresentation).bytes.prefix(20)))
    }

    @Test func everySingleCharacterTypoIsRejectedWithBadChecksum() throws {
        var rng = SeededRandom(seed: 7)
        let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        for _ in 0..<4 {
            let text = Array(try #require(Address(bytes: rng.bytes(20))).bech32)
            // Every position after the separator, every other character of the alphabet.
            for position in 6..<text.count {
                for replacement in charset where replacement != text[position] {
                    var typo = text
                    typo[position] = replacement
                    #expect(addressErrorCode(String(typo)) == .badChecksum, "typo at \(position): \(String(typo))")
                }
            }
        }
    }

    @Test func aTypoInThePrefixIsRejectedWithBadChecksum() throws {
        let text = Array(try #require(Address(bytes: [UInt8](repeating: 9, count: 20))).bech32)
        for position in 0..<5 {
            var typo = text
            typo[position] = text[position] == "x" ? "y" : "x"
            #expect(addressErrorCode(String(typo)) == .badChecksum)
        }
    }

    @Test(arguments: ["cosmos", "cairnx", "bc", "cair"])
    func anotherPrefixIsRejected(prefix: String) {
        let text = Bech32.encode(hrp: prefix, data: [UInt8](repeating: 1, count: 20))
        #expect(addressErrorCode(text) == .wrongPrefix)
    }

    @Test(arguments: [0, 1, 19, 21, 32])
    func aPayloadOtherThanTwentyBytesIsRejected(length: Int) {
        let text = Bech32.encode(hrp: "cairn", data: [UInt8](repeating: 0xab, count: length))
        #expect(addressErrorCode(text) == .wrongLength)
    }

    @Test func mixedCaseIsRejectedButAllUpperCaseIsTheSameAddress() throws {
        let address = try #require(Address(bytes: Array(0..<20)))
        let text = address.bech32
        #expect(addressErrorCode("C" + text.dropFirst()) == .mixedCase)
        #expect(addressErrorCode(text.dropLast() + text.suffix(1).uppercased()) == .mixedCase)
        #expect(try Address(bech32: text.uppercased()) == address)
    }

    @Test(arguments: ["", "cairn", "cairn1", "cairn1qqqqq", "1qqqqqqqqqqqq", "cairnqqqqqqqqqqqqqqqqqqq"])
    func malformedStringsAreRejected(text: String) {
        #expect(addressErrorCode(text) == .malformed)
    }

    @Test func aCharacterOutsideTheAlphabetIsRejected() throws {
        let text = try #require(Address(bytes: [UInt8](repeating: 3, count: 20))).bech32
        for bad in ["b", "i", "o", "!"] {
            let typo = String(text.prefix(10)) + bad + String(text.dropFirst(11))
            #expect(addressErrorCode(typo) == .badCharacter)
        }
    }

    @Test func stringsLongerThanNinetyCharactersAreRejected() {
        let text = Bech32.encode(hrp: "cairn", data: [UInt8](repeating: 0, count: 60))
        #expect(text.count > 90)
        #expect(addressErrorCode(text) == .tooLong)
    }

    /// BIP-173 "valid bech32" test vectors.
    @Test(arguments: [
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    ])
    func bip173ValidVectorsDecodeAndReencode(vector: String) throws {
        let (hrp, data) = try Bech32.decode(vector)
        #expect(hrp == String(vector.lowercased().prefix(upTo: vector.lowercased().lastIndex(of: "1")!)))
        #expect(Bech32.encode(hrp: hrp, data: data) == vector.lowercased())
    }

    /// BIP-173 "invalid bech32" test vectors.
    @Test(arguments: [
        "\u{20}1nwldj5",
        "\u{7F}1axkwrx",
        "\u{80}1eym55h",
        "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
        "pzry9x0s0muk",
        "1pzry9x0s0muk",
        "x1b4n0q5v",
        "li1dgmt3",
        "de1lg7wt\u{FF}",
        "A1G7SGD8",
        "10a06t8",
        "1qzzfhee",
    ])
    func bip173InvalidVectorsAreRejected(vector: String) {
        #expect(throws: AddressError.self) { try Bech32.decode(vector) }
    }

    @Test func addressJSONIsItsBech32String() throws {
        let address = try #require(Address(bytes: [UInt8](repeating: 0x42, count: 20)))
        let json = try JSONEncoder().encode([address])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(address.bech32)\"]")
        #expect(try JSONDecoder().decode([Address].self, from: json) == [address])
        let typo = Data("[\"\(address.bech32.dropLast())q\"]".utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Address].self, from: typo) }
    }
}
