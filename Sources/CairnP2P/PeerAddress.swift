/// Where to dial a peer and who it must prove to be: `id@host:port`.
///
/// The host is a name, an IPv4 address or a bracketed IPv6 address (`id@[::1]:26656`).
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The id the peer must prove in the handshake.
    public var id: NodeID
    /// The host name or IP address, without brackets.
    public var host: String
    /// The TCP port (1-65535).
    public var port: Int

    /// An address from its parts.
    public init(id: NodeID, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    /// Parses `id@host:port`.
    ///
    /// - Throws: ``P2PError/Code/invalidAddress`` (or ``P2PError/Code/invalidNodeID`` for a malformed id) with a
    ///   message that names the part at fault.
    public init(parsing text: String) throws(P2PError) {
        guard !text.isEmpty else { throw P2PError(.invalidAddress, "a peer address is id@host:port, got an empty string") }
        guard let at = text.firstIndex(of: "@") else {
            throw P2PError(.invalidAddress, "the peer address \"\(text)\" has no node id: expected id@host:port")
        }
        let idText = String(text[..<at])
        let rest = text[text.index(after: at)...]
        guard !idText.isEmpty else {
            throw P2PError(.invalidAddress, "the peer address \"\(text)\" has an empty node id: expected id@host:port")
        }
        let id: NodeID
        do { id = try NodeID(hex: idText) } catch {
            throw P2PError(.invalidNodeID, "in the peer address \"\(text)\": \(error.message)")
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw P2PError(.invalidAddress, "the peer address \"\(text)\" opens an IPv6 bracket it does not close")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let afterBracket = rest[rest.index(after: close)...]
            guard afterBracket.hasPrefix(":") else {
                throw P2PError(.invalidAddress, "the peer address \"\(text)\" has no port after the IPv6 host")
            }
            portText = afterBracket.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else {
                throw P2PError(.invalidAddress, "the peer address \"\(text)\" has no port: expected id@host:port")
            }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            guard !host.contains(":") else {
                throw P2PError(.invalidAddress, "the peer address \"\(text)\" has an IPv6 host without brackets: write id@[host]:port")
            }
        }
        guard !host.isEmpty else { throw P2PError(.invalidAddress, "the peer address \"\(text)\" has an empty host") }
        guard !host.contains(where: { $0 == "@" || $0 == "/" || $0.isWhitespace }) else {
            throw P2PError(.invalidAddress, "the peer address \"\(text)\" has an invalid host \"\(host)\"")
        }
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), (1...65_535).contains(port)
        else {
            throw P2PError(.invalidAddress, "the peer address \"\(text)\" has an invalid port \"\(portText)\": expected 1-65535")
        }
        self.init(id: id, host: String(host), port: port)
    }

    /// `id@host:port`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "\(id)@[\(host)]:\(port)" : "\(id)@\(host):\(port)"
    }
}
