import CairnPrimitives
import CairnLedger
import CairnStorage
import CairnModels
import CairnMarket
import CairnGovernance
import CairnApp
public import CairnChain
public import CairnNode
import Foundation

/// The network explorer: server-rendered pages at `/explorer`, read from the chain (`ChainReader`) and from the
/// explorer's own index beside it (`ExplorerStore`). No script, and nothing loaded from elsewhere.
///
/// The node serves it as one of its sites; the explorer never sees the HTTP framework.
public struct Explorer: NodeSite {
    let chain: any ChainReader
    let store: any ExplorerStore
    /// Keeps the index the pages read.
    public let indexer: ExplorerIndexer
    /// Rows per page of every list.
    static let pageSize = 25

    /// The explorer of `chain`, reading the index `indexer` keeps in `store`.
    public init(chain: any ChainReader, store: any ExplorerStore, indexer: ExplorerIndexer) {
        self.chain = chain
        self.store = store
        self.indexer = indexer
    }

    /// The explorer of `chain` with its index in `store`, the indexer started (it catches up now and after each commit).
    public static func started(chain: any ChainReader, store: any ExplorerStore) -> Explorer {
        let indexer = ExplorerIndexer(chain: chain, store: store)
        indexer.start()
        return Explorer(chain: chain, store: store, indexer: indexer)
    }

    public var root: String { "/explorer" }

    /// A page that could not be shown: its status, a title and what went wrong, in words.
    struct Failure: Error {
        let status: Int
        let title: String
        let message: String
        /// A page to go to instead, with its link text.
        var seeAlso: (href: String, text: String)?

        static func badInput(_ message: String) -> Failure { Failure(status: 400, title: "Bad request", message: message) }
        static func notFound(_ message: String) -> Failure { Failure(status: 404, title: "Not found", message: message) }
    }

    public func get(path: String, query q: [String: String]) async -> SiteResponse {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts == ["style.css"] {
            return SiteResponse(status: 200, contentType: "text/css; charset=utf-8", headers: [("Cache-Control", "max-age=3600")],
                                body: ExplorerStyle.css)
        }
        return page {
            switch (parts.first, parts.count) {
            case (nil, _): return try overview()
            case ("search", 1): return try search(q["q"] ?? "")
            case ("blocks", 1): return try blocks(before: try cursor(q, "before"))
            case ("blocks", 2): return try block(parts[1])
            case ("txs", 1): return try transactions(before: try position(q))
            case ("txs", 2): return try transaction(parts[1])
            case ("accounts", 2): return try account(parts[1], before: try position(q))
            case ("providers", 1): return try providers()
            case ("providers", 2): return try provider(parts[1], before: try position(q))
            case ("models", 1): return try models(after: try cursor(q, "after"))
            case ("models", 2): return try model(parts[1], before: try position(q))
            case ("channels", 1): return try channels(before: try cursor(q, "before"))
            case ("channels", 2): return try channel(parts[1], before: try position(q))
            case ("proposals", 1): return try proposals(before: try cursor(q, "before"))
            case ("proposals", 2): return try proposal(parts[1], before: try position(q))
            case ("validators", 1): return try validators()
            case ("pools", 1): return try pools()
            case ("pools", 2): return try pool(parts[1], before: try position(q))
            case ("training", 1): return try trainingJobs()
            case ("training", 2): return try trainingJob(parts[1])
            default: throw Failure.notFound("There is no explorer page at \(String((root + path).prefix(200))).")
            }
        }
    }

    // MARK: Pages and their frame

    /// What a page handler returns: its title and body, or a redirect.
    enum Output {
        case page(title: String, body: HTML)
        case redirect(String)
    }

