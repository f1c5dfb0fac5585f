public import Hummingbird
import HTTPTypes
public import CairnPrimitives
import CairnLedger
import CairnBank
import CairnChain
import CairnApp
import CairnStorage
import Foundation

/// The node's HTTP API under `/v1` and `/metrics`, described by `openapi/node.yaml`, and the sites the node serves
/// beside it (the explorer).
///
/// Reads go through the chain's read-only `ChainReader`; only submissions reach the node itself.
public struct NodeAPI: Sendable {
    let node: Node
    let chain: any ChainReader
    let sites: [any NodeSite]
    /// Largest request body accepted.
    public static let maxBodyBytes = 256 * 1024

    public init(node: Node, sites: [any NodeSite] = []) {
        self.node = node
        self.chain = node.chain
        self.sites = sites
    }

    /// The router with every route and the JSON error middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ErrorMiddleware())
        router.get("/v1/status") { _, _ in try json(try status()) }
        router.get("/v1/blocks/:height") { req, ctx in
            let param = ctx.parameters.get("height") ?? ""
            if let wait = try waitLimit(req), let height = UInt64(param) { await waitForBlock(height, limit: wait) }
            return try json(try block(param))
        }
        router.get("/v1/txs/:hash") { req, ctx in
            let param = ctx.parameters.get("hash") ?? ""
            if let wait = try waitLimit(req), let hash = Hash(hex: param) { try await waitForTransaction(hash, limit: wait) }
            return try json(try transaction(param))
        }
        router.get("/v1/accounts/:address") { req, ctx in
            let prove = req.uri.queryParameters.get("prove").map { $0 == "true" || $0 == "1" } ?? false
            return try json(try account(ctx.parameters.get("address") ?? "", prove: prove))
        }
        router.post("/v1/txs") { req, _ in try await submit(req) }
        addStakingRoutes(to: router)
        addGovRoutes(to: router)
        addMarketRoutes(to: router)
        addExchangeRoutes(to: router)
        addTrainingRoutes(to: router)
        addVerificationRoutes(to: router)
        addModelsRoutes(to: router)
        addNetworkRoutes(to: router)
        router.get("/v1/events") { _, _ in events() }
        for site in sites { mount(site, on: router) }
        router.get("/metrics") { _, _ in
            let network = await node.network.figures()
            let text = node.metrics.render(now: Date().timeIntervalSince1970) + NodeMetrics.render(network)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return router
    }

    /// Every route of the API as `METHOD /path`, parameters as `{name}`, the sites beside it left out: what
    /// `openapi/node.yaml` documents.
    public var routes: [String] {
        NodeAPI(node: node).router().routes.map { "\($0.method) \($0.path)" }
    }

