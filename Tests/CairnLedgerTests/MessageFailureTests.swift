import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct MessageFailureTests {
    @Test func aFailingSecondMessageRevertsTheFirstButKeepsFeeAndNonce() throws {
        let f = try LedgerFixture()
        let (alice, bob, carol) = (f.accounts[0], f.accounts[1], f.accounts[2])
        let before = try f.snapshot()
        let messages = [
            RawMessage(MsgSend(to: bob.address, coins: [ucairn(1_000)])),
            RawMessage(MsgSend(to: carol.address, coins: [ucairn(LedgerFixture.startingBalance.value)])),
        ]
        let tx = alice.transaction(messages, nonce: 0, gasLimit: 100_000)
        let block = try f.produce([tx])

        #expect(block.execution.included.map(\.transaction) == [tx])
        let receipt = try #require(block.receipts.first)
        #expect(!receipt.success)
        #expect(receipt.failedMessage == 1)
        #expect(receipt.error?.module == "bank")
        #expect(receipt.error?.code == 1)
        #expect(receipt.error?.matches(BankError.insufficientFunds("", have: "", need: "")) == true)
        // Gas is still what both messages cost, and it is paid.
        let gas = Ledger.intrinsicGas(byteCount: tx.canonicalBytes.count) + 2 * (BankGas.send + BankGas.perCoin)
        #expect(receipt.gasUsed == gas)
        #expect(receipt.fee == Amount(UInt128(gas) * 12))
        // The reverted transfer left no event behind; the fee's event stays.
        #expect(receipt.events.map(\.type) == ["fee.paid"])

        let after = try f.snapshot()
        #expect(after.balance(bob.address) == before.balance(bob.address))
        #expect(after.balance(carol.address) == before.balance(carol.address))
        #expect(after.balance(alice.address) == before.balance(alice.address).subtracting(receipt.fee)!)
        #expect(after.nonce(alice.address) == 1)
        #expect(try f.burned() == receipt.burned)
    }

    @Test func aFailedTransactionDoesNotDisturbTheNextOneInTheBlock() throws {
        let f = try LedgerFixture()
        let (alice, bob) = (f.accounts[0], f.accounts[1])
        let failing = alice.send(LedgerFixture.startingBalance, to: bob.address, nonce: 0)
        let next = alice.send(77, to: bob.address, nonce: 1)
        let block = try f.produce([failing, next])
        #expect(block.receipts.map(\.success) == [false, true])
        #expect(block.receipts.map(\.index) == [0, 1])
        #expect(block.receipts[0].failedMessage == 0)
        #expect(try f.balance(bob.address) == LedgerFixture.startingBalance.adding(77)!)
        #expect(try f.nonce(alice) == 2)
    }

    @Test func sendingToYourselfKeepsTheBalanceMinusTheFee() throws {
        let f = try LedgerFixture()
        let alice = f.accounts[0]
        let receipt = try #require(try f.produce([alice.send(5_000, to: alice.address, nonce: 0)]).receipts.first)
        #expect(receipt.success)
        #expect(try f.balance(alice.address) == LedgerFixture.startingBalance.subtracting(receipt.fee)!)
    }

    @Test func aMultiDenominationSendMovesEveryCoin() throws {
        let f = try LedgerFixture(extra: [(address: DevAccount.make(1)[0].address, coins: [Coin(denom: "token", amount: 500)])])
        let (alice, bob) = (f.accounts[0], f.accounts[1])
        let message = MsgSend(to: bob.address, coins: [ucairn(10), Coin(denom: "token", amount: 200)])
        let receipt = try #require(try f.produce([alice.transaction([RawMessage(message)], nonce: 0)]).receipts.first)
        #expect(receipt.success)
        #expect(receipt.gasUsed == Ledger.intrinsicGas(byteCount: alice.transaction([RawMessage(message)], nonce: 0).canonicalBytes.count)
            + BankGas.send + 2 * BankGas.perCoin)
        #expect(try f.balance(bob.address, "token") == 200)
        #expect(try f.balance(alice.address, "token") == 300)
    }

    @Test(arguments: [
        MsgSend(to: Address(bytes: [UInt8](repeating: 1, count: 20))!, coins: []),
        MsgSend(to: Address(bytes: [UInt8](repeating: 1, count: 20))!, coins: [ucairn(0)]),
        MsgSend(to: Address(bytes: [UInt8](repeating: 1, count: 20))!, coins: [Coin(denom: "BAD", amount: 1)]),
        MsgSend(to: Address(bytes: [UInt8](repeating: 1, count: 20))!, coins: [ucairn(1), ucairn(2)]),
    ])
    func invalidSendsAreDroppedAsMalformedBeforeTouchingState(message: MsgSend) throws {
        let f = try LedgerFixture()
        let block = try f.produce([f.accounts[0].transaction([RawMessage(message)], nonce: 0)])
        #expect(block.execution.included.isEmpty)
        #expect(block.execution.dropped.first?.error.module == "bank")
        #expect(try f.nonce(f.accounts[0]) == 0)
    }

    @Test func unknownMessageTypesAndEmptyTransactionsAreDropped() throws {
        let f = try LedgerFixture()
        let unknown = f.accounts[0].transaction([RawMessage(type: "nope/thing", body: [])], nonce: 0)
        let empty = f.accounts[1].transaction([], nonce: 0)
        let garbled = f.accounts[2].transaction([RawMessage(type: MsgSend.typeName, body: [1, 2, 3])], nonce: 0)
        let block = try f.produce([unknown, empty, garbled])
        #expect(block.execution.included.isEmpty)
        #expect(block.execution.dropped.map(\.error.code) == [7, 9, 8])
        #expect(block.execution.dropped.allSatisfy { $0.error.module == "ledger" })
    }
}
