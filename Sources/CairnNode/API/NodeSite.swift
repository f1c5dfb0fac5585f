/// A website the node serves beside its JSON API, such as the explorer: it answers GET requests under `root`.
///
/// The site renders its own pages and never sees the HTTP framework; the node's API routes each request to it.
public protocol NodeSite: Sendable {
    /// The path the site lives under, such as `/explorer`.
    var root: String { get }
    /// Answers a GET request for `path` below `root` (empty for the root itself, else starting with `/`).
    func get(path: String, query: [String: String]) async -> SiteResponse
}

/// A site's answer: status, content type, extra headers and body.
public struct SiteResponse: Sendable {
    public var status: Int
    public var contentType: String
    /// Other headers, such as `Location` or `Cache-Control`.
    public var headers: [(name: String, value: String)]
    public var body: String

    public init(status: Int, contentType: String, headers: [(name: String, value: String)] = [], body: String) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}
