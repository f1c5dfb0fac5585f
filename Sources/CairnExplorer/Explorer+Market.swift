import CairnPrimitives
import CairnLedger
import CairnStorage
import CairnApp
import CairnChain
import CairnMarket
import CairnModels
import CairnGovernance
import CairnStaking
import CairnVerification
import Foundation

/// Providers, models, payment channels and governance.
extension Explorer {
    func providerTotals(_ a: Address) throws -> ProviderTotals {
        try store.readIndex { try $0.total(IndexKind.providerTotals(a)) }.map { try ProviderTotals(canonicalBytes: $0) } ?? ProviderTotals()
    }

    func modelTotals(_ id: UInt64) throws -> ModelTotals {
        try store.readIndex { try $0.total(IndexKind.modelTotals(id)) }.map { try ModelTotals(canonicalBytes: $0) } ?? ModelTotals()
    }

    func hardware(_ h: Hardware) -> String {
        var parts = ["\(h.cpuCores) CPU cores", Format.bytes(h.memoryBytes)]
        if h.gpus > 0 { parts.append("\(h.gpus) × \(h.gpuModel.isEmpty ? "GPU" : h.gpuModel)") }
        return parts.joined(separator: ", ")
    }

    func status(_ p: ProviderView) -> HTML {
        p.active ? "<span class=\"ok\">active</span>" : (p.jailed ? "<span class=\"failed\">jailed</span>" : "<span class=\"muted\">inactive</span>")
    }

    // MARK: Providers

    func providers() throws -> Output {
        let (list, reputations) = try chain.withState { s in
            (try LedgerWiring.market.providerViews(state: s), try LedgerWiring.verification.reputations(state: s))
        }
        let checked = Dictionary(reputations.map { ($0.provider, $0.reputation) }, uniquingKeysWith: { a, _ in a })
        let names = try modelNames()
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let rows = try list.sorted { ($0.active ? 0 : 1, $1.stake) < ($1.active ? 0 : 1, $0.stake) }.map { p -> [HTML] in
            let t = try providerTotals(p.address)
            return [Links.provider(p.address), status(p), HTML(text: hardware(p.hardware)),
                    HTML.join(p.models.map { Links.model($0.modelID, name: names[$0.modelID]) }, separator: ", "),
                    HTML(text: Format.cairn(p.stake)), try uptimeCell(p.address, now: now), HTML(text: Self.checks(checked[p.address])),
                    HTML(text: Format.count(t.claims)), HTML(text: Format.count(t.tokens)), HTML(text: Format.cairn(t.earned))]
        }
        let body: HTML = """
            <h1>Providers</h1><p>\(list.filter(\.active).count) active of \(list.count) registered.</p>
            \(Table.make(["Provider", "Status", "Hardware", "Models", "Stake", "Uptime 24h", "Checks passed / failed, caught", "Claims", "Tokens served", "Earned"], rows, numeric: [4, 5, 7, 8, 9], empty: "No provider has registered yet."))
            """
        return .page(title: "Providers", body: body)
    }

