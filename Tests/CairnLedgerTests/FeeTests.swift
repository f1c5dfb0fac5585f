import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct FeeTests {
    @Test func aTransferMovesTheAmountAndChargesGasUsedTimesBaseFeePlusTip() throws {
        let f = try LedgerFixture()
        let (alice, bob) = (f.accounts[0], f.accounts[1])
        let before = try f.snapshot()
        let baseFee = try f.baseFee()
        #expect(baseFee == ChainParams.default.initialBaseFee)
        let tx = alice.send(12_345, to: bob.address, nonce: 0, gasLimit: 100_000, maxFee: 50, tip: 3)
        let block = try f.produce([tx])

        let receipt = try #require(block.receipts.first)
        let gas = transferGas(tx)
        #expect(receipt.success)
        #expect(receipt.gasUsed == gas)
        #expect(block.header.gasUsed == gas)
        #expect(receipt.burned == Amount(UInt128(gas) * baseFee.value))
        #expect(receipt.tip == Amount(UInt128(gas) * 3))
        #expect(receipt.fee == Amount(UInt128(gas) * (baseFee.value + 3)))

        let after = try f.snapshot()
        // The sender pays the amount and the fee, not the reserved maximum: the rest is refunded.
        #expect(after.balance(alice.address) == before.balance(alice.address).subtracting(12_345)!.subtracting(receipt.fee)!)
        #expect(after.balance(bob.address) == before.balance(bob.address).adding(12_345)!)
        #expect(after.balance(f.validator.address) == receipt.tip)
        #expect(try f.burned() == receipt.burned)
        #expect(after.nonce(alice.address) == 1)
        #expect(after.nonce(bob.address) == 0)

        let paid = try #require(receipt.events.first { $0.type == "fee.paid" })
        #expect(paid["fee"] == receipt.fee.description)
        #expect(paid["burned"] == receipt.burned.description)
        #expect(paid["proposer"] == f.validator.address.bech32)
        #expect(receipt.events.contains { $0.type == "bank.transfer" && $0["recipient"] == bob.address.bech32 })
    }

    @Test(arguments: [(Amount(50), Amount(3), Amount(3)), (13, 5, 3), (10, 5, 0), (10, 0, 0), (30, 30, 20)])
    func theTipPerGasIsCappedByMaxFeeMinusBaseFee(maxFee: Amount, maxTip: Amount, effectiveTip: Amount) throws {
        let f = try LedgerFixture()
        let tx = f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0, maxFee: maxFee, tip: maxTip)
        let receipt = try #require(try f.produce([tx]).receipts.first)
        let gas = UInt128(receipt.gasUsed)
        #expect(receipt.tip == Amount(gas * effectiveTip.value))
        #expect(receipt.burned == Amount(gas * 10))
        #expect(try f.balance(f.validator.address) == receipt.tip)
    }

    @Test func tipsOfSeveralTransactionsAddUpForTheProposerAndBurnsAddUp() throws {
        let f = try LedgerFixture()
        var txs = [Transaction]()
        for i in 0..<3 {
            txs.append(f.accounts[i].send(Amount(UInt128(i + 1)), to: f.accounts[3].address, nonce: 0, tip: Amount(UInt128(i))))
        }
        txs.append(f.accounts[0].send(7, to: f.accounts[3].address, nonce: 1))
        let block = try f.produce(txs)
        #expect(block.receipts.count == 4)
        #expect(block.receipts.allSatisfy { (r: Receipt) in r.success })
        let tips = block.receipts.reduce(Amount.zero) { $0.adding($1.tip)! }
        let burns = block.receipts.reduce(Amount.zero) { $0.adding($1.burned)! }
        #expect(try f.balance(f.validator.address) == tips)
        #expect(try f.burned() == burns)
        #expect(block.header.gasUsed == block.receipts.reduce(0) { $0 + $1.gasUsed })
        #expect(try f.nonce(f.accounts[0]) == 2)
    }

    @Test func anOutOfGasTransactionFailsWithLedger6AndPaysItsWholeGasLimit() throws {
        let f = try LedgerFixture()
        let (alice, bob) = (f.accounts[0], f.accounts[1])
        let probe = alice.send(500, to: bob.address, nonce: 0)
        // Fixed-width fields: the gas limit does not change the size, so the intrinsic gas is known.
        let intrinsic = Ledger.intrinsicGas(byteCount: probe.canonicalBytes.count)
        let limit = intrinsic + 100
        let tx = alice.send(500, to: bob.address, nonce: 0, gasLimit: limit, maxFee: 20, tip: 2)
        #expect(tx.canonicalBytes.count == probe.canonicalBytes.count)
        let before = try f.snapshot()
        let block = try f.produce([tx])

        let receipt = try #require(block.receipts.first)
        #expect(!receipt.success)
        #expect(receipt.error?.module == "ledger")
        #expect(receipt.error?.code == 6)
        #expect(receipt.error?.matches(CoreError.outOfGas(limit: 0, needed: 0)) == true)
        #expect(receipt.failedMessage == nil)
        #expect(receipt.gasUsed == limit)
        #expect(receipt.fee == Amount(UInt128(limit) * 12))
        #expect(!receipt.events.contains { $0.type == "bank.transfer" })
        let after = try f.snapshot()
        #expect(after.balance(bob.address) == before.balance(bob.address))
        #expect(after.balance(alice.address) == before.balance(alice.address).subtracting(receipt.fee)!)
        #expect(after.nonce(alice.address) == 1)
    }

    @Test func aGasLimitBelowTheIntrinsicGasIsDroppedWithLedger16() throws {
        let f = try LedgerFixture()
        let tx = f.accounts[0].send(1, to: f.accounts[1].address, nonce: 0, gasLimit: 1_000)
        let block = try f.produce([tx])
        #expect(block.execution.included.isEmpty)
        #expect(block.execution.dropped.first?.error.matches(CoreError.gasLimitTooLow(0, intrinsic: 0)) == true)
    }
}
