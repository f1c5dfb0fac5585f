@preconcurrency import Crypto
import Foundation

/// The sizes of a sealed frame on the wire: `length (UInt32 BE) | ciphertext | tag (16)`.
///
/// `length` counts the ciphertext and the tag (everything after the length field) and is the associated data of
/// the AEAD, so it cannot be changed without the frame failing to open. The nonce is never sent: it is 4 zero bytes
/// and the big-endian 64-bit count of frames already sealed in that direction, so a replayed, reordered or dropped
/// frame fails to open.
enum FrameCodec {
    /// The bytes of the length field.
    static let headerSize = 4
    /// The bytes of the Poly1305 tag.
    static let tagSize = 16
    /// The smallest valid length field: a one-byte plaintext and the tag.
    static let minLength = 1 + tagSize
    /// The largest valid length field: the largest plaintext and the tag (65,554).
    static let maxLength = Frame.maxPlaintext + tagSize

    /// The 12-byte nonce of frame number `counter`.
    static func nonce(_ counter: UInt64) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(i))) }
        // Safe: a ChaChaPoly nonce is exactly 12 bytes.
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    static func header(_ length: Int) -> [UInt8] {
        let v = UInt32(length)
        return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }
}

/// Seals the frames of one direction of a link with its key and counter. Owned by the link's one writer.
struct FrameSealer: Sendable {
    let key: SymmetricKey
    /// The number of frames sealed so far, which is the nonce of the next.
    private(set) var counter: UInt64 = 0

    init(key: SymmetricKey) {
        self.key = key
    }

    /// The wire bytes of `frame`.
    mutating func seal(_ frame: Frame) throws(P2PError) -> [UInt8] {
        try seal(plaintext: frame.encoded)
    }

    /// The wire bytes of a frame holding `plaintext` (1 to ``Frame/maxPlaintext`` bytes).
    mutating func seal(plaintext: [UInt8]) throws(P2PError) -> [UInt8] {
        precondition(!plaintext.isEmpty && plaintext.count <= Frame.maxPlaintext, "a frame plaintext is 1 to \(Frame.maxPlaintext) bytes")
        // The last counter value is never used, so that no nonce can repeat.
        guard counter < UInt64.max else { throw P2PError(.nonceExhausted, "this link has sealed 2^64-1 frames") }
        let header = FrameCodec.header(plaintext.count + FrameCodec.tagSize)
        let box: ChaChaPoly.SealedBox
        do { box = try ChaChaPoly.seal(plaintext, using: key, nonce: FrameCodec.nonce(counter), authenticating: header) } catch {
            throw P2PError(.authenticationFailed, "cannot seal a frame", cause: error)
        }
        counter += 1
        var out = header
        out.reserveCapacity(FrameCodec.headerSize + plaintext.count + FrameCodec.tagSize)
        out.append(contentsOf: box.ciphertext)
        out.append(contentsOf: box.tag)
        return out
    }
}

/// Splits the received byte stream of one direction into frames and opens them in order. Owned by the link's
/// one reader. After it throws once, the link is closed and it is not used again.
struct FrameOpener: Sendable {
    let key: SymmetricKey
    /// The number of frames opened so far, which is the nonce the next must have been sealed with.
    private(set) var counter: UInt64 = 0
    private var buffer: [UInt8] = []
    private var start = 0

    init(key: SymmetricKey) {
        self.key = key
    }

    /// The bytes received and not yet consumed by a whole frame.
    var bufferedByteCount: Int { buffer.count - start }

    /// Appends received bytes.
    mutating func append(_ bytes: some Collection<UInt8>) {
        // Drop consumed bytes once they are most of the buffer, so a long link does not copy on every read.
        if start > 0, start >= buffer.count - start {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, opened and decoded, or nil when more bytes are needed.
    ///
    /// - Throws: ``P2PError/Code/frameTooLarge`` as soon as a length field above the maximum arrives (before its
    ///   body), ``P2PError/Code/malformedFrame`` for one below the minimum or a bad plaintext,
    ///   ``P2PError/Code/authenticationFailed`` when the frame does not open with this key and counter.
    mutating func next() throws(P2PError) -> Frame? {
        guard let plaintext = try nextPlaintext() else { return nil }
        return try Frame(decoding: plaintext)
    }

    /// The plaintext of the next whole frame, or nil when more bytes are needed.
    mutating func nextPlaintext() throws(P2PError) -> [UInt8]? {
        guard bufferedByteCount >= FrameCodec.headerSize else { return nil }
        let length = buffer[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= FrameCodec.maxLength else {
            throw P2PError(.frameTooLarge, "a frame of \(length) bytes is above the maximum of \(FrameCodec.maxLength)")
        }
        guard length >= FrameCodec.minLength else {
            throw P2PError(.malformedFrame, "a frame of \(length) bytes is below the minimum of \(FrameCodec.minLength)")
        }
        guard bufferedByteCount >= FrameCodec.headerSize + length else { return nil }
        let header = buffer[start..<start + 4]
        let body = start + 4
        let tagStart = body + length - FrameCodec.tagSize
        let plaintext: Data
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: FrameCodec.nonce(counter), ciphertext: buffer[body..<tagStart], tag: buffer[tagStart..<body + length])
            plaintext = try ChaChaPoly.open(box, using: key, authenticating: header)
        } catch {
            throw P2PError(.authenticationFailed, "frame \(counter) does not open: tampered, replayed, reordered or dropped")
        }
        counter += 1
        start = body + length
        return Array(plaintext)
    }

    /// Checks the stream ended on a frame boundary.
    ///
    /// - Throws: ``P2PError/Code/truncatedFrame`` when part of a frame was left unread.
    func checkEnd() throws(P2PError) {
        guard bufferedByteCount == 0 else {
            throw P2PError(.truncatedFrame, "the stream ended \(bufferedByteCount) bytes into a frame")
        }
    }
}
