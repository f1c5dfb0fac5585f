public import CairnPrimitives
public import CairnLedger
public import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif

/// A client of a node's HTTP API.
public struct NodeClient: Sendable {
    public let baseURL: URL
    let session: URLSession

    public init(url: String) throws(ClientError) {
        guard let u = URL(string: url), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            throw ClientError("'\(url)' is not an http:// or https:// URL")
        }
        baseURL = u
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 30
        session = URLSession(configuration: config)
    }

    func request<T: Decodable>(_ path: String, method: String = "GET", body: Data? = nil, as: T.Type) async throws(ClientError) -> T {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw ClientError("bad path \(path)") }
        var req = URLRequest(url: url)
        req.httpMethod = method
        if let body {
            req.httpBody = body
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.boundedData(for: req)
        } catch {
            throw ClientError("cannot reach the node at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: data) {
                throw ClientError(e.error.message, code: e.error.code, status: status)
            }
            throw ClientError("the node answered HTTP \(status)", status: status)
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ClientError("unexpected response from the node: \(error)")
        }
    }

    /// The JSON the node serves under `path`, decoded as `type` (module queries with known views).
    public func get<T: Decodable>(_ path: String, as type: T.Type) async throws(ClientError) -> T { try await request(path, as: type) }

    /// Any JSON the node serves under `path` (module queries).
    public func get(_ path: String) async throws(ClientError) -> JSONValue { try await request(path, as: JSONValue.self) }

    public func status() async throws(ClientError) -> StatusView { try await request("/v1/status", as: StatusView.self) }

    public func account(_ address: Address, prove: Bool = false) async throws(ClientError) -> AccountView {
        try await request("/v1/accounts/\(address.bech32)\(prove ? "?prove=true" : "")", as: AccountView.self)
    }

    /// A block by height, or the latest with `nil`.
    public func block(_ height: UInt64?) async throws(ClientError) -> BlockView {
        try await request("/v1/blocks/\(height.map(String.init) ?? "latest")", as: BlockView.self)
    }

    /// Block `height` once it is committed, or nil when it is not within `limit` (the node waits; one request).
    public func waitForBlock(_ height: UInt64, limit: Duration) async throws(ClientError) -> BlockView? {
        do {
            return try await request("/v1/blocks/\(height)?wait_ms=\(Self.milliseconds(limit))", as: BlockView.self)
        } catch where error.status == 404 {
            return nil
        }
    }

    /// `d` in whole milliseconds for a `wait_ms` query, within what the node accepts.
    static func milliseconds(_ d: Duration) -> Int {
        let (seconds, attoseconds) = d.components
        return Int(max(0, min(30_000, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)))
    }

    /// A committed transaction as JSON (messages are shown by their module's JSON form).
    public func transaction(_ hash: Hash) async throws(ClientError) -> JSONValue {
        try await request("/v1/txs/\(hash.hex)", as: JSONValue.self)
    }

    /// A committed transaction's receipt, or nil while it is not yet in a block; with `wait`, the node holds the
    /// request until a block includes it or `wait` passes.
    public func receipt(_ hash: Hash, wait: Duration? = nil) async throws(ClientError) -> Receipt? {
        struct Only: Decodable { var receipt: Receipt }
        do {
            return try await request("/v1/txs/\(hash.hex)\(wait.map { "?wait_ms=\(Self.milliseconds($0))" } ?? "")", as: Only.self).receipt
        } catch where error.status == 404 {
            return nil
        }
    }

    /// Submits a signed transaction; returns its hash once the mempool accepted it.
    public func submit(_ tx: Transaction) async throws(ClientError) -> Hash {
        let body: Data
        do { body = try JSONEncoder().encode(SubmitRequest(tx: tx.canonicalBytes.hexString)) } catch { throw ClientError("\(error)") }
        return try await request("/v1/txs", method: "POST", body: body, as: SubmitResponse.self).hash
    }

    /// Waits until the transaction is in a block, or fails after `timeout`. The node holds each request until the
    /// block that includes it (`wait_ms`), so the receipt comes as soon as the block is committed; `poll` is the pause
    /// between requests to a node that answers without waiting.
    public func waitForReceipt(_ hash: Hash, timeout: Duration = .seconds(30), poll: Duration = .milliseconds(200)) async throws(ClientError) -> Receipt {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let asked = ContinuousClock.now
            let wait = min(deadline - asked, .seconds(10))
            if let r = try await receipt(hash, wait: wait) { return r }
            if ContinuousClock.now - asked < wait { try? await Task.sleep(for: poll) }
        }
        throw ClientError("transaction \(hash) was not included within \(timeout)")
    }
}

/// A client-side failure: a message, and the node's error code and HTTP status when it answered one.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let code: String?
    public let status: Int?

    public init(_ message: String, code: String? = nil, status: Int? = nil) {
        self.message = message
        self.code = code
        self.status = status
    }

    public var description: String { code.map { "\(message) [\($0)]" } ?? message }
}
