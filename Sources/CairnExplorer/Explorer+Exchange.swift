import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnExchange
import CairnStorage

extension Explorer {
    // MARK: Exchange

    /// How many of a pool's latest events its price chart draws.
    static let priceChartEvents = 200

    func pools() throws -> Output {
        let exchange = LedgerWiring.exchange
        let time = try chain.headTime()
        let (list, summary) = try chain.withState { s in (try exchange.pools(state: s, time: time), try exchange.summary(state: s)) }
        let rows = list.map { p in
            [Links.pool(p.id), HTML(text: "\(p.denom0) / \(p.denom1)"), HTML(text: Format.count(p.reserve0.value)), HTML(text: Format.count(p.reserve1.value)),
             HTML(text: p.price0), HTML(text: p.averagePrice0 ?? "–"), HTML(text: Format.count(p.totalShares.value))]
        }
        let burned = BuybackCause.allCases.map { ($0.rawValue, HTML(text: Format.cairn(summary.burnedByCause[$0.rawValue] ?? .zero))) }
        let body: HTML = """
            <h1>Exchange</h1>
            <p>Constant-product pools; a price is the second denomination per unit of the first, at the reserves and averaged over time since the last buyback.</p>
            \(Table.make(["Pool", "Pair", "Reserve 0", "Reserve 1", "Price", "Average price", "Shares"], rows, numeric: [2, 3, 4, 5, 6],
                         empty: "No pools yet."))
            <h2>Burned by the buybacks</h2>
            \(Table.facts(burned.map { ("Cause: \($0.0)", $0.1) }))
            """
        return .page(title: "Exchange", body: body)
    }

    func pool(_ param: String, before: IndexPosition?) throws -> Output {
        let poolID = try id(param, what: "pool")
        let exchange = LedgerWiring.exchange
        let time = try chain.headTime()
        guard let p = try chain.withState({ try exchange.pool(poolID, state: $0, time: time) }) else {
            throw Failure.notFound("There is no pool \(poolID).")
        }
        let facts: [(String, HTML)] = [
            ("Pair", HTML(text: "\(p.denom0) / \(p.denom1)")),
            ("Reserves", HTML(text: "\(Format.count(p.reserve0.value)) \(p.denom0), \(Format.count(p.reserve1.value)) \(p.denom1)")),
            ("Price", HTML(text: "\(p.price0) \(p.denom1) per \(p.denom0) (\(p.price1) \(p.denom0) per \(p.denom1))")),
            ("Average since the last buyback", HTML(text: p.averagePrice0.map { "\($0) \(p.denom1) per \(p.denom0)" } ?? "no time has passed yet")),
            ("Shares", HTML(text: "\(Format.count(p.totalShares.value)) \(p.shareDenom), 1,000 of them locked")),
            ("Created", Links.block(p.createdHeight)),
        ]
        // The price after each of the pool's latest events, oldest first.
        let recent = try store.readIndex { try $0.refs(kind: IndexKind.pool, key: IndexKind.idKey(poolID), before: nil, limit: Self.priceChartEvents) }
        var points: [(height: UInt64, price: Double)] = []
        var blocks: [UInt64: [Event]] = [:]
        for position in recent.reversed() {
            let events: [Event]
            if position.index == IndexBatch.blockEvents {
                if blocks[position.height] == nil { blocks[position.height] = try chain.block(at: position.height)?.blockEvents ?? [] }
                events = blocks[position.height]!
            } else {
                events = try chain.transaction(height: position.height, index: Int(position.index))?.receipt.events ?? []
            }
            for e in events where ExchangeEvents.poolID(of: e) == poolID {
                if let (r0, r1) = ExchangeEvents.reserves(of: e), r0 > 0 { points.append((position.height, Double(r1) / Double(r0))) }
            }
        }
        let chart = Chart.render(title: "Price (\(p.denom1) per \(p.denom0)) after each of the last \(points.count) pool events",
                                 labels: points.map { "block \($0.height)" },
                                 series: [.init(name: "price", style: "s1", values: points.map(\.price))], bars: false, unit: Chart.compact)
        let positions = try store.readIndex { try $0.refs(kind: IndexKind.pool, key: IndexKind.idKey(poolID), before: before, limit: Self.pageSize + 1) }
        let body: HTML = """
            <h1>Pool #\(p.id): \(p.denom0) / \(p.denom1)</h1>
            \(Table.facts(facts))
            <h2>Price</h2><figure>\(chart)</figure>
            <h2>History</h2>\(try activity(positions) { "/explorer/pools/\(poolID)?before=\($0.height).\($0.index)" })
            """
        return .page(title: "Pool \(p.id)", body: body)
    }
}
