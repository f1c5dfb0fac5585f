/// One Server-Sent Event: its `event:` name (nil for the default `message`) and its `data:` lines joined by newlines.
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String?
    public var data: String

    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }

    /// The event as it goes on the wire, ending with the blank line that dispatches it.
    public var encoded: String {
        var text = event.map { "event: \($0)\n" } ?? ""
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return text + "\n"
    }
}

/// Splits a Server-Sent Events byte stream into events, as the WHATWG parsing rules say: lines end in LF, CR LF
/// or CR; a blank line dispatches; `:` lines are comments; an event without data is dropped.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var event: String?
    private var data: [String] = []
    private var hasData = false
    /// The longest line kept (a misbehaving server cannot grow memory without bound).
    public let maxLineBytes: Int

    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds bytes and returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(WireError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == 0x0A, lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let e = endLine() { events.append(e) }
            } else {
                guard line.count < maxLineBytes else { throw WireError("an event-stream line is longer than \(maxLineBytes) bytes") }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                event = nil
                data = []
                hasData = false
            }
            guard hasData else { return nil }
            return ServerSentEvent(event: event, data: data.joined(separator: "\n"))
        }
        if line[0] == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data":
            data.append(String(value))
            hasData = true
        default: break
        }
        return nil
    }
}

/// Bytes from another process that do not follow the protocol.
public struct WireError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
