import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct TransactionSignatureTests {
    let alice = DevAccount("alice")
    let bob = DevAccount("bob")

    func transfer(chainID: String = "chain-a", nonce: UInt64 = 0) -> Transaction {
        alice.send(100, to: bob.address, nonce: nonce, chainID: chainID)
    }

    @Test func aTransactionSignedForChainADoesNotVerifyForChainB() {
        let tx = transfer(chainID: "chain-a")
        #expect(tx.hasValidSignature)
        var moved = tx
        moved.body.chainID = "chain-b"
        #expect(!moved.hasValidSignature)
        #expect(!alice.publicKey.isValidSignature(tx.signature, domain: .transaction, chainID: "chain-b",
                                                  payload: tx.body.canonicalBytes))
    }

    @Test func aTransactionForAnotherChainIsDroppedThere() throws {
        let f = try LedgerFixture(chainID: "chain-b")
        let tx = f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0, chainID: "chain-a")
        let block = try f.produce([tx])
        #expect(block.execution.included.isEmpty)
        #expect(block.execution.dropped.first?.error.matches(CoreError.wrongChain("", expected: "")) == true)
    }

    @Test(arguments: [UInt64(1), 2, 1 << 40])
    func changingTheNonceInvalidatesTheSignature(delta: UInt64) {
        var tx = transfer(nonce: 3)
        tx.body.nonce &+= delta
        #expect(!tx.hasValidSignature)
    }

    @Test func changingAnySignedFieldInvalidatesTheSignature() {
        let tx = transfer()
        let edits: [(String, (inout TransactionBody) -> Void)] = [
            ("gas limit", { $0.gasLimit += 1 }),
            ("max fee", { $0.maxFeePerGas = 21 }),
            ("tip", { $0.maxPriorityFeePerGas = 3 }),
            ("memo", { $0.memo = "x" }),
            ("message", { $0.messages[0].body[0] ^= 1 }),
            ("message type", { $0.messages[0].type = "bank/sent" }),
            ("extra message", { $0.messages.append($0.messages[0]) }),
            ("signer", { $0.signer = DevAccount("mallory").publicKey }),
        ]
        for (name, edit) in edits {
            var changed = tx
            edit(&changed.body)
            #expect(!changed.hasValidSignature, "\(name)")
        }
    }

    @Test func aBlockDomainSignatureDoesNotVerifyAsATransaction() {
        let body = transfer().body
        let blockSignature = alice.key.sign(domain: .block, chainID: body.chainID, payload: body.canonicalBytes)
        #expect(!Transaction(body: body, signature: blockSignature).hasValidSignature)
        for domain in SigningDomain.allCases where domain != .transaction {
            let signature = alice.key.sign(domain: domain, chainID: body.chainID, payload: body.canonicalBytes)
            #expect(!Transaction(body: body, signature: signature).hasValidSignature, "\(domain)")
        }
    }

    @Test func aVoteSignatureVerifiesOnlyInTheVoteDomainOnItsChain() {
        let vote = Vote(type: .precommit, height: 4, round: 0, blockHash: .zero, validator: alice.address)
        let signed = vote.signed(by: alice.key, chainID: "chain-a")
        #expect(signed.isSigned(by: alice.publicKey, chainID: "chain-a"))
        #expect(!signed.isSigned(by: alice.publicKey, chainID: "chain-b"))
        #expect(!alice.publicKey.isValidSignature(signed.signature, domain: .proposal, chainID: "chain-a", payload: vote.canonicalBytes))
        var later = signed
        later.vote.round = 1
        #expect(!later.isSigned(by: alice.publicKey, chainID: "chain-a"))
    }

    /// `count` transfers from alice to bob, with a bit flipped in the signature of every `step`-th from `first`.
    func transfers(_ count: Int, breakingEvery step: Int, from first: Int, byte: Int, bit: UInt8) -> [Transaction] {
        var txs = (0..<count).map { i in alice.send(Amount(UInt128(i + 1)), to: bob.address, nonce: UInt64(i)) }
        for i in stride(from: first, to: count, by: step) { txs[i].signature[byte] ^= bit }
        return txs
    }

    /// Each transaction's signature verdict, checked from its bytes in batches over every core.
    func verdicts(_ txs: [Transaction]) throws -> [Bool] {
        try TestGenesis.makeLedger().checkAll(txs.map(\.canonicalBytes)).map { try $0.get().signatureValid }
    }

    @Test func signaturesAreCheckedTheSameWhateverTheBatchSize() throws {
        let txs = transfers(300, breakingEvery: 37, from: 0, byte: 5, bit: 0x40)
        let expected = txs.map { (tx: Transaction) in tx.hasValidSignature }
        #expect(expected.filter { !$0 }.count == 9)
        #expect(try verdicts(txs) == expected)
        #expect(try verdicts([]) == [])
        #expect(try verdicts(Array(txs.prefix(1))) == [false])
    }

    @Test func checksMadeAheadGiveTheSameResultsInOrder() throws {
        let ledger = TestGenesis.makeLedger()
        let txs = transfers(200, breakingEvery: 41, from: 3, byte: 0, bit: 0x01)
        let expected = txs.map { (tx: Transaction) in tx.hasValidSignature }
        #expect(expected.filter { !$0 }.count == 5)
        // Two batches in flight at once, as when one block is checked while another executes.
        let first = PendingChecks(txs.map(\.canonicalBytes), ledger: ledger)
        let second = PendingChecks(txs.reversed().map(\.canonicalBytes), ledger: ledger)
        let secondChecked = try second.wait()
        let firstChecked = try first.wait()
        #expect(secondChecked.map(\.signatureValid) == expected.reversed())
        #expect(firstChecked.map(\.signatureValid) == expected)
        #expect(firstChecked.map(\.transaction) == txs)
        #expect(firstChecked.map(\.hash) == txs.map(\.hash))
        #expect(try PendingChecks([], ledger: ledger).wait().isEmpty)
    }

    /// Checked once from its bytes: the hash is of those bytes, the messages are decoded, and bytes that do not decode
    /// are named with their position in the block.
    @Test func aTransactionIsCheckedOnceFromItsBytes() throws {
        let ledger = TestGenesis.makeLedger()
        let tx = alice.send(5, to: bob.address, nonce: 0)
        let checked = try ledger.check(bytes: tx.canonicalBytes)
        #expect(checked.hash == Hash.sha256(tx.canonicalBytes) && checked.bytes == tx.canonicalBytes)
        #expect(try checked.messages.get().count == 1 && checked.signatureValid)
        var unknown = tx.body
        unknown.messages = [RawMessage(type: "nobody/nothing", body: [])]
        let refused = ledger.check(unknown.signed(with: alice.key))
        #expect(throws: LedgerError.self) { try refused.messages.get() }
        #expect(refused.signatureValid)
        let pending = PendingChecks([tx.canonicalBytes, Array(tx.canonicalBytes.dropLast())], ledger: ledger)
        let error = #expect(throws: DecodeError.self) { try pending.wait() }
        #expect(error?.message.hasPrefix("transaction 1 does not decode") == true)
    }
}