    func provider(_ param: String, before: IndexPosition?) throws -> Output {
        let a = try address(param)
        let market = LedgerWiring.market, staking = LedgerWiring.staking, verification = LedgerWiring.verification
        guard let (p, op, channels, reputation, challenges) = try chain.withState({ s
            -> (ProviderView, CairnStaking.OperatorView?, [ChannelView], ReputationView, [ChallengeView])? in
            guard let p = try market.providerView(a, state: s) else { return nil }
            return (p, try staking.operatorView(a, state: s), try market.channelViews(provider: a, state: s), try verification.reputation(of: a, state: s),
                    try verification.challenges(state: s).filter { $0.provider == a.bech32 })
        }) else {
            var f = Failure.notFound("\(a.bech32) is not a registered provider.")
            f.seeAlso = ("/explorer/accounts/\(a.bech32)", "Its account page: balances and activity →")
            throw f
        }
        let names = try modelNames()
        let t = try providerTotals(a)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let since = try stats(at: p.registeredHeight)
        let head = try chain.head().height
        var facts: [(String, HTML)] = [
            ("Address", Links.account(a, label: a.bech32)),
            ("Status", status(p)),
            ("Endpoint", HTML(text: p.endpoint)),
            ("Hardware", HTML(text: hardware(p.hardware))),
            ("Stake", HTML(text: Format.cairn(p.stake))),
        ]
        if let op { facts.append(("Operator", HTML(text: "“\(op.moniker)”, commission \(Format.bps(op.commissionBps)), self-bond \(Format.cairn(op.selfBond))"))) }
        facts += [
            ("On the network since", HTML("\(Links.block(p.registeredHeight))\(since.map { " (" + Format.duration(now > $0.time ? (now - $0.time) / 1000 : 0) + ", \(Format.count(head - p.registeredHeight)) blocks)" } ?? "")")),
            ("Last updated", Links.block(p.updatedHeight)),
            ("Claims", HTML(text: Format.count(t.claims))),
            ("Served (claimed)", HTML(text: Format.served(tokens: t.tokens, requests: t.requests))),
            ("Paid by clients", HTML(text: Format.cairn(t.paid))),
            ("Earned (after fee and royalties)", HTML(text: Format.cairn(t.earned))),
            ("Last claim", t.claims == 0 ? "never" : Links.block(t.lastClaimHeight)),
            ("Checks (verifiers' reports)", HTML(text: "\(Format.count(reputation.checksPassed)) passed, \(Format.count(reputation.checksFailed)) failed")),
            ("Challenges", HTML(text: "\(reputation.challengesUpheld) upheld (caught cheating), \(reputation.challengesRejected) rejected, "
                                + "\(reputation.pendingChallenges.count) pending")),
        ]
        let challengeRows = challenges.reversed().prefix(50).map { c -> [HTML] in
            let votes = c.committee.map { $0.verdict ?? ($0.committed ? "committed" : "–") }.joined(separator: ", ")
            return [HTML(text: "#\(c.id)"), Links.block(c.raisedHeight), (try? Address(bech32: c.challenger)).map { Links.account($0, label: String(c.challenger.prefix(14)) + "…") } ?? HTML(text: c.challenger),
                    HTML(text: c.pooled.map { "\(c.status), pooled: jobs \($0.first)–\($0.last) of channel \(c.receipt.channelID)" } ?? c.status),
                    HTML(text: votes), HTML(text: Format.cairn(c.slashed)), HTML(text: Format.cairn(c.bounty))]
        }
        let prices = p.models.map { m in
            [Links.model(m.modelID, name: names[m.modelID]), HTML(text: Format.cairn(m.promptPerMillion)),
             HTML(text: Format.cairn(m.completionPerMillion)), HTML(text: Format.cairn(m.embeddingPerMillion))]
        }
        let positions = try store.readIndex { try $0.refs(kind: IndexKind.account, key: a.bytes, before: before, limit: Self.pageSize + 1) }
        let body: HTML = """
            <h1>Provider</h1>
            \(Table.facts(facts))
            \(try uptimeSection(a, now: now))
            <h2>Models and prices (per million tokens)</h2>\(Table.make(["Model", "Prompt", "Completion", "Embedding"], prices, numeric: [1, 2, 3]))
            <h2>Challenges</h2>\(Table.make(["Challenge", "Raised", "Challenger", "Status", "Committee's verdicts", "Slashed", "Bounty"], challengeRows, numeric: [5, 6], empty: "No challenge against this provider."))
            <h2>Payment channels</h2>\(Table.make(channelHeaders, channels.reversed().prefix(50).map { channelRow($0, names: names) }, numeric: [4, 5], empty: "No channels."))
            <h2>Activity</h2>\(try activity(positions) { "/explorer/providers/\(a.bech32)?before=\($0.height).\($0.index)" })
            """
        return .page(title: "Provider \(a.bech32.prefix(14))…", body: body)
    }

    // MARK: Models

