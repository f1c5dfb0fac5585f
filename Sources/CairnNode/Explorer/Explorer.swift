public import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnStorage
import CairnModels
import CairnMarket
import CairnGovernance
import Foundation

/// The network explorer: server-rendered pages at `/explorer`, read from the same store as the JSON API and
/// from the explorer index the node keeps beside its blocks. No script, and nothing loaded from elsewhere.
public struct Explorer: Sendable {
    let node: Node
    /// Rows per page of every list.
    static let pageSize = 25

    public init(node: Node) { self.node = node }

    var chain: Chain { node.chain }

    /// A page that could not be shown: its status, a title and what went wrong, in words.
    struct Failure: Error {
        let status: HTTPResponse.Status
        let title: String
        let message: String
        /// A page to go to instead, with its link text.
        var seeAlso: (href: String, text: String)?

        static func badInput(_ message: String) -> Failure { Failure(status: .badRequest, title: "Bad request", message: message) }
        static func notFound(_ message: String) -> Failure { Failure(status: .notFound, title: "Not found", message: message) }
    }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/explorer") { req, _ in page(req) { try overview() } }
        router.get("/explorer/style.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: ExplorerStyle.css)))
        }
        router.get("/explorer/search") { req, _ in page(req) { try search(req.uri.queryParameters.get("q") ?? "") } }
        router.get("/explorer/blocks") { req, _ in page(req) { try blocks(before: try cursor(req, "before")) } }
        router.get("/explorer/blocks/:id") { req, ctx in page(req) { try block(ctx.parameters.get("id") ?? "") } }
        router.get("/explorer/txs") { req, _ in page(req) { try transactions(before: try position(req)) } }
        router.get("/explorer/txs/:hash") { req, ctx in page(req) { try transaction(ctx.parameters.get("hash") ?? "") } }
        router.get("/explorer/accounts/:address") { req, ctx in
            page(req) { try account(ctx.parameters.get("address") ?? "", before: try position(req)) }
        }
        router.get("/explorer/providers") { req, _ in page(req) { try providers() } }
        router.get("/explorer/providers/:address") { req, ctx in
            page(req) { try provider(ctx.parameters.get("address") ?? "", before: try position(req)) }
        }
        router.get("/explorer/models") { req, _ in page(req) { try models(after: try cursor(req, "after")) } }
        router.get("/explorer/models/:id") { req, ctx in page(req) { try model(ctx.parameters.get("id") ?? "", before: try position(req)) } }
        router.get("/explorer/channels") { req, _ in page(req) { try channels(before: try cursor(req, "before")) } }
        router.get("/explorer/channels/:id") { req, ctx in
            page(req) { try channel(ctx.parameters.get("id") ?? "", before: try position(req)) }
        }
        router.get("/explorer/proposals") { req, _ in page(req) { try proposals(before: try cursor(req, "before")) } }
        router.get("/explorer/proposals/:id") { req, ctx in
            page(req) { try proposal(ctx.parameters.get("id") ?? "", before: try position(req)) }
        }
        router.get("/explorer/**") { req, _ in
            page(req) { throw Failure.notFound("There is no explorer page at \(req.uri.path.prefix(200)).") }
        }
    }

    // MARK: Pages and their frame

    /// What a page handler returns: its title and body, or a redirect.
    enum Output {
        case page(title: String, body: HTML)
        case redirect(String)
    }

    /// Renders `body`'s page in the frame, or the failure page; never lets an error out as a bare 500.
    func page(_ request: Request, _ body: () throws -> Output) -> Response {
        do {
            switch try body() {
            case let .page(title, html):
                return respond(.ok, title: title, body: html)
            case let .redirect(location):
                return Response(status: .found, headers: [.location: location, .contentType: "text/html; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "<a href=\"\(HTML.escape(location))\">\(HTML.escape(location))</a>")))
            }
        } catch let f as Failure {
            return failure(f)
        } catch let e as APIError {
            return failure(Failure(status: e.status, title: e.status == .notFound ? "Not found" : "Bad request", message: e.message))
        } catch {
            return failure(Failure(status: .internalServerError, title: "Something went wrong",
                                   message: "The node could not read this page: \(error)"))
        }
    }

    func failure(_ f: Failure) -> Response {
        respond(f.status, title: f.title, body: """
            <h1>\(f.title)</h1>
            <p class="error">\(f.message)</p>
            \(f.seeAlso.map { HTML("<p>\(HTML.link($0.href, $0.text))</p>") } ?? "")
            <p>Search by block height, block or transaction hash, address or model name above, or go back to the \(HTML.link("/explorer", "overview")).</p>
            """)
    }

    func respond(_ status: HTTPResponse.Status, title: String, body: HTML) -> Response {
        let html: HTML = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Cairn explorer</title><link rel="stylesheet" href="/explorer/style.css"><link rel="icon" href="data:,"></head>
            <body><header><a class="brand" href="/explorer">Cairn explorer</a>
            <nav><a href="/explorer/blocks">Blocks</a><a href="/explorer/txs">Transactions</a><a href="/explorer/providers">Providers</a><a href="/explorer/models">Models</a><a href="/explorer/channels">Channels</a><a href="/explorer/proposals">Governance</a></nav>
            <form action="/explorer/search" method="get"><input type="search" name="q" placeholder="Height, hash, address, model" aria-label="Search"><button>Search</button></form>
            </header><main>\(body)</main>
            <footer>Chain \(node.chainID) · served by this node · <a href="/v1/status">JSON API</a></footer></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html.markup)))
    }

    // MARK: Query parameters

    /// An unsigned number from the query, or nil when absent.
    func cursor(_ req: Request, _ name: String) throws -> UInt64? {
        guard let text = req.uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let v = UInt64(text) else { throw Failure.badInput("'\(name)' must be a whole number from 0 to \(UInt64.max), not '\(text.prefix(60))'.") }
        return v
    }

    /// A `before=HEIGHT.INDEX` position in a list of transactions (index -1: a block's own events).
    func position(_ req: Request) throws -> IndexPosition? {
        guard let text = req.uri.queryParameters.get("before"), !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = UInt64(parts[0]), let i = Int32(parts[1]), i >= -1 else {
            throw Failure.badInput("'before' must be a position HEIGHT.INDEX, not '\(text.prefix(60))'.")
        }
        return IndexPosition(height: h, index: i)
    }

    func address(_ text: String) throws -> Address {
        do { return try Address(bech32: text) } catch {
            throw Failure.badInput("'\(text.prefix(100))' is not a Cairn address: \(error.description)")
        }
    }

    func id(_ text: String, what: String) throws -> UInt64 {
        guard let v = UInt64(text) else { throw Failure.badInput("'\(text.prefix(60))' is not a \(what) id (a whole number).") }
        return v
    }

    // MARK: Search

    func search(_ raw: String) throws -> Output {
        let q = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { throw Failure.badInput("Type a block height, a block or transaction hash, an address or a model name.") }
        guard q.utf8.count <= 200 else { throw Failure.badInput("A search is at most 200 characters.") }
        let head = try chain.head().height
        if let h = UInt64(q) {
            guard h <= head else { throw Failure.notFound("Nothing found for '\(q)': the chain's height is \(head).") }
            return .redirect("/explorer/blocks/\(h)")
        }
        let hex = q.lowercased().hasPrefix("0x") ? String(q.dropFirst(2)) : q
        if let hash = Hash(hex: hex) {
            if try chain.store.read({ try $0.transaction(hash) }) != nil { return .redirect("/explorer/txs/\(hash.hex)") }
            if let h = try chain.store.read({ try $0.height(ofBlock: hash) }) { return .redirect("/explorer/blocks/\(h)") }
            throw Failure.notFound("Nothing found for '\(q)': no block or transaction has this hash.")
        }
        if q.lowercased().hasPrefix(Address.prefix + "1") {
            let a = try address(q.lowercased())
            if try chain.withState({ try LedgerWiring.market.providerView(a, state: $0) }) != nil {
                return .redirect("/explorer/providers/\(a.bech32)")
            }
            return .redirect("/explorer/accounts/\(a.bech32)")
        }
        if let m = try chain.withState({ try LedgerWiring.models.model(named: q, state: $0) }) {
            return .redirect("/explorer/models/\(m.id)")
        }
        let lower = q.lowercased()
        for prefix in ["proposal ", "proposal#", "#"] where lower.hasPrefix(prefix) {
            if let id = UInt64(lower.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)),
               try chain.withState({ try LedgerWiring.gov.proposal(id, state: $0) }) != nil {
                return .redirect("/explorer/proposals/\(id)")
            }
        }
        throw Failure.notFound("Nothing found for '\(q)'.")
    }

    // MARK: Shared parts

    func stats(at height: UInt64) throws -> BlockStats? {
        try chain.store.read { try $0.blockStats(at: height) }.map { try BlockStats(canonicalBytes: $0) }
    }

    /// A list of transactions (and block events) as rows, with a link to the next page.
    func activity(_ positions: [IndexPosition], more: (IndexPosition) -> String) throws -> HTML {
        var rows: [[HTML]] = []
        for p in positions.prefix(Self.pageSize) {
            if p.index == IndexBatch.blockEvents {
                rows.append([Links.block(p.height), "<span class=\"muted\">block events</span>", "", "", "", ""])
                continue
            }
            guard let record = try chain.store.read({ try $0.transaction(height: p.height, index: Int(p.index)) }) else { continue }
            rows.append(try txRow(record))
        }
        var html = Table.make(["Block", "Transaction", "From", "Messages", "Fee", "Result"], rows, numeric: [4], empty: "No activity yet.")
        if positions.count > Self.pageSize, let last = positions.prefix(Self.pageSize).last {
            html = "\(html)<p class=\"pager\">\(HTML.link(more(last), "Older →"))</p>"
        }
        return html
    }

    func txRow(_ record: StoredTransactionRecord) throws -> [HTML] {
        let tx = try Transaction(canonicalBytes: record.bytes)
        let receipt = try Receipt(canonicalBytes: record.receipt)
        let types = Set(tx.body.messages.map(\.type)).sorted().joined(separator: ", ")
        return [Links.block(record.height), Links.tx(record.hash), Links.account(tx.body.sender), HTML(text: types),
                HTML(text: Format.cairn(receipt.fee)), result(receipt)]
    }

    func result(_ r: Receipt) -> HTML {
        r.success ? "<span class=\"ok\">ok</span>" : "<span class=\"failed\" title=\"\(r.error?.message ?? "")\">failed</span>"
    }

    func modelNames() throws -> [UInt64: String] {
        var names: [UInt64: String] = [:]
        var after: UInt64?
        while true {
            let page = try chain.withState { try LedgerWiring.models.models(state: $0, after: after, limit: 100) }
            for m in page { names[m.id] = m.name }
            guard page.count == 100, let last = page.last else { return names }
            after = last.id
        }
    }
}
