import CairnPrimitives
import CairnLedger
import CairnStorage
import CairnBank
import CairnStaking
import CairnMarket
import CairnGovernance
import CairnApp
import CairnChain
import CairnModels
import Foundation

/// The overview, blocks, transactions and accounts.
extension Explorer {
    // MARK: Overview

    func overview() throws -> Output {
        let head = try chain.head()
        // The index trails the head by the blocks committed while it catches up (usually none or one).
        guard let indexed = try store.readIndex({ try $0.indexHead() }), let headStats = try stats(at: indexed) else {
            throw Failure(status: 503, title: "Indexing",
                          message: "The explorer's index is still being built; try again in a moment.")
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        // Pace over the last 100 blocks (genesis left out: its time is when the chain was set up).
        let back = indexed > 101 ? indexed - 100 : 1
        let earlier = try stats(at: back)
        var blockTime = "–", tps = "–"
        if let e = earlier, indexed > back, headStats.time > e.time {
            let seconds = Double(headStats.time - e.time) / 1000
            blockTime = String(format: "%.2f s", seconds / Double(indexed - back))
            tps = String(format: "%.2f", Double(headStats.totalTransactions - e.totalTransactions) / seconds)
        }
        let market = LedgerWiring.market, gov = LedgerWiring.gov, staking = LedgerWiring.staking, bank = LedgerWiring.bank
        let (providers, supply, burned, treasury, pools, report, operators) = try chain.withState { s in
            (try market.providerViews(state: s), try bank.supply(Denom.native, state: s), try bank.burned(Denom.native, state: s),
             try gov.treasuryBalance(state: s), try staking.pools(state: s), try gov.decentralization(state: s),
             try staking.operatorViews(state: s))
        }
        let names = try modelNames()
        let active = providers.filter(\.active)
        let served = Set(active.flatMap { $0.models.map(\.modelID) }).sorted()
        let stakingRatio = supply.value == 0 ? 0 : Double(pools.bonded.value) / Double(supply.value)
        let (minted, burnedTotal) = (headStats.totalMinted.value, headStats.totalBurned.value)
        let net = minted >= burnedTotal ? "+" + Format.cairn(Amount(minted - burnedTotal)) : "−" + Format.cairn(Amount(burnedTotal - minted))

        let cards: [(String, HTML)] = [
            ("Height", Links.block(head.height)),
            ("Last block", HTML(text: Format.age(headStats.time, now: now))),
            ("Block time", HTML(text: blockTime)),
            ("Transactions / s", HTML(text: tps)),
            ("Active providers", HTML(text: "\(active.count) of \(providers.count)")),
            ("Models served", HTML.join(served.map { Links.model($0, name: names[$0]) }, separator: ", ")),
            ("Tokens served", HTML(text: Format.served(tokens: headStats.totalTokens, requests: headStats.totalRequests))),
            ("Paid for inference", HTML(text: Format.cairn(headStats.totalPaid))),
            ("Royalties paid", HTML(text: Format.cairn(headStats.totalRoyalties))),
            ("Supply", HTML(text: Format.cairn(supply))),
            ("Burned", HTML(text: Format.cairn(burned))),
            ("Emitted", HTML(text: Format.cairn(headStats.totalMinted))),
            ("Net supply change", HTML(text: net)),
            ("Treasury", HTML(text: Format.cairn(treasury))),
            ("Staking ratio", HTML(text: Format.percent(stakingRatio))),
        ]
        let stalled = indexer.failure.map { HTML("<p class=\"error\">The index stopped at block \(Format.count(indexed)): \($0)</p>") } ?? ""
        let cardHTML = HTML.join(cards.map { "<div class=\"card\"><span>\($0.0)</span><strong>\($0.1)</strong></div>" })

        let series = try timeSeries(head: indexed)
        let cairn: (Double) -> String = { Chart.compact($0 / 1e6) }
        let payments = Chart.render(title: "Paid for inference per period (CAIRN)", labels: series.labels,
                                    series: [.init(name: "paid", style: "s1", values: series.paid),
                                             .init(name: "royalties", style: "s3", values: series.royalties)],
                                    bars: true, unit: cairn)
        let tokensChart = Chart.render(title: "Tokens served per period (claimed)", labels: series.labels,
                                       series: [.init(name: "tokens", style: "s1", values: series.tokens)], bars: true, unit: Chart.compact)
        let supplyChart = Chart.render(title: "Emission and burn per period (CAIRN)", labels: series.labels,
                                       series: [.init(name: "emitted", style: "s1", values: series.minted),
                                                .init(name: "burned", style: "s2", values: series.burned),
                                                .init(name: "net change", style: "s3", values: zip(series.minted, series.burned).map { $0 - $1 })],
                                       bars: false, unit: cairn)
        let txChart = Chart.render(title: "Transactions per period", labels: series.labels,
                                   series: [.init(name: "transactions", style: "s1", values: series.transactions)], bars: true,
                                   unit: Chart.compact)
        let stake = Chart.distribution(title: "Stake by operator",
                                       items: operators.sorted { $0.tokens > $1.tokens }.prefix(20).map {
                                           (label: $0.moniker.isEmpty ? $0.address.bech32 : "\($0.moniker) (\($0.kind))",
                                            href: $0.kind == "provider" ? "/explorer/providers/\($0.address.bech32)" : "/explorer/accounts/\($0.address.bech32)",
                                            value: Double($0.tokens.value))
                                       }, unit: cairn)

        func groupRows(_ name: String, _ g: DecentralizationReport.Group) -> [[HTML]] {
            [("stake", g.stake), ("voting power", g.votingPower)].map { what, d in
                [HTML(text: "\(name), \(what)"), HTML(text: "\(d.holders)"), HTML(text: "\(d.nakamotoOneThird)"),
                 HTML(text: "\(d.nakamotoHalf)"), HTML(text: String(format: "%.3f", d.gini)), HTML(text: Format.percent(d.top10Share))]
            }
        }
        let decentralization = Table.make(["Group", "Holders", "Nakamoto (⅓)", "Nakamoto (½)", "Gini", "Top-10 share"],
                                          groupRows("Validators", report.validators) + groupRows("Providers", report.providers),
                                          numeric: [1, 2, 3, 4, 5])

        let latestBlocks = try store.readIndex { try $0.blockStats(before: indexed + 1, limit: 8) }.map { row -> [HTML] in
            let s = try BlockStats(canonicalBytes: row.stats)
            return [Links.block(row.height), HTML(text: Format.age(s.time, now: now)), HTML(text: "\(s.transactions)"),
                    HTML(text: Format.cairn(s.burned))]
        }
        let latestTxs = try chain.transactions(before: nil, limit: 8).map { record -> [HTML] in
            let row = try txRow(record)
            return [row[0], row[1], row[3], row[5]]
        }

        let body: HTML = """
            <h1>Network overview</h1>\(stalled)
            <section class="cards">\(cardHTML)</section>
            <section class="charts">\(tokensChart)\(payments)\(supplyChart)\(txChart)\(stake)</section>
            <p class="muted">Periods split blocks 0 to \(Format.count(indexed)) into \(series.labels.count) equal spans; labels are each span's first block time (UTC).</p>
            <h2>Decentralization</h2>\(decentralization)
            <div class="two"><section><h2>Latest blocks</h2>\(Table.make(["Height", "Age", "Txs", "Burned"], latestBlocks, numeric: [2, 3]))
            <p class="pager">\(HTML.link("/explorer/blocks", "All blocks →"))</p></section>
            <section><h2>Latest transactions</h2>\(Table.make(["Block", "Transaction", "Messages", "Result"], latestTxs))
            <p class="pager">\(HTML.link("/explorer/txs", "All transactions →"))</p></section></div>
            """
        return .page(title: "Overview", body: body)
    }

    struct TimeSeries {
        var labels: [String] = []
        var transactions: [Double] = []
        var paid: [Double] = []
        var tokens: [Double] = []
        var royalties: [Double] = []
        var minted: [Double] = []
        var burned: [Double] = []
    }

    /// Per-period figures over the whole chain from the running totals at up to 41 block heights: the same
    /// few lookups for a chain of a hundred blocks or of millions.
    func timeSeries(head: UInt64, periods: UInt64 = 40) throws -> TimeSeries {
        let n = max(1, min(periods, head))
        let points = (0...n).map { head * $0 / n }
        let all = try store.readIndex { index in try points.map { try index.blockStats(at: $0) } }
        var out = TimeSeries()
        for i in 0..<Int(n) {
            guard let a = try all[i].map({ try BlockStats(canonicalBytes: $0) }),
                  let b = try all[i + 1].map({ try BlockStats(canonicalBytes: $0) }) else { continue }
            let span = b.time > a.time ? b.time - a.time : 0
            let p = Format.parts(a.time)
            let (month, day, hour, minute, second) = (p.month ?? 0, p.day ?? 0, p.hour ?? 0, p.minute ?? 0, p.second ?? 0)
            out.labels.append(span > 43_200_000 ? String(format: "%02d-%02d", month, day)
                              : span >= 60_000 ? String(format: "%02d:%02d", hour, minute)
                              : String(format: "%02d:%02d:%02d", hour, minute, second))
            out.transactions.append(Double(b.totalTransactions - a.totalTransactions))
            out.paid.append(Double(b.totalPaid.value) - Double(a.totalPaid.value))
            out.tokens.append(Double(b.totalTokens &- a.totalTokens))
            out.royalties.append(Double(b.totalRoyalties.value) - Double(a.totalRoyalties.value))
            out.minted.append(Double(b.totalMinted.value) - Double(a.totalMinted.value))
            out.burned.append(Double(b.totalBurned.value) - Double(a.totalBurned.value))
        }
        return out
    }

    // MARK: Blocks

    func blocks(before: UInt64?) throws -> Output {
        let head = try chain.head().height
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        // One row more than a page says whether there is an older page.
        let found = try store.readIndex { try $0.blockStats(before: before, limit: Self.pageSize + 1) }
        let more = found.count > Self.pageSize
        let hashes = try chain.blockHashes(at: found.prefix(Self.pageSize).map(\.height))
        let rows = try found.prefix(Self.pageSize).map { row -> (height: UInt64, cells: [HTML]) in
            let s = try BlockStats(canonicalBytes: row.stats)
            let hash = hashes[row.height]
            return (row.height, [Links.block(row.height), hash.map { HTML(text: Format.short($0.hex)) } ?? "",
                                 HTML(text: "\(Format.time(s.time)) (\(Format.age(s.time, now: now)))"), HTML(text: "\(s.transactions)"),
                                 HTML(text: Format.count(s.gasUsed)), HTML(text: Format.cairn(s.burned)), Links.account(s.proposer)])
        }
        var body: HTML = """
            <h1>Blocks</h1><p>\(Format.count(head + 1)) blocks; newest first.</p>
            \(Table.make(["Height", "Hash", "Time", "Txs", "Gas used", "Burned", "Proposer"], rows.map(\.cells), numeric: [3, 4, 5], empty: "No blocks here."))
            """
        if more, let last = rows.last {
            body = "\(body)<p class=\"pager\">\(HTML.link("/explorer/blocks?before=\(last.height)", "Older →"))</p>"
        }
        return .page(title: "Blocks", body: body)
    }

    func block(_ param: String) throws -> Output {
        let head = try chain.head().height
        let height: UInt64
        if let h = UInt64(param) {
            height = h
        } else if let hash = Hash(hex: param) {
            guard let h = try chain.height(ofBlock: hash) else { throw Failure.notFound("No block has the hash \(hash.hex).") }
            height = h
        } else {
            throw Failure.badInput("'\(param.prefix(80))' is not a block height or a block hash (64 hex characters).")
        }
        guard height <= head, let committed = try chain.block(at: height) else {
            throw Failure.notFound("There is no block \(height): the chain's height is \(head).")
        }
        let (block, receipts, events) = (committed.block, committed.receipts, committed.blockEvents)
        let h = block.header
        let s = try stats(at: height)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        var facts: [(String, HTML)] = [
            ("Height", HTML(text: Format.count(height))),
            ("Hash", "<code>\(h.hash.hex)</code>"),
            ("Time", HTML(text: "\(Format.time(h.time)) (\(Format.age(h.time, now: now)))")),
            ("Proposer", Links.account(h.proposer, label: h.proposer.bech32)),
            ("Previous block", height == 0 ? "none (genesis)" : Links.block(height - 1)),
            ("Transactions", HTML(text: "\(block.transactions.count)")),
            ("Gas used", HTML(text: Format.count(h.gasUsed))),
            ("Base fee per gas", HTML(text: Format.cairn(h.baseFee))),
            ("State root", "<code>\(h.stateRoot.hex)</code>"),
            ("Validators hash", "<code>\(h.validatorsHash.hex)</code>"),
            ("Signed by", signers(committed.commit)),
            ("Carries the commit of the block before", height <= 1 ? "none" : signers(block.lastCommit)),
        ]
        if !block.evidence.isEmpty {
            facts.append(("Evidence of double-signing", HTML.join(block.evidence.map { Links.account($0.validator, label: $0.validator.bech32) },
                                                              separator: ", ")))
        }
        if let s {
            facts += [("Burned", HTML(text: Format.cairn(s.burned))), ("Emitted", HTML(text: Format.cairn(s.minted))),
                      ("Tips", HTML(text: Format.cairn(s.tips))), ("Claims paid", HTML(text: "\(s.claims) (\(Format.cairn(s.paid)) for \(Format.served(tokens: s.tokens, requests: s.requests)))"))]
        }
        let rows = zip(block.transactions, receipts).map { tx, r -> [HTML] in
            [HTML(text: "\(r.index)"), Links.tx(r.txHash), Links.account(tx.body.sender),
             HTML(text: Set(tx.body.messages.map(\.type)).sorted().joined(separator: ", ")), HTML(text: Format.count(r.gasUsed)),
             HTML(text: Format.cairn(r.fee)), result(r)]
        }
        var nav: [HTML] = []
        if height > 0 { nav.append(HTML.link("/explorer/blocks/\(height - 1)", "← Block \(height - 1)")) }
        if height < head { nav.append(HTML.link("/explorer/blocks/\(height + 1)", "Block \(height + 1) →")) }
        let body: HTML = """
            <h1>Block \(Format.count(height))</h1>
            <p class="pager">\(HTML.join(nav, separator: " · "))</p>
            \(Table.facts(facts))
            <h2>Transactions</h2>\(Table.make(["#", "Hash", "From", "Messages", "Gas", "Fee", "Result"], rows, numeric: [4, 5], empty: "No transactions in this block."))
            <h2>Block events</h2>\(eventsTable(events))
            """
        return .page(title: "Block \(height)", body: body)
    }

    func eventsTable(_ events: [Event]) -> HTML {
        Table.make(["Event", "Attributes"], events.map { e in
            [HTML(text: e.type),
             HTML.join(e.attributes.map { "<span class=\"attr\"><b>\($0.key)</b> \(Links.value($0.value))</span>" }, separator: " ")]
        }, empty: "No events.")
    }

    // MARK: Transactions

    func transactions(before: IndexPosition?) throws -> Output {
        let records = try chain.transactions(before: before, limit: Self.pageSize + 1)
        let total = try store.readIndex { index in try index.indexHead().flatMap { try index.stats(at: $0) } }?.totalTransactions
        var body: HTML = """
            <h1>Transactions</h1><p>\(total.map { Format.count($0) } ?? "–") transactions; newest first.</p>
            \(Table.make(["Block", "Transaction", "From", "Messages", "Fee", "Result"], try records.prefix(Self.pageSize).map { try txRow($0) }, numeric: [4], empty: "No transactions here."))
            """
        if records.count > Self.pageSize, let last = records.prefix(Self.pageSize).last {
            body = "\(body)<p class=\"pager\">\(HTML.link("/explorer/txs?before=\(last.height).\(last.index)", "Older →"))</p>"
        }
        return .page(title: "Transactions", body: body)
    }

    func transaction(_ param: String) throws -> Output {
        let text = param.lowercased().hasPrefix("0x") ? String(param.dropFirst(2)) : param
        guard let hash = Hash(hex: text) else {
            throw Failure.badInput("'\(param.prefix(80))' is not a transaction hash (64 hex characters).")
        }
        guard let record = try chain.transaction(hash) else {
            throw Failure.notFound("No committed transaction has the hash \(hash.hex). A transaction still in the mempool shows here once a block includes it.")
        }
        let (tx, r) = (record.transaction, record.receipt)
        let b = tx.body
        let messages = (try? chain.ledger.decodeMessages(tx)) ?? []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let messageHTML = HTML.join(zip(b.messages, messages).enumerated().map { i, pair in
            let json = (try? encoder.encode(MessageView(type: pair.0.type, value: pair.1))).map { String(decoding: $0, as: UTF8.self) } ?? "(cannot show)"
            let failed = r.failedMessage == UInt32(i) ? " <span class=\"failed\">failed here</span>" : ""
            return "<h3>\(i + 1). \(pair.0.type)\(HTML(markup: failed))</h3><pre>\(json)</pre>"
        })
        var facts: [(String, HTML)] = [
            ("Hash", "<code>\(hash.hex)</code>"),
            ("Result", r.success ? "<span class=\"ok\">succeeded</span>" : "<span class=\"failed\">failed</span>"),
        ]
        if let e = r.error {
            facts.append(("Error", HTML(text: "\(e.module)/\(e.code): \(e.message)")))
        }
        facts += [
            ("Block", Links.block(record.height)),
            ("Position", HTML(text: "\(record.index)")),
            ("From", Links.account(b.sender, label: b.sender.bech32)),
            ("Nonce", HTML(text: "\(b.nonce)")),
            ("Gas used / limit", HTML(text: "\(Format.count(r.gasUsed)) / \(Format.count(b.gasLimit))")),
            ("Fee", HTML(text: Format.cairn(r.fee))),
            ("Burned (base fee)", HTML(text: Format.cairn(r.burned))),
            ("Tip to the proposer", HTML(text: Format.cairn(r.tip))),
            ("Max fee / tip per gas", HTML(text: "\(Format.cairn(b.maxFeePerGas)) / \(Format.cairn(b.maxPriorityFeePerGas))")),
            ("Memo", HTML(text: b.memo.isEmpty ? "–" : b.memo)),
        ]
        let body: HTML = """
            <h1>Transaction</h1>
            \(Table.facts(facts))
            <h2>Messages</h2>\(messageHTML)
            <h2>Events</h2>\(eventsTable(r.events))
            """
        return .page(title: "Transaction \(Format.short(hash.hex))", body: body)
    }

    // MARK: Accounts

    func account(_ param: String, before: IndexPosition?) throws -> Output {
        let a = try address(param)
        let bank = LedgerWiring.bank, staking = LedgerWiring.staking, market = LedgerWiring.market, models = LedgerWiring.models
        let (nonce, balances, op, delegations, unbonding, asClient, asProvider, owned, provider) = try chain.withState { s in
            (try chain.ledger.nonce(of: a, state: s), try bank.balances(of: a, state: s), try staking.operatorView(a, state: s),
             try staking.delegationViews(of: a, state: s), try staking.unbondingViews(of: a, state: s),
             try market.channelViews(client: a, state: s), try market.channelViews(provider: a, state: s),
             try models.models(ownedBy: a, state: s, limit: 100), try market.providerView(a, state: s))
        }
        let positions = try store.readIndex {
            try $0.refs(kind: IndexKind.account, key: a.bytes, before: before, limit: Self.pageSize + 1)
        }
        var facts: [(String, HTML)] = [("Address", "<code>\(a.bech32)</code>"), ("Nonce", HTML(text: "\(nonce)"))]
        if let op {
            facts.append(("Operator", HTML(text: "\(op.kind) “\(op.moniker)”, \(Format.cairn(op.tokens)) bonded, commission \(Format.bps(op.commissionBps))\(op.jailed ? ", jailed" : "")")))
        }
        if provider != nil { facts.append(("Provider", HTML.link("/explorer/providers/\(a.bech32)", "provider page →"))) }
        let balanceRows = balances.map { [HTML(text: $0.denom), HTML(text: $0.denom == Denom.native ? Format.cairn($0.amount) : Format.count($0.amount.value))] }
        let delegationRows = delegations.map { d in
            [Links.account(d.operator), HTML(text: Format.cairn(d.tokens)), HTML(text: Format.cairn(d.rewards))]
        }
        let unbondingRows = unbonding.map { u in
            [Links.account(u.operator), HTML(text: Format.cairn(u.balance)), Links.block(u.completionHeight)]
        }
        let names = try modelNames()
        let channelRows = (asClient + asProvider).map { channelRow($0, names: names) }
        let ownedRows = owned.map { m in [Links.model(m.id, name: m.name), HTML(text: Format.bps(m.royaltyBps)), HTML(text: Format.cairn(m.royaltiesEarned))] }
        let body: HTML = """
            <h1>Account</h1>
            \(Table.facts(facts))
            <h2>Balances</h2>\(Table.make(["Denomination", "Amount"], balanceRows, numeric: [1], empty: "No balance."))
            <h2>Delegations</h2>\(Table.make(["Operator", "Bonded", "Rewards to withdraw"], delegationRows, numeric: [1, 2], empty: "No delegations."))
            \(unbondingRows.isEmpty ? "" : HTML("<h2>Unbonding</h2>\(Table.make(["Operator", "Amount", "Completes at"], unbondingRows, numeric: [1, 2]))"))
            <h2>Payment channels</h2>\(Table.make(channelHeaders, channelRows, numeric: [4, 5], empty: "No channels."))
            \(ownedRows.isEmpty ? "" : HTML("<h2>Models owned</h2>\(Table.make(["Model", "Royalty", "Royalties earned"], ownedRows, numeric: [1, 2]))"))
            <h2>Activity</h2>\(try activity(positions) { "/explorer/accounts/\(a.bech32)?before=\($0.height).\($0.index)" })
            """
        return .page(title: "Account \(a.bech32.prefix(14))…", body: body)
    }

    var channelHeaders: [String] { ["Channel", "Client", "Provider", "State", "Deposit", "Claimed"] }

    func channelRow(_ c: ChannelView, names: [UInt64: String]) -> [HTML] {
        [Links.channel(c.id), Links.account(c.client), Links.provider(c.provider), HTML(text: c.state),
         HTML(text: Format.cairn(c.deposit)), HTML(text: Format.cairn(c.claimed))]
    }

    /// The validators whose precommits a certificate holds, linked, with the round it decided in.
    func signers(_ commit: CommitCertificate) -> HTML {
        let links = commit.signatures.map { Links.account($0.validator, label: $0.validator.bech32) }
        return "\(HTML.join(links, separator: ", ")) (\(commit.signatures.count) in round \(commit.round))"
    }
}