    func models(after: UInt64?) throws -> Output {
        let (list, providers) = try chain.withState { s in
            (try LedgerWiring.models.models(state: s, after: after, limit: Self.pageSize + 1), try LedgerWiring.market.providerViews(state: s))
        }
        let rows = try list.prefix(Self.pageSize).map { m -> [HTML] in
            let serving = providers.filter { $0.active && $0.models.contains { $0.modelID == m.id } }.count
            let totals = try modelTotals(m.id)
            return [Links.model(m.id, name: m.name), HTML(text: m.architecture), Links.account(m.owner), HTML(text: Format.bps(m.royaltyBps)),
                    HTML(text: "\(serving)"), HTML(text: Format.count(totals.tokens)), HTML(text: Format.cairn(m.royaltiesEarned))]
        }
        var body: HTML = """
            <h1>Models</h1>
            \(Table.make(["Model", "Architecture", "Owner", "Royalty", "Providers", "Tokens served", "Royalties earned"], Array(rows), numeric: [3, 4, 5, 6], empty: "No models here."))
            """
        if list.count > Self.pageSize, let last = list.prefix(Self.pageSize).last {
            body = "\(body)<p class=\"pager\">\(HTML.link("/explorer/models?after=\(last.id)", "More →"))</p>"
        }
        return .page(title: "Models", body: body)
    }

    func model(_ param: String, before: IndexPosition?) throws -> Output {
        let modelID = try id(param, what: "model")
        guard let (m, providers) = try chain.withState({ s -> (ModelView, [ProviderView])? in
            guard let m = try LedgerWiring.models.model(modelID, state: s) else { return nil }
            return (m, try LedgerWiring.market.providerViews(state: s))
        }) else { throw Failure.notFound("There is no model \(modelID) in the registry.") }
        let totals = try modelTotals(modelID)
        let facts: [(String, HTML)] = [
            ("Id", HTML(text: "\(m.id)")), ("Name", HTML(text: m.name)), ("Architecture", HTML(text: m.architecture)),
            ("Format", HTML(text: "\(m.format)")), ("Licence", HTML(text: m.licence)), ("Weights hash", "<code>\(m.weightsHash.hex)</code>"),
            ("Owner", Links.account(m.owner, label: m.owner.bech32)), ("Royalty", HTML(text: Format.bps(m.royaltyBps))),
            ("Revenue shares", m.sharesDenom.map { HTML(text: "\(Format.count(m.shares.value)) shares (\($0))") } ?? "not issued"),
            ("Royalties earned", HTML(text: Format.cairn(m.royaltiesEarned))),
            ("Claims that paid a royalty", HTML(text: Format.count(totals.payments))),
            ("Served (claimed)", HTML(text: Format.served(tokens: totals.tokens, requests: totals.requests))),
            ("Registered", Links.block(m.registeredHeight)),
        ]
        let serving = providers.compactMap { p -> [HTML]? in
            guard let price = p.models.first(where: { $0.modelID == modelID }) else { return nil }
            return [Links.provider(p.address), status(p), HTML(text: Format.cairn(price.promptPerMillion)),
                    HTML(text: Format.cairn(price.completionPerMillion)), HTML(text: Format.cairn(price.embeddingPerMillion)), HTML(text: Format.cairn(p.stake))]
        }
        let positions = try store.readIndex { try $0.refs(kind: IndexKind.model, key: IndexKind.idKey(modelID), before: before, limit: Self.pageSize + 1) }
        let body: HTML = """
            <h1>Model \(m.name)</h1>
            \(Table.facts(facts))
            <h2>Providers serving it (prices per million tokens)</h2>\(Table.make(["Provider", "Status", "Prompt", "Completion", "Embedding", "Stake"], serving, numeric: [2, 3, 4, 5], empty: "No provider serves this model."))
            <h2>Activity</h2>\(try activity(positions) { "/explorer/models/\(modelID)?before=\($0.height).\($0.index)" })
            """
        return .page(title: "Model \(m.name)", body: body)
    }

    // MARK: Channels