    /// Renders `body`'s page in the frame, or the failure page; never lets an error out as a bare 500.
    func page(_ body: () throws -> Output) -> SiteResponse {
        do {
            switch try body() {
            case let .page(title, html):
                return respond(200, title: title, body: html)
            case let .redirect(location):
                return SiteResponse(status: 302, contentType: "text/html; charset=utf-8", headers: [("Location", location)],
                                    body: "<a href=\"\(HTML.escape(location))\">\(HTML.escape(location))</a>")
            }
        } catch let f as Failure {
            return failure(f)
        } catch {
            return failure(Failure(status: 500, title: "Something went wrong", message: "The node could not read this page: \(error)"))
        }
    }

    func failure(_ f: Failure) -> SiteResponse {
        respond(f.status, title: f.title, body: """
            <h1>\(f.title)</h1>
            <p class="error">\(f.message)</p>
            \(f.seeAlso.map { HTML("<p>\(HTML.link($0.href, $0.text))</p>") } ?? "")
            <p>Search by block height, block or transaction hash, address or model name above, or go back to the \(HTML.link("/explorer", "overview")).</p>
            """)
    }

    func respond(_ status: Int, title: String, body: HTML) -> SiteResponse {
        let html: HTML = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Cairn explorer</title><link rel="stylesheet" href="/explorer/style.css"><link rel="icon" href="data:,"></head>
            <body><header><a class="brand" href="/explorer">Cairn explorer</a>
            <nav><a href="/explorer/blocks">Blocks</a><a href="/explorer/txs">Transactions</a><a href="/explorer/validators">Validators</a><a href="/explorer/providers">Providers</a><a href="/explorer/models">Models</a><a href="/explorer/channels">Channels</a><a href="/explorer/proposals">Governance</a><a href="/explorer/pools">Exchange</a><a href="/explorer/training">Training</a></nav>
            <form action="/explorer/search" method="get"><input type="search" name="q" placeholder="Height, hash, address, model" aria-label="Search"><button>Search</button></form>
            </header><main>\(body)</main>
            <footer>Chain \(chain.chainID) · served by this node · <a href="/v1/status">JSON API</a></footer></body></html>
            """
        return SiteResponse(status: status, contentType: "text/html; charset=utf-8", headers: [("Cache-Control", "no-store")], body: html.markup)
    }

    // MARK: Query parameters

    /// An unsigned number from the query, or nil when absent.
    func cursor(_ q: [String: String], _ name: String) throws -> UInt64? {
        guard let text = q[name], !text.isEmpty else { return nil }
        guard let v = UInt64(text) else { throw Failure.badInput("'\(name)' must be a whole number from 0 to \(UInt64.max), not '\(text.prefix(60))'.") }
        return v
    }

    /// A `before=HEIGHT.INDEX` position in a list of transactions (index -1: a block's own events).
    func position(_ q: [String: String]) throws -> IndexPosition? {
        guard let text = q["before"], !text.isEmpty else { return nil }
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
            if try chain.transaction(hash) != nil { return .redirect("/explorer/txs/\(hash.hex)") }
            if let h = try chain.height(ofBlock: hash) { return .redirect("/explorer/blocks/\(h)") }
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
        try store.readIndex { try $0.stats(at: height) }
    }

    /// A list of transactions (and block events) as rows, with a link to the next page.
    func activity(_ positions: [IndexPosition], more: (IndexPosition) -> String) throws -> HTML {
        var rows: [[HTML]] = []
        for p in positions.prefix(Self.pageSize) {
            if p.index == IndexBatch.blockEvents {
                rows.append([Links.block(p.height), "<span class=\"muted\">block events</span>", "", "", "", ""])
                continue
            }
            guard let record = try chain.transaction(height: p.height, index: Int(p.index)) else { continue }
            rows.append(try txRow(record))
        }
        var html = Table.make(["Block", "Transaction", "From", "Messages", "Fee", "Result"], rows, numeric: [4], empty: "No activity yet.")
        if positions.count > Self.pageSize, let last = positions.prefix(Self.pageSize).last {
            html = "\(html)<p class=\"pager\">\(HTML.link(more(last), "Older →"))</p>"
        }
        return html
    }

    func txRow(_ record: CommittedTransaction) throws -> [HTML] {
        let (tx, receipt) = (record.transaction, record.receipt)
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
