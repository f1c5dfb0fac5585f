/// The plaintext of one sealed frame: a type byte, then the body of that type.
///
/// ```
/// 0x01 auth       public key (32) | signature (64)          97 bytes, the first frame each way, once
/// 0x02 data       channel (1) | payload (0...65536)         a fragment; more of the message follows
/// 0x03 data-last  channel (1) | payload (0...65536)         the last (or only) fragment of a message
/// 0x04 ping       (empty)
/// 0x05 pong       (empty)
/// ```
enum Frame: Equatable, Sendable {
    case auth(publicKey: [UInt8], signature: [UInt8])
    case data(channel: UInt8, payload: ArraySlice<UInt8>, isLast: Bool)
    case ping
    case pong

    /// The largest payload of one data frame: 64 KiB. Longer messages are split across frames.
    static let maxPayload = 65_536
    /// The largest plaintext of any frame: a data frame's type and channel bytes and a full payload.
    static let maxPlaintext = 2 + maxPayload

    static let authType: UInt8 = 0x01
    static let dataType: UInt8 = 0x02
    static let dataLastType: UInt8 = 0x03
    static let pingType: UInt8 = 0x04
    static let pongType: UInt8 = 0x05

    /// The plaintext bytes.
    var encoded: [UInt8] {
        switch self {
        case .auth(let publicKey, let signature):
            return [Self.authType] + publicKey + signature
        case .data(let channel, let payload, let isLast):
            var bytes = [UInt8]()
            bytes.reserveCapacity(2 + payload.count)
            bytes.append(isLast ? Self.dataLastType : Self.dataType)
            bytes.append(channel)
            bytes.append(contentsOf: payload)
            return bytes
        case .ping:
            return [Self.pingType]
        case .pong:
            return [Self.pongType]
        }
    }

    /// Decodes an opened plaintext.
    ///
    /// - Throws: ``P2PError/Code/malformedFrame`` for an unknown type or a body of the wrong size.
    init(decoding plaintext: [UInt8]) throws(P2PError) {
        guard let type = plaintext.first else { throw P2PError(.malformedFrame, "an empty frame") }
        switch type {
        case Self.authType:
            guard plaintext.count == 97 else {
                throw P2PError(.malformedFrame, "an auth frame is 97 bytes, got \(plaintext.count)")
            }
            self = .auth(publicKey: Array(plaintext[1..<33]), signature: Array(plaintext[33..<97]))
        case Self.dataType, Self.dataLastType:
            guard plaintext.count >= 2, plaintext.count <= Self.maxPlaintext else {
                throw P2PError(.malformedFrame, "a data frame is 2 to \(Self.maxPlaintext) bytes, got \(plaintext.count)")
            }
            self = .data(channel: plaintext[1], payload: plaintext[2...], isLast: type == Self.dataLastType)
        case Self.pingType, Self.pongType:
            guard plaintext.count == 1 else {
                throw P2PError(.malformedFrame, "a ping or pong frame is 1 byte, got \(plaintext.count)")
            }
            self = type == Self.pingType ? .ping : .pong
        default:
            throw P2PError(.malformedFrame, "unknown frame type 0x\(String(type, radix: 16))")
        }
    }
}

/// Reassembles messages from data frames, one partial message per channel, and enforces the message size limit.
struct MessageAssembler: Sendable {
    let maxMessageSize: Int
    private var partial: [UInt8: [UInt8]] = [:]

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Adds one fragment; returns the whole message when `isLast`.
    ///
    /// - Throws: ``P2PError/Code/messageTooLarge`` as soon as the fragments of one message pass the limit.
    mutating func add(channel: UInt8, payload: ArraySlice<UInt8>, isLast: Bool) throws(P2PError) -> [UInt8]? {
        let sofar = partial[channel]?.count ?? 0
        guard sofar + payload.count <= maxMessageSize else {
            throw P2PError(.messageTooLarge, "a message on channel 0x\(String(channel, radix: 16)) passes the limit of \(maxMessageSize) bytes")
        }
        if isLast {
            guard var bytes = partial.removeValue(forKey: channel) else { return Array(payload) }
            bytes.append(contentsOf: payload)
            return bytes
        }
        partial[channel, default: []].append(contentsOf: payload)
        return nil
    }
}