    func channels(before: UInt64?) throws -> Output {
        let market = LedgerWiring.market
        let names = try modelNames()
        let (count, list) = try chain.withState { s -> (UInt64, [ChannelView]) in
            let count = try market.channelCount(state: s)
            let top = min(before.map { $0 > 0 ? $0 - 1 : 0 } ?? count, count)
            guard top >= 1 else { return (count, []) }
            let ids = stride(from: top, through: max(1, top >= UInt64(Self.pageSize) ? top - UInt64(Self.pageSize) + 1 : 1), by: -1)
            return (count, try ids.compactMap { try market.channelView($0, state: s) })
        }
        var body: HTML = """
            <h1>Payment channels</h1><p>\(Format.count(count)) channels opened; newest first.</p>
            \(Table.make(channelHeaders, list.map { channelRow($0, names: names) }, numeric: [4, 5], empty: "No channels here."))
            """
        if let last = list.last, last.id > 1 {
            body = "\(body)<p class=\"pager\">\(HTML.link("/explorer/channels?before=\(last.id)", "Older →"))</p>"
        }
        return .page(title: "Channels", body: body)
    }

    func channel(_ param: String, before: IndexPosition?) throws -> Output {
        let channelID = try id(param, what: "channel")
        guard let c = try chain.withState({ try LedgerWiring.market.channelView(channelID, state: $0) }) else {
            throw Failure.notFound("There is no payment channel \(channelID).")
        }
        let names = try modelNames()
        var facts: [(String, HTML)] = [
            ("Id", HTML(text: "\(c.id)")), ("Client", Links.account(c.client, label: c.client.bech32)),
            ("Provider", Links.provider(c.provider)), ("State", HTML(text: c.state)), ("Deposit", HTML(text: Format.cairn(c.deposit))),
            ("Claimed", HTML(text: Format.cairn(c.claimed))), ("Opened", Links.block(c.openedHeight)),
        ]
        if c.settleHeight > 0 { facts.append(("Settles at", Links.block(c.settleHeight))) }
        let models = Set(c.claimedPerModel.map(\.modelID)).union(c.claimedUsage.map(\.modelID)).sorted()
        let perModel = models.map { id -> [HTML] in
            let u = c.claimedUsage.usage(for: id)
            return [Links.model(id, name: names[id]), HTML(text: Format.cairn(c.claimedPerModel.first { $0.modelID == id }?.amount ?? .zero)),
                    HTML(text: Format.count(u.tokens)), HTML(text: Format.count(u.requests))]
        }
        let positions = try store.readIndex { try $0.refs(kind: IndexKind.channel, key: IndexKind.idKey(channelID), before: before, limit: Self.pageSize + 1) }
        let body: HTML = """
            <h1>Payment channel #\(channelID)</h1>
            \(Table.facts(facts))
            <h2>Claimed per model</h2>\(Table.make(["Model", "Claimed", "Tokens", "Requests"], perModel, numeric: [1, 2, 3], empty: "Nothing claimed yet."))
            <h2>History</h2>\(try activity(positions) { "/explorer/channels/\(channelID)?before=\($0.height).\($0.index)" })
            """
        return .page(title: "Channel \(channelID)", body: body)
    }

    // MARK: Governance

    func proposals(before: UInt64?) throws -> Output {
        let list = try chain.withState { try LedgerWiring.gov.proposals(state: $0, before: before, limit: Self.pageSize + 1) }
        let rows = list.prefix(Self.pageSize).map { p in
            [Links.proposal(p.id), Links.proposal(p.id, title: p.title), HTML(text: p.content.kind), HTML(text: p.status.name),
             Links.block(p.submitHeight), p.votingEndHeight.map { Links.block($0) } ?? "–"]
        }
        var body: HTML = """
            <h1>Governance</h1>
            \(Table.make(["Id", "Title", "Type", "Status", "Submitted", "Voting ends"], Array(rows), empty: "No proposals yet."))
            """
        if list.count > Self.pageSize, let last = list.prefix(Self.pageSize).last {
            body = "\(body)<p class=\"pager\">\(HTML.link("/explorer/proposals?before=\(last.id)", "Older →"))</p>"
        }
        return .page(title: "Governance", body: body)
    }

