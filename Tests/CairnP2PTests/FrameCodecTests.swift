import Crypto
import Testing
@testable import CairnP2P

@Suite struct FrameCodecTests {
    let key = SymmetricKey(size: .bits256)

    /// Three sealed frames of one direction, in order.
    func threeFrames() throws -> [[UInt8]] {
        var sealer = FrameSealer(key: key)
        return try (0..<3).map { i in
            try sealer.seal(.data(channel: 0x20, payload: ArraySlice([UInt8](repeating: UInt8(i), count: 10 + i)), isLast: true))
        }
    }

    /// The code the opener throws for `bytes`, fed whole; nil when every frame opened.
    func openFailure(_ chunks: [[UInt8]], atEnd: Bool = false) -> P2PError.Code? {
        var opener = FrameOpener(key: key)
        do {
            for chunk in chunks {
                opener.append(chunk)
                while try opener.next() != nil {}
            }
            if atEnd { try opener.checkEnd() }
            return nil
        } catch {
            return error.code
        }
    }

    @Test func framesRoundTripInOrderAcrossArbitraryChunks() throws {
        let frames = try threeFrames()
        let wire = frames.flatMap { $0 }
        #expect(wire.count == frames.map(\.count).reduce(0, +))
        #expect(frames[0].count == 4 + 2 + 10 + 16)
        // The length field counts everything after it.
        #expect(Array(frames[0].prefix(4)) == [0, 0, 0, UInt8(2 + 10 + 16)])
        var opener = FrameOpener(key: key)
        var opened = [Frame]()
        var offset = 0
        var step = 1
        while offset < wire.count {
            let end = min(wire.count, offset + step)
            opener.append(wire[offset..<end])
            while let frame = try opener.next() { opened.append(frame) }
            offset = end
            step += 3
        }
        try opener.checkEnd()
        #expect(opened.count == 3)
        #expect(opened[2] == .data(channel: 0x20, payload: ArraySlice([UInt8](repeating: 2, count: 12)), isLast: true))
        #expect(opener.counter == 3)
    }

    @Test func aTamperedByteFailsAuthentication() throws {
        var frames = try threeFrames()
        #expect(openFailure(frames) == nil)
        for index in [4, frames[0].count / 2, frames[0].count - 1] {
            var tampered = frames
            tampered[0][index] ^= 0x01
            #expect(openFailure(tampered) == .authenticationFailed, "byte \(index)")
        }
        // The length is authenticated too: a frame re-framed one byte shorter does not open.
        frames[0][3] -= 1
        frames[0].removeLast()
        #expect(openFailure([frames[0]]) == .authenticationFailed)
    }

    @Test func aReplayedFrameFails() throws {
        let frames = try threeFrames()
        #expect(openFailure([frames[0], frames[1], frames[1]]) == .authenticationFailed)
        #expect(openFailure([frames[0], frames[0]]) == .authenticationFailed)
    }

    @Test func aReorderedOrDroppedFrameFails() throws {
        let frames = try threeFrames()
        #expect(openFailure([frames[1], frames[0]]) == .authenticationFailed)
        #expect(openFailure([frames[0], frames[2], frames[1]]) == .authenticationFailed)
        #expect(openFailure([frames[0], frames[2]]) == .authenticationFailed)
    }

    @Test func aFrameSealedWithAnotherKeyFails() throws {
        var other = FrameSealer(key: SymmetricKey(size: .bits256))
        #expect(openFailure([try other.seal(.ping)]) == .authenticationFailed)
    }

    @Test func aTruncatedFrameFailsAtTheEndOfTheStream() throws {
        let frames = try threeFrames()
        #expect(openFailure([frames[0], Array(frames[1].dropLast(5))], atEnd: true) == .truncatedFrame)
        #expect(openFailure([Array(frames[0].prefix(2))], atEnd: true) == .truncatedFrame)
        #expect(openFailure([frames[0], frames[1]], atEnd: true) == nil)
    }

    @Test func anOversizedLengthFailsBeforeItsBodyArrives() {
        let tooLong = FrameCodec.maxLength + 1
        let header = [UInt8(tooLong >> 24), UInt8(tooLong >> 16 & 0xff), UInt8(tooLong >> 8 & 0xff), UInt8(tooLong & 0xff)]
        #expect(openFailure([header]) == .frameTooLarge)
        #expect(openFailure([[0xff, 0xff, 0xff, 0xff]]) == .frameTooLarge)
        // Below the minimum (a tag and one byte) is malformed.
        #expect(openFailure([[0, 0, 0, 16] + [UInt8](repeating: 0, count: 16)]) == .malformedFrame)
    }

    @Test func aFrameOfTheMaximumSizeRoundTrips() throws {
        var sealer = FrameSealer(key: key)
        let payload = [UInt8](repeating: 7, count: Frame.maxPayload)
        let wire = try sealer.seal(.data(channel: 1, payload: payload[...], isLast: false))
        #expect(wire.count == 4 + FrameCodec.maxLength)
        var opener = FrameOpener(key: key)
        opener.append(wire)
        #expect(try opener.next() == .data(channel: 1, payload: payload[...], isLast: false))
    }

    @Test func anUnknownFrameTypeIsMalformed() throws {
        var sealer = FrameSealer(key: key)
        #expect(openFailure([try sealer.seal(plaintext: [0x7f])]) == .malformedFrame)
        var again = FrameSealer(key: key)
        #expect(openFailure([try again.seal(plaintext: [Frame.pingType, 0])]) == .malformedFrame)
    }

    @Test func theAssemblerJoinsFragmentsPerChannelAndEnforcesTheLimit() throws {
        var assembler = MessageAssembler(maxMessageSize: 10)
        #expect(try assembler.add(channel: 1, payload: [1, 2, 3], isLast: false) == nil)
        #expect(try assembler.add(channel: 2, payload: [9], isLast: true) == [9])
        #expect(try assembler.add(channel: 1, payload: [4, 5], isLast: true) == [1, 2, 3, 4, 5])
        #expect(try assembler.add(channel: 1, payload: [], isLast: true) == [])
        #expect(try assembler.add(channel: 3, payload: ArraySlice(repeating: 0, count: 6), isLast: false) == nil)
        #expect(errorCode { try assembler.add(channel: 3, payload: ArraySlice(repeating: 0, count: 5), isLast: true) } == .messageTooLarge)
        var fresh = MessageAssembler(maxMessageSize: 10)
        #expect(errorCode { try fresh.add(channel: 4, payload: ArraySlice(repeating: 0, count: 11), isLast: true) } == .messageTooLarge)
        #expect(try fresh.add(channel: 4, payload: ArraySlice(repeating: 0, count: 10), isLast: true)?.count == 10)
    }
}
