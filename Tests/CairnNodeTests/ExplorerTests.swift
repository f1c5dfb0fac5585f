import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStorage
import CairnNode
import CairnChain
import CairnExplorer
import CairnClient
import CairnTestSupport

/// The explorer's index (built as blocks commit, and caught up for blocks stored before it) and its pages,
/// served by a real node over HTTP.
@Suite struct ExplorerTests {
    /// Block `height`'s indexed figures, after catching the index up (it trails the head, off the commit path).
    static func stats(_ indexer: ExplorerIndexer, _ chain: Chain, _ height: UInt64) throws -> BlockStats {
        try indexer.catchUp()
        return try BlockStats(canonicalBytes: try #require(try chain.store.read { try $0.blockStats(at: height) }))
    }

    @Test func theIndexAddsUpTheBlocksAndIsRebuiltIdenticallyFromTheStoredBlocks() throws {
        let accounts = DevAccount.make(3, prefix: "explorer")
        let test = try TestChain(genesis: try TestGenesis.make(accounts: accounts, balance: 1_000_000_000))
        let indexer = ExplorerIndexer(chain: test.chain, store: test.chain.store)
        indexer.start()
        var nonces = [UInt64](repeating: 0, count: accounts.count)
        var expectedTxs: UInt64 = 0
        var expectedBurn = Amount.zero
        for round in 0..<6 {
            var txs: [Transaction] = []
            for i in 0..<(round % 3 + 1) {
                txs.append(accounts[i].send(Amount(UInt128(1_000 + round)), to: accounts[(i + 1) % 3].address, nonce: nonces[i]))
                nonces[i] += 1
            }
            let block = try test.produceBlock(txs)
            expectedTxs += UInt64(block.receipts.count)
            for r in block.receipts { expectedBurn = Amount(expectedBurn.value + r.burned.value) }
            let s = try Self.stats(indexer, test.chain, block.header.height)
            #expect(s.transactions == UInt32(block.receipts.count))
            #expect(s.totalTransactions == expectedTxs)
            #expect(s.feesBurned == Amount(block.receipts.reduce(UInt128(0)) { $0 + $1.burned.value }))
            #expect(s.time == block.header.time)
        }
        let head = try test.head().height
        let last = try Self.stats(indexer, test.chain, head)
        #expect(last.totalBurned >= expectedBurn, "every base fee burned is counted")
        // Genesis's initial balances are not emission.
        #expect(try Self.stats(indexer, test.chain, 0).minted == .zero)

        // Each account's activity lists the transactions it sent and received, newest first.
        let recipient = accounts[1].address
        let refs = try test.chain.store.read { try $0.refs(kind: IndexKind.account, key: recipient.bytes, before: nil, limit: 100) }
        let txRefs = refs.filter { $0.index != IndexBatch.blockEvents }
        #expect(txRefs.count == 10, "account 1 received in every block and sent in four: \(refs)")
        #expect(refs.last == IndexPosition(height: 0, index: IndexBatch.blockEvents), "genesis minted its balance")
        #expect(refs == refs.sorted(by: >))
        for p in txRefs {
            let record = try #require(try test.chain.transaction(height: p.height, index: Int(p.index)))
            let (tx, receipt) = (record.transaction, record.receipt)
            let touches = tx.body.sender == recipient || receipt.events.contains { $0["recipient"] == recipient.bech32 }
            #expect(touches)
        }
        // Paging with `before` continues exactly where the first page stopped.
        let first = try test.chain.store.read { try $0.refs(kind: IndexKind.account, key: recipient.bytes, before: nil, limit: 4) }
        let rest = try test.chain.store.read { try $0.refs(kind: IndexKind.account, key: recipient.bytes, before: first.last, limit: 100) }
        #expect(first + rest == refs)

        // Dropped and rebuilt from the stored blocks (as for a chain stored before the index existed): the same bytes.
        // The first chain's background catch-up (asked for by its last commit) must not run after the drop.
        indexer.waitForBackgroundCatchUp()
        let before = try (0...head).map { h in try test.chain.store.read { try $0.blockStats(at: h) } }
        try test.chain.store.dropIndex()
        #expect(try test.chain.store.read { try $0.indexHead() } == nil)
        let reopened = try test.reopen()
        let reindexer = ExplorerIndexer(chain: reopened.chain, store: reopened.chain.store)
        try reindexer.catchUp()
        #expect(try reopened.chain.store.read { try $0.indexHead() } == head)
        let after = try (0...head).map { h in try reopened.chain.store.read { try $0.blockStats(at: h) } }
        #expect(after == before)
        #expect(try reopened.chain.store.read { try $0.refs(kind: IndexKind.account, key: recipient.bytes, before: nil, limit: 100) } == refs)

        // The rebuilt index goes on with the next blocks.
        let next = try reopened.produceBlock([accounts[0].send(5, to: recipient, nonce: nonces[0])])
        #expect(try Self.stats(reindexer, reopened.chain, next.header.height).totalTransactions == expectedTxs + 1)
    }

    @Test func everyPageRendersAndBadInputGetsAClearPage() async throws {
        try await InProcessNode.with { node in
            var receipts: [Receipt] = []
            for nonce in 0..<3 {
                receipts.append(try await NodeAPITests.transfer(node, amount: Amount(UInt128(1_000 + nonce)), nonce: UInt64(nonce)).1)
            }
            try node.indexer.catchUp()
            let hash = receipts[0].txHash
            let height = receipts[0].height
            let recipient = NodeAPITests.recipient.bech32
            let funded = InProcessNode.funded.address.bech32
            let blockHash = try await node.client().block(height).hash

            func page(_ path: String, status: Int = 200, heading: String, contains: [String] = []) async throws {
                let reply = try await node.request("GET", path)
                #expect(reply.status == status, "\(path): \(reply.text.prefix(300))")
                #expect(reply.contentType?.hasPrefix("text/html") == true, "\(path): \(reply.contentType ?? "no content type")")
                #expect(reply.text.contains("<h1>\(heading)"), "\(path): no heading '\(heading)' in \(reply.text.prefix(2000))")
                for s in contains { #expect(reply.text.contains(s), "\(path) does not show '\(s)'") }
            }

            try await page("/explorer", heading: "Network overview", contains: ["<svg", "Staking ratio", "Nakamoto", hash.hex.prefix(10).description])
            try await page("/explorer/blocks", heading: "Blocks", contains: ["/explorer/blocks/\(height)"])
            try await page("/explorer/blocks/\(height)", heading: "Block \(height)", contains: [hash.hex.prefix(10).description])
            try await page("/explorer/blocks/\(blockHash.hex)", heading: "Block \(height)")
            try await page("/explorer/txs", heading: "Transactions", contains: [hash.hex.prefix(10).description])
            try await page("/explorer/txs/\(hash.hex)", heading: "Transaction", contains: [hash.hex, "bank/send", recipient, "succeeded"])
            try await page("/explorer/accounts/\(recipient)", heading: "Account", contains: [hash.hex.prefix(10).description, "0.003003 CAIRN"])
            try await page("/explorer/accounts/\(funded)", heading: "Account", contains: [receipts[2].txHash.hex.prefix(10).description])
            try await page("/explorer/providers", heading: "Providers", contains: ["No provider has registered yet."])
            try await page("/explorer/models", heading: "Models")
            try await page("/explorer/channels", heading: "Payment channels")
            try await page("/explorer/proposals", heading: "Governance", contains: ["No proposals yet."])
            let validator = try #require(try node.home.loadValidatorKey()).publicKey.address.bech32
            try await page("/explorer/validators", heading: "Validators",
                           contains: ["/explorer/accounts/\(validator)", "Signed block", "<td class=\"num\">100.00%</td>", "proposes next"])
            try await page("/explorer/blocks/\(height)", heading: "Block \(height)", contains: ["Signed by", "/explorer/accounts/\(validator)"])
            let css = try await node.request("GET", "/explorer/style.css")
            #expect(css.status == 200 && css.contentType?.hasPrefix("text/css") == true)

            // Searches land on the page of what was found (the client follows the redirect).
            try await page("/explorer/search?q=\(height)", heading: "Block \(height)")
            try await page("/explorer/search?q=\(hash.hex)", heading: "Transaction", contains: [hash.hex])
            try await page("/explorer/search?q=\(blockHash.hex)", heading: "Block \(height)")
            try await page("/explorer/search?q=\(recipient)", heading: "Account", contains: [recipient])
            try await page("/explorer/search?q=%20%20\(recipient.uppercased())%20", heading: "Account", contains: [recipient])
            try await page("/explorer/search?q=nothing-like-this", status: 404, heading: "Not found", contains: ["Nothing found for"])
            try await page("/explorer/search?q=99999999", status: 404, heading: "Not found", contains: ["the chain&#39;s height is"])
            try await page("/explorer/search?q=", status: 400, heading: "Bad request")

            // Bad input in any URL: a clear page with a fitting status, never a crash.
            let long = String(repeating: "a", count: 4_000)
            let bad: [(String, Int)] = [
                ("/explorer/txs/zzzz", 400), ("/explorer/txs/\(String(repeating: "0", count: 64))", 404),
                ("/explorer/blocks/99999999999999999999999", 400), ("/explorer/blocks/18446744073709551615", 404),
                ("/explorer/blocks/-1", 400), ("/explorer/blocks?before=99999999999999999999999", 400),
                ("/explorer/blocks?before=18446744073709551615", 200), ("/explorer/txs?before=1.x", 400),
                ("/explorer/accounts/notanaddress", 400), ("/explorer/accounts/cairn1xxxx", 400),
                ("/explorer/accounts/\(recipient)?before=99999999999999999999.0", 400),
                ("/explorer/accounts/\(recipient)?before=18446744073709551615.2147483647", 200),
                ("/explorer/providers/\(recipient)", 404), ("/explorer/providers/cairn1qqq", 400),
                ("/explorer/models/999999", 404), ("/explorer/models/abc", 400), ("/explorer/models?after=-3", 400),
                ("/explorer/channels/abc", 400), ("/explorer/channels/18446744073709551615", 404),
                ("/explorer/channels?before=18446744073709551615", 200),
                ("/explorer/proposals/0", 404), ("/explorer/proposals?before=x", 400),
                ("/explorer/txs/%00", 400), ("/explorer/accounts/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400),
                ("/explorer/accounts/\(long)", 400), ("/explorer/no/such/page", 404),
            ]
            for (path, status) in bad {
                let reply = try await node.request("GET", path)
                #expect(reply.status == status, "\(path.prefix(80)): \(reply.status) \(reply.text.prefix(300))")
                #expect(reply.contentType?.hasPrefix("text/html") == true, "\(path.prefix(80))")
                #expect(reply.text.contains("<h1>"), "\(path.prefix(80))")
                #expect(!reply.text.contains("<script>"), "\(path.prefix(80)) echoes markup unescaped")
            }
            let notProvider = try await node.request("GET", "/explorer/providers/\(recipient)")
            #expect(notProvider.text.contains("<a href=\"/explorer/accounts/\(recipient)\">"), "links to the account page")
            #expect(try await node.request("GET", "/v1/status").status == 200)
        }
    }
}