    func proposal(_ param: String, before: IndexPosition?) throws -> Output {
        let proposalID = try id(param, what: "proposal")
        let gov = LedgerWiring.gov
        guard let (p, tally, votes, deposits) = try chain.withState({ s -> (Proposal, TallyResult?, [VoteRecord], [DepositRecord])? in
            guard let p = try gov.proposal(proposalID, state: s) else { return nil }
            return (p, try gov.tally(of: proposalID, state: s), try gov.votes(of: proposalID, state: s), try gov.deposits(of: proposalID, state: s))
        }) else { throw Failure.notFound("There is no proposal \(proposalID).") }
        var facts: [(String, HTML)] = [
            ("Id", HTML(text: "\(p.id)")), ("Type", HTML(text: p.content.kind)), ("Status", HTML(text: p.status.name)),
            ("Proposer", Links.account(p.proposer, label: p.proposer.bech32)), ("Submitted", Links.block(p.submitHeight)),
            ("Deposit", HTML(text: "\(Format.cairn(p.totalDeposit)) (deposit period ends at block \(Format.count(p.depositEndHeight)))")),
        ]
        if let s = p.votingStartHeight, let e = p.votingEndHeight {
            facts.append(("Voting", HTML(text: "blocks \(Format.count(s)) to \(Format.count(e))")))
        }
        if let e = p.executionError { facts.append(("Execution error", HTML(text: e))) }
        var tallyHTML: HTML = "<p class=\"empty\">No tally yet: the proposal is gathering deposits.</p>"
        if let t = tally {
            let voted = Double(t.votedPower.value)
            let options: [(String, Amount, String)] = [("yes", t.yes, "s1"), ("no", t.no, "s2"), ("abstain", t.abstain, "s4"), ("no with veto", t.noWithVeto, "s3")]
            let bars = options.map { name, amount, style -> HTML in
                let share = voted == 0 ? 0 : Double(amount.value) / voted
                return "<div class=\"dist\"><span>\(name)</span><span class=\"bar\"><span class=\"\(style)\" style=\"width:\(Chart.f(max(share * 100, 0.5)))%\"></span></span><span class=\"num\">\(Format.cairn(amount)) (\(Format.percent(share)))</span></div>"
            }
            let turnout = t.totalBonded.value == 0 ? 0 : voted / Double(t.totalBonded.value)
            tallyHTML = """
                <p>\(p.status == .votingPeriod ? "Live tally" : "Final tally"): \(Format.cairn(t.votedPower)) of \(Format.cairn(t.totalBonded)) bonded voted (turnout \(Format.percent(turnout))).</p>
                <figure>\(bars)</figure>
                """
        }
        let voteRows = votes.map { [Links.account($0.voter), HTML(text: $0.option.name)] }
        let depositRows = deposits.map { [Links.account($0.depositor), HTML(text: Format.cairn($0.amount))] }
        let positions = try store.readIndex { try $0.refs(kind: IndexKind.proposal, key: IndexKind.idKey(proposalID), before: before, limit: Self.pageSize + 1) }
        let body: HTML = """
            <h1>Proposal #\(p.id): \(p.title)</h1>
            <p class="description">\(p.description)</p>
            \(Table.facts(facts))
            <h2>Tally</h2>\(tallyHTML)
            <h2>Votes</h2>\(Table.make(["Voter", "Option"], voteRows, empty: "No votes yet."))
            <h2>Deposits</h2>\(Table.make(["Depositor", "Amount"], depositRows, numeric: [1], empty: "No deposits."))
            <h2>History</h2>\(try activity(positions) { "/explorer/proposals/\(proposalID)?before=\($0.height).\($0.index)" })
            """
        return .page(title: "Proposal \(p.id)", body: body)
    }
}

extension Explorer {
    /// A provider's checks for the providers list: passed / failed, and the challenges that caught it.
    static func checks(_ r: Reputation?) -> String {
        guard let r else { return "–" }
        return "\(Format.count(r.checksPassed)) / \(Format.count(r.checksFailed))" + (r.challengesUpheld > 0 ? ", caught \(r.challengesUpheld)×" : "")
    }
}
