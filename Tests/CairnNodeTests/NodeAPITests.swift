import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnNode
import CairnChain
import CairnClient
import CairnTestSupport

/// The API's happy paths on a real HTTP server: submission to receipt, proofs, metrics and events.
@Suite struct NodeAPITests {
    static let recipient = DevAccount("api-recipient").address

    /// Sends `amount` from the funded account with TxBuilder and waits for the receipt.
    static func transfer(_ node: InProcessNode, amount: Amount, nonce: UInt64, memo: String = "") async throws -> (Transaction, Receipt) {
        let client = try node.client()
        let status = try await client.status()
        #expect(status.chainID == InProcessNode.chainID)
        let builder = TxBuilder(chainID: status.chainID, tip: 2)
        let tx = builder.build(messages: [MsgSend(to: recipient, coins: [Coin(denom: Denom.native, amount: amount)])],
                               key: InProcessNode.funded.key, nonce: nonce, baseFee: status.baseFee, memo: memo)
        let hash = try await client.submit(tx)
        #expect(hash == tx.hash)
        return (tx, try await client.waitForReceipt(hash, timeout: .seconds(15)))
    }

    /// The parts of `GET /v1/txs/{hash}` these tests read.
    struct TxJSON: Decodable {
        struct Message: Decodable { var type: String }
        var hash: Hash
        var height: UInt64
        var sender: Address
        var nonce: UInt64
        var memo: String
        var messages: [Message]
        var receipt: Receipt
    }

    @Test func aSignedTransferIsIncludedAndServedWithItsReceipt() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let (tx, receipt) = try await Self.transfer(node, amount: 12_345, nonce: 0, memo: "hello")
            #expect(receipt.success, "receipt error: \(receipt.error.map(\.description) ?? "")")
            #expect(receipt.txHash == tx.hash)
            #expect(receipt.height >= 1)
            #expect(receipt.fee > .zero)

            let reply = try await node.request("GET", "/v1/txs/\(tx.hash.hex)")
            #expect(reply.status == 200)
            let shown = try JSONDecoder().decode(TxJSON.self, from: reply.body)
            #expect(shown.hash == tx.hash)
            #expect(shown.height == receipt.height)
            #expect(shown.receipt == receipt)
            #expect(shown.sender == InProcessNode.funded.address)
            #expect(shown.nonce == 0)
            #expect(shown.memo == "hello")
            #expect(shown.messages.map(\.type) == ["bank/send"])

            let block = try await client.block(receipt.height)
            #expect(block.transactions.contains(tx.hash))
            #expect(block.header.height == receipt.height)
            #expect(block.commitRound == (try node.chain.block(at: receipt.height)?.commit.round), "the round of the block's certificate")

            let recipient = try await client.account(Self.recipient)
            #expect(recipient.balances == [Coin(denom: Denom.native, amount: 12_345)])
            let sender = try await client.account(InProcessNode.funded.address)
            #expect(sender.nonce == 1)
            let spent = try #require(Amount(12_345).adding(receipt.fee))
            #expect(sender.balances == [Coin(denom: Denom.native, amount: try #require(InProcessNode.fundedBalance.subtracting(spent)))])

