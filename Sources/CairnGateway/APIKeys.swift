import Foundation
import Crypto

/// The API keys a gateway accepts, by name. With none, every request is served under the name `local` (and the
/// gateway listens on loopback only).
public struct APIKeys: Sendable {
    /// Name by SHA-256 of the secret, so a lookup does not compare secrets byte by byte.
    let names: [Data: String]

    public init(_ keys: [(name: String, secret: String)]) throws(GatewayError) {
        var names: [Data: String] = [:]
        for (name, secret) in keys {
            guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
                throw GatewayError("API key name '\(name.prefix(64))' must be 1 to 64 letters, digits, '-', '_', '.', '@'")
            }
            guard secret.count >= 8 else { throw GatewayError("the API key named \(name) is shorter than 8 characters") }
            let digest = Data(SHA256.hash(data: Data(secret.utf8)))
            guard names[digest] == nil else { throw GatewayError("the API key named \(name) is given twice") }
            names[digest] = name
        }
        self.names = names
    }

    /// No keys: an open gateway.
    public static let open = try! APIKeys([])

    public var isEmpty: Bool { names.isEmpty }
    public var count: Int { names.count }

    /// Keys from the command line (`SECRET` or `NAME:SECRET`; unnamed ones are `key1`, `key2`, ...) and from a keys file
    /// (one `NAME:SECRET` per line; blank lines and `#` comments skipped).
    public static func parse(arguments: [String], file: String?) throws(GatewayError) -> APIKeys {
        var keys: [(String, String)] = []
        func entry(_ text: Substring, fallback: String) -> (String, String) {
            if let colon = text.firstIndex(of: ":") { return (String(text[..<colon]), String(text[text.index(after: colon)...])) }
            return (fallback, String(text))
        }
        for (i, a) in arguments.enumerated() { keys.append(entry(a[...], fallback: "key\(i + 1)")) }
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw GatewayError("cannot read the keys file \(file): \(error.localizedDescription)")
            }
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard line.contains(":") else { throw GatewayError("\(file) line \(n + 1): expected NAME:SECRET") }
                keys.append(entry(line[...], fallback: ""))
            }
        }
        return try APIKeys(keys)
    }

    /// The key's name for an `Authorization` header, `local` for an open gateway, or nil when refused.
    public func name(authorization: String?) -> String? {
        if names.isEmpty { return "local" }
        guard let header = authorization, header.lowercased().hasPrefix("bearer ") else { return nil }
        let secret = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return names[Data(SHA256.hash(data: Data(secret.utf8)))]
    }
}