    func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder.api.encode(value))))
    }

    /// Routes GET requests for the site's root and everything below it to the site.
    func mount(_ site: any NodeSite, on router: Router<BasicRequestContext>) {
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let path = String(request.uri.path.dropFirst(site.root.count))
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters where query[String(name)] == nil { query[String(name)] = String(value) }
            let page = await site.get(path: path, query: query)
            var headers: HTTPFields = [.contentType: page.contentType]
            for h in page.headers { if let name = HTTPField.Name(h.name) { headers[name] = h.value } }
            return Response(status: .init(code: page.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page.body)))
        }
        router.get(RouterPath(site.root), use: handler)
        router.get(RouterPath(site.root + "/**"), use: handler)
    }

    func status() throws -> StatusView {
        let head = try chain.head()
        guard let header = try chain.header(at: head.height) else { throw APIError.notFound("head block missing") }
        // From the stored state, like everything else here: the node's cached parameters are updated a moment after
        // the commit that changed them, when readers may already see the block.
        let (baseFee, params) = try chain.withState { (try chain.ledger.baseFee(state: $0), try chain.ledger.params(state: $0)) }
        let pending = node.metrics.mempoolSize
        return StatusView(chainID: node.chainID, height: head.height, latestBlockHash: head.blockHash, latestBlockTime: header.time,
                          stateRoot: head.stateRoot, baseFee: baseFee, mempoolSize: pending, blockGasLimit: params.blockGasLimit,
                          catchingUp: node.network.catchingUp)
    }

    func block(_ param: String) throws -> BlockView {
        let height: UInt64
        if param == "latest" {
            height = try chain.head().height
        } else if let h = UInt64(param) {
            height = h
        } else if let hash = Hash(hex: param), let h = try chain.height(ofBlock: hash) {
            height = h
        } else if Hash(hex: param) != nil {
            throw APIError.notFound("no block with hash \(param)")
        } else {
            throw APIError.badRequest("bad_height", "'\(param.prefix(80))' is not a block height, 'latest' or a block hash")
        }
        // Heights above the head are answered here: the store keys blocks by a signed 64-bit integer.
        let head = try chain.head().height
        guard height <= head, let committed = try chain.block(at: height) else {
            throw APIError.notFound("no block at height \(height) (the head is \(head))")
        }
        let block = committed.block
        return BlockView(hash: block.header.hash, header: block.header, transactions: committed.receipts.map(\.txHash),
                         blockEvents: committed.blockEvents, commitRound: committed.commit.round,
                         signatures: committed.commit.signatures.map { .init(validator: $0.validator.bech32, signature: $0.signature.hexString) })
    }

    /// The `wait_ms` query of a read that may wait for a block: at most 30 s, nil when absent.
    func waitLimit(_ req: Request) throws -> Duration? {
        guard let text = req.uri.queryParameters.get("wait_ms") else { return nil }
        return .milliseconds(try boundedInt(String(text), name: "wait_ms", default: 0, range: 0...30_000))
    }

    /// Returns once block `height` is committed, or after `limit`: a client that waits for a block asks once instead
    /// of polling.
    func waitForBlock(_ height: UInt64, limit: Duration) async {
        // Subscribed before the head is read, so a block committed in between is not missed.
        let blocks = node.hub.subscribe()
        let chain = chain
        guard (try? chain.head().height) ?? 0 < height else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in blocks where ((try? chain.head().height) ?? 0) >= height { return }
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once the transaction `hash` is committed, or after `limit`.
    func waitForTransaction(_ hash: Hash, limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while try chain.transaction(hash) == nil, ContinuousClock.now < deadline {
            await waitForBlock(try chain.head().height + 1, limit: deadline - ContinuousClock.now)
        }
    }

    func transaction(_ param: String) throws -> TransactionView {
        guard let hash = Hash(hex: param) else {
            throw APIError.badRequest("bad_hash", "'\(param.prefix(80))' is not a transaction hash (64 hex characters)")
        }
        guard let record = try chain.transaction(hash) else {
            throw APIError.notFound("no committed transaction \(hash)")
        }
        let tx = record.transaction, receipt = record.receipt
        let messages = (try? chain.ledger.decodeMessages(tx)) ?? []
        let b = tx.body
        return TransactionView(hash: hash, height: record.height, index: record.index, chainID: b.chainID, sender: b.sender,
                               signer: b.signer.rawRepresentation.hexString, nonce: b.nonce, gasLimit: b.gasLimit,
                               maxFeePerGas: b.maxFeePerGas, maxPriorityFeePerGas: b.maxPriorityFeePerGas, memo: b.memo,
                               messages: zip(b.messages, messages).map { MessageView(type: $0.type, value: $1) },
                               signature: tx.signature.hexString, receipt: receipt)
    }

    func account(_ param: String, prove: Bool) throws -> AccountView {
        let address: Address
        do { address = try Address(bech32: param) } catch {
            throw APIError.badRequest("bad_address", error.description)
        }
        let bank = LedgerWiring.bank
        let (nonce, balances) = try chain.withState {
            (try chain.ledger.nonce(of: address, state: $0), try bank.balances(of: address, state: $0))
        }
        var view = AccountView(address: address, nonce: nonce, balances: balances, proof: nil)
        if prove {
            view = try provenAccount(address)
        }
        return view
    }

    /// The account read from the same snapshot as its proofs, so values and proofs agree.
    func provenAccount(_ address: Address) throws -> AccountView {
        let (ledger, bank) = (chain.ledger, LedgerWiring.bank)
        return try chain.withProvableState { provable in
            let state = provable.state
            let nonce = try ledger.nonce(of: address, state: state)
            let balances = try bank.balances(of: address, state: state)
            var keys = [Ledger.nonceKey(address)]
            var denoms = Set(balances.map(\.denom))
            denoms.insert(Denom.native)
            keys += denoms.sorted().map { BankKeys.balance(address, $0) }
            let entries = try keys.map { key in
                AccountProof.Entry(key: key.hexString, value: try state.get(key)?.hexString, proof: try provable.prove(key))
            }
            return AccountView(address: address, nonce: nonce, balances: balances,
                               proof: AccountProof(height: provable.head.height, stateRoot: provable.head.stateRoot, entries: entries))
        }
    }

    func submit(_ request: Request) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: NodeAPI.maxBodyBytes)
        let body = try JSONDecoder().decode(SubmitRequest.self, from: Data(buffer.readableBytesView))
        guard let bytes = [UInt8](hex: body.tx) else {
            throw APIError.badRequest("bad_encoding", "field 'tx' must be the transaction's canonical bytes in hex")
        }
        let tx: CheckedTransaction
        do throws(SubmitError) {
            tx = try node.precheck(bytes)
        } catch {
            node.metrics.rejectedTransaction()
            throw APIError(.badRequest, error.code.rawValue, error.message)
        }
        do throws(SubmitError) {
            // `admit` counts its own rejections.
            try await node.admit(tx)
        } catch {
            throw APIError(error.code == .internal ? .internalServerError : .badRequest, error.code.rawValue, error.message)
        }
        return try json(SubmitResponse(hash: tx.hash))
    }

    func events() -> Response {
        let stream = node.hub.subscribe()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": cairn event stream\n\n"))
            for await record in stream {
                try await writer.write(ByteBuffer(string: "event: block\ndata: \(record)\n\n"))
            }
            try await writer.finish(nil)
        })
    }
}