            // The same bytes again are a replay of a used nonce.
            let again = await #expect(throws: ClientError.self) { _ = try await client.submit(tx) }
            #expect(again?.code == "nonce_too_low")
            #expect(again?.status == 400)
        }
    }

    /// `wait_ms` holds a read of a block above the head, or of a transaction not yet included, until the block is
    /// committed; one not committed within the wait is a 404 after it; a bad wait is a 400.
    @Test func readsWaitForTheBlockThatAnswersThem() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let head = try await client.status().height
            let clock = ContinuousClock()
            var block: BlockView?
            let waited = try await clock.measure { block = try await client.waitForBlock(head + 2, limit: .seconds(10)) }
            #expect(block?.header.height == head + 2)
            #expect(waited < .seconds(5), "answered when the block came, not at the end of the wait")
            let far = try await client.status().height + 1_000
            var missing: BlockView?
            let gaveUp = try await clock.measure { missing = try await client.waitForBlock(far, limit: .milliseconds(300)) }
            #expect(missing == nil && gaveUp >= .milliseconds(290) && gaveUp < .seconds(5))
            for bad in ["-1", "30001", "soon"] {
                let reply = try await node.request("GET", "/v1/blocks/\(far)?wait_ms=\(bad)")
                #expect(reply.status == 400 && String(decoding: reply.body, as: UTF8.self).contains("bad_query"))
            }

            // A transfer's receipt asked for with a wait comes back from the one request that waited for its block.
            let status = try await client.status()
            let tx = TxBuilder(chainID: status.chainID, tip: 2).build(
                messages: [MsgSend(to: Self.recipient, coins: [Coin(denom: Denom.native, amount: 7)])],
                key: InProcessNode.funded.key, nonce: 0, baseFee: status.baseFee)
            _ = try await client.submit(tx)
            let receipt = try await client.receipt(tx.hash, wait: .seconds(10))
            #expect(receipt?.success == true && receipt?.txHash == tx.hash)
            let unknown = try await client.receipt(Hash.sha256(Array("never sent".utf8)), wait: .milliseconds(300))
            #expect(unknown == nil)
        }
    }

    @Test func accountProofsVerifyAgainstTheHeaderStateRoot() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            _ = try await Self.transfer(node, amount: 777, nonce: 0)
            let accounts = [InProcessNode.funded.address, Self.recipient, DevAccount("api-never-seen").address]
            for address in accounts {
                let view = try await client.account(address, prove: true)
                let proof = try #require(view.proof)
                #expect(proof.entries.count >= 2, "the nonce and the native balance are proven")
                let header = try await client.block(proof.height).header
                #expect(header.stateRoot == proof.stateRoot)
                switch AccountProofCheck.verify(view, stateRoot: header.stateRoot) {
                case let .success(n): #expect(n == proof.entries.count)
                case let .failure(e): Issue.record("proof of \(address) does not verify: \(e)")
                }

                // Tampering with what is shown, or checking against another root, must fail.
                #expect(throws: (any Error).self) { try AccountProofCheck.verify(view, stateRoot: Hash.sha256([1, 2, 3])).get() }
                var lying = view
                lying.nonce += 1
                #expect(throws: (any Error).self) { try AccountProofCheck.verify(lying, stateRoot: header.stateRoot).get() }
                if let first = view.balances.first {
                    var richer = view
                    richer.balances[0] = Coin(denom: first.denom, amount: try #require(first.amount.adding(1)))
                    #expect(throws: (any Error).self) { try AccountProofCheck.verify(richer, stateRoot: header.stateRoot).get() }
                }
            }
        }
    }

    @Test func metricsExposeTheBlockHeight() async throws {
        try await InProcessNode.with { node in
            let deadline = ContinuousClock.now + .seconds(30)
            var height: UInt64 = 0
            var reply: InProcessNode.Reply
            repeat {
                reply = try await node.request("GET", "/metrics")
                #expect(reply.status == 200)
                let line = reply.text.split(separator: "\n").first { $0.hasPrefix("cairn_block_height ") }
                height = try #require(line.flatMap { UInt64($0.split(separator: " ").last ?? "") }, "no cairn_block_height in \(reply.text)")
                if height >= 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            #expect(height >= 2, "blocks are produced every 200 ms")
            #expect(reply.contentType?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains("# TYPE cairn_block_height gauge"))
            let status = try await node.client().status()
            #expect(height <= status.height)
        }
    }

    @Test func theEventStreamDeliversABlockRecordWithinSeconds() async throws {
        try await InProcessNode.with { node in
            let text = try await RawHTTP.read(port: node.port, request: "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
                                              until: "event: block\ndata: ", timeout: .seconds(30))
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(200))")
            #expect(text.lowercased().contains("content-type: text/event-stream"))
            let after = try #require(text.range(of: "event: block\ndata: "), "no block event within 30 s: \(text.prefix(500))")
            let line = text[after.upperBound...].prefix { $0 != "\n" }
            let record = try JSONDecoder().decode(BlockRecord.self, from: Data(line.utf8))
            #expect(record.header.height >= 1)
            #expect(record.hash == record.header.hash)
            #expect(record.header.chainID == InProcessNode.chainID)
        }
    }
}
