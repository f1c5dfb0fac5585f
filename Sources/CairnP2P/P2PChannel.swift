/// One logical stream of messages over a peer link, with its id on the wire and its send priority.
///
/// Every message carries its channel's id. A link's writer always sends the next frame of the highest-priority
/// channel that has one queued (strict priority; ties go to the lower id), so consensus votes overtake block parts
/// and mempool gossip. A channel of low priority can starve while higher ones stay busy: that is intended, the
/// consensus traffic is small and latency-bound, the rest can wait. A message on an id the link was not
/// configured with closes the link (``P2PError/Code/unknownChannel``).
public struct P2PChannel: Hashable, Sendable, CustomStringConvertible {
    /// The one-byte id carried in every data frame.
    public let id: UInt8
    /// The send priority: higher goes first.
    public let priority: UInt8
    /// A name for logs.
    public let name: String

    /// A channel from its parts.
    public init(id: UInt8, priority: UInt8, name: String) {
        self.id = id
        self.priority = priority
        self.name = name
    }

    /// Proposals, block parts of the round in progress and votes.
    public static let consensus = P2PChannel(id: 0x20, priority: 10, name: "consensus")
    /// Evidence of misbehaviour.
    public static let evidence = P2PChannel(id: 0x38, priority: 6, name: "evidence")
    /// Whole blocks for nodes catching up (block sync).
    public static let blocks = P2PChannel(id: 0x40, priority: 5, name: "blocks")
    /// Transactions gossiped between mempools.
    public static let mempool = P2PChannel(id: 0x30, priority: 3, name: "mempool")

    /// The channels every Cairn node carries, highest priority first.
    public static let standard: [P2PChannel] = [.consensus, .evidence, .blocks, .mempool]

    public var description: String { "\(name)(0x\(String(id, radix: 16)))" }

    /// `channels` in the order the writer serves them: priority descending, then id ascending.
    static func sendOrder(_ channels: [P2PChannel]) -> [P2PChannel] {
        channels.sorted { ($0.priority, UInt8.max - $0.id) > ($1.priority, UInt8.max - $1.id) }
    }
}

/// A message received on a link.
public struct PeerMessage: Sendable, Equatable {
    /// The id of the channel it came on.
    public var channel: UInt8
    /// The message, reassembled from its frames.
    public var bytes: [UInt8]

    /// A message from its parts.
    public init(channel: UInt8, bytes: [UInt8]) {
        self.channel = channel
        self.bytes = bytes
    }
}
