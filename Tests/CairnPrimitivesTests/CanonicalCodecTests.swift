import CairnPrimitives
import CairnTestSupport
import Testing

/// A value using every kind of field the canonical codec has, to exercise the reader on random input.
struct Sample: CanonicalCodable, Equatable {
    var flag: Bool
    var small: UInt8
    var word: UInt32
    var long: UInt64
    var wide: UInt128
    var hash: Hash
    var address: Address
    var name: String
    var blob: [UInt8]
    var list: [UInt64]

    func encode(to w: inout CanonicalWriter) {
        w.write(flag)
        w.write(small)
        w.write(word)
        w.write(long)
        w.write(wide)
        w.write(hash)
        w.write(address)
        w.write(name)
        w.write(bytes: blob)
        w.write(array: list) { w, v in w.write(v) }
    }

    init(from r: inout CanonicalReader) throws(DecodeError) {
        flag = try r.readBool()
        small = try r.readUInt8()
        word = try r.readUInt32()
        long = try r.readUInt64()
        wide = try r.readUInt128()
        hash = try r.readHash()
        address = try r.readAddress()
        name = try r.readString(limit: 64)
        blob = try r.readBytes(limit: 256)
        list = try r.readArray(limit: 32) { (r: inout CanonicalReader) throws(DecodeError) in try r.readUInt64() }
    }

    init(random rng: inout SeededRandom) {
        flag = Bool.random(using: &rng)
        small = UInt8.random(in: 0...255, using: &rng)
        word = UInt32.random(in: 0...UInt32.max, using: &rng)
        long = rng.next()
        wide = UInt128(rng.next()) << 64 | UInt128(rng.next())
        hash = Hash(bytes: rng.bytes(32))!
        address = Address(bytes: rng.bytes(20))!
        name = String((0..<Int.random(in: 0...15, using: &rng)).map { _ in "aé€𝄞".randomElement(using: &rng)! })
        blob = rng.bytes(Int.random(in: 0...256, using: &rng))
        list = (0..<Int.random(in: 0...32, using: &rng)).map { _ in rng.next() }
    }
}

@Suite struct CanonicalCodecTests {
    @Test func integersAreBigEndianAndFixedWidth() {
        var w = CanonicalWriter()
        w.write(UInt32(0x0102_0304))
        w.write(UInt64(5))
        w.write(UInt128(1) << 64 | 2)
        w.write(true)
        w.write("hé")
        #expect(w.bytes == [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 5]
            + [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2] + [1] + [0, 0, 0, 3, 0x68, 0xc3, 0xa9])
    }

    @Test func randomValuesRoundTrip() throws {
        var rng = SeededRandom(seed: 0xC0DEC)
        for _ in 0..<300 {
            let value = Sample(random: &rng)
            let bytes = value.canonicalBytes
            #expect(try Sample(canonicalBytes: bytes) == value)
            #expect(Sample(random: &rng).canonicalBytes != bytes)
        }
    }

    @Test func everyTruncationThrowsDecodeError() throws {
        var rng = SeededRandom(seed: 11)
        let bytes = Sample(random: &rng).canonicalBytes
        for length in 0..<bytes.count {
            #expect(throws: DecodeError.self) { try Sample(canonicalBytes: Array(bytes.prefix(length))) }
        }
    }

    @Test func trailingBytesAreRejected() throws {
        var rng = SeededRandom(seed: 12)
        let bytes = Sample(random: &rng).canonicalBytes
        for extra in [[0], [0xff], [1, 2, 3]] as [[UInt8]] {
            #expect(throws: DecodeError.self) { try Sample(canonicalBytes: bytes + extra) }
        }
        var r = CanonicalReader(bytes + [0])
        _ = try Sample(from: &r)
        #expect(!r.isAtEnd)
    }

    @Test(arguments: [UInt32(257), 1 << 20, UInt32.max])
    func lengthPrefixesAboveTheLimitAreRejectedBeforeReading(length: UInt32) {
        var w = CanonicalWriter()
        w.write(length)
        let bytes = w.bytes + [UInt8](repeating: 0, count: 300)
        var r = CanonicalReader(bytes)
        #expect(throws: DecodeError.self) { try r.readBytes(limit: 256) }
        var r2 = CanonicalReader(bytes)
        #expect(throws: DecodeError.self) { try r2.readArray(limit: 256) { (r: inout CanonicalReader) throws(DecodeError) in try r.readUInt8() } }
    }

    @Test func aLengthPrefixLongerThanTheRemainingBytesThrows() {
        var w = CanonicalWriter()
        w.write(UInt32(100))
        var r = CanonicalReader(w.bytes + [1, 2, 3])
        #expect(throws: DecodeError.self) { try r.readBytes() }
        var r2 = CanonicalReader(w.bytes)
        #expect(throws: DecodeError.self) { try r2.readArray { (r: inout CanonicalReader) throws(DecodeError) in try r.readUInt64() } }
    }

    @Test(arguments: [UInt8(2), 0x80, 0xff])
    func booleansOtherThanZeroOrOneAreRejected(byte: UInt8) {
        var r = CanonicalReader([byte])
        #expect(throws: DecodeError.self) { try r.readBool() }
    }

    @Test func invalidUTF8StringsAreRejected() {
        for raw in [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0x61, 0x80]] as [[UInt8]] {
            var w = CanonicalWriter()
            w.write(bytes: raw)
            var r = CanonicalReader(w.bytes)
            #expect(throws: DecodeError.self) { try r.readString() }
        }
    }

    @Test func randomBytesDecodeOrThrowButNeverCrash() {
        var rng = SeededRandom(seed: 0xF022)
        var decoded = 0
        for _ in 0..<3_000 {
            let bytes = rng.bytes(Int.random(in: 0...400, using: &rng))
            if (try? Sample(canonicalBytes: bytes)) != nil { decoded += 1 }
        }
        // Mutations of valid encodings reach deeper into the decoder than pure noise.
        for _ in 0..<3_000 {
            var bytes = Sample(random: &rng).canonicalBytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let value = try? Sample(canonicalBytes: bytes) {
                #expect(value.canonicalBytes == bytes)
                decoded += 1
            }
        }
        #expect(decoded > 0)
    }
}
