/// The messages waiting to be sent on one link: a bounded FIFO per channel, drained by strict priority one frame
/// at a time, so a long message on a low channel is interleaved with (and overtaken by) higher ones.
///
/// Pure: the link's state machine owns it under its lock.
struct SendQueue: Sendable {
    private struct Lane: Sendable {
        let channel: P2PChannel
        var messages: [[UInt8]] = []
        /// The index of the first message not yet fully sent.
        var head = 0
        /// The bytes of `messages[head]` already sent.
        var offset = 0

        var count: Int { messages.count - head }
    }

    /// The most messages one channel may hold (including the one being sent).
    let capacity: Int
    private var lanes: [Lane]
    private var laneOfChannel: [UInt8: Int]

    /// A queue for `channels`, each holding at most `capacity` messages.
    init(channels: [P2PChannel], capacity: Int) {
        precondition(capacity > 0, "a send queue holds at least one message per channel")
        self.capacity = capacity
        lanes = P2PChannel.sendOrder(channels).map { Lane(channel: $0) }
        laneOfChannel = Dictionary(lanes.enumerated().map { ($1.channel.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether the link carries `channel`.
    func carries(_ channel: UInt8) -> Bool { laneOfChannel[channel] != nil }

    /// The messages queued on `channel`, the one being sent included.
    func count(_ channel: UInt8) -> Int { laneOfChannel[channel].map { lanes[$0].count } ?? 0 }

    /// Whether nothing is queued.
    var isEmpty: Bool { lanes.allSatisfy { $0.count == 0 } }

    /// Queues `bytes` on `channel` (which the link must carry); false when that channel already holds `capacity`.
    mutating func enqueue(_ bytes: [UInt8], on channel: UInt8) -> Bool {
        guard let i = laneOfChannel[channel] else { preconditionFailure("channel 0x\(String(channel, radix: 16)) is not carried") }
        guard lanes[i].count < capacity else { return false }
        lanes[i].messages.append(bytes)
        return true
    }

    /// The next data frame to send: the next fragment of the head message of the highest-priority non-empty channel.
    ///
    /// - Returns: the frame, and the channel whose message it finished (so a sender waiting for room can go on).
    mutating func nextFrame() -> (frame: Frame, finished: UInt8?)? {
        guard let i = lanes.firstIndex(where: { $0.count > 0 }) else { return nil }
        let message = lanes[i].messages[lanes[i].head]
        let start = lanes[i].offset
        let end = min(message.count, start + Frame.maxPayload)
        let isLast = end == message.count
        let channel = lanes[i].channel.id
        let frame = Frame.data(channel: channel, payload: message[start..<end], isLast: isLast)
        if isLast {
            lanes[i].messages[lanes[i].head] = []
            lanes[i].head += 1
            lanes[i].offset = 0
            // Reclaim the sent prefix once it is most of the array.
            if lanes[i].head >= 16, lanes[i].head * 2 >= lanes[i].messages.count {
                lanes[i].messages.removeSubrange(0..<lanes[i].head)
                lanes[i].head = 0
            }
        } else {
            lanes[i].offset = end
        }
        return (frame, isLast ? channel : nil)
    }
}
