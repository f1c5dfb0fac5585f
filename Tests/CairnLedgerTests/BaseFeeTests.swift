import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct BaseFeeTests {
    /// Default parameters: block gas limit 60M, so the target is 30M; floor 10; denominator 8.
    @Test(arguments: [
        (UInt128(1_000), UInt64(30_000_000), UInt128(1_000)),
        (1_000, 60_000_000, 1_125),
        (1_000, 45_000_000, 1_062),
        (1_000, 30_000_001, 1_001),
        (1_000, 0, 875),
        (1_000, 15_000_000, 938),
        (1_000, 29_999_999, 1_000),
        (100, 30_000_001, 101),
        (11, 0, 10),
        (10, 0, 10),
        (10, 60_000_000, 11),
        (80, 0, 70),
        (1_000_000_000_000, 60_000_000, 1_125_000_000_000),
        (1_000_000_000_000, 0, 875_000_000_000),
    ])
    func nextBaseFeeFollowsEIP1559(current: UInt128, gasUsed: UInt64, next: UInt128) {
        #expect(ChainParams.default.nextBaseFee(current: Amount(current), gasUsed: gasUsed) == Amount(next))
    }

    @Test func nextBaseFeeMovesAtMostAnEighthAndNeverBelowTheFloor() {
        var rng = SeededRandom(seed: 0x1559)
        let params = ChainParams.default
        let target = params.gasTarget
        for _ in 0..<2_000 {
            let current = UInt128.random(in: 10...1_000_000_000_000, using: &rng)
            let used = UInt64.random(in: 0...params.blockGasLimit, using: &rng)
            let next = params.nextBaseFee(current: Amount(current), gasUsed: used).value
            #expect(next >= params.minBaseFee.value)
            #expect(next <= current + max(current / 8, 1))
            #expect(next + current / 8 >= current)
            if used > target { #expect(next > current) }
            if used < target { #expect(next <= current) }
            if used == target { #expect(next == current) }
            // More gas never gives a lower fee.
            let more = UInt64.random(in: used...params.blockGasLimit, using: &rng)
            #expect(params.nextBaseFee(current: Amount(current), gasUsed: more).value >= next)
        }
    }

    /// Small blocks so a few transfers fill them: limit 40,000 gas (target 20,000), start 1,000, floor 100.
    static let smallBlocks = ChainParams(blockGasLimit: 40_000, initialBaseFee: 1_000, minBaseFee: 100,
                                         baseFeeChangeDenominator: 8, maxTxBytes: 64 * 1024, maxMemoBytes: 256)

    @Test func fullBlocksRaiseTheBaseFeeByAtMostAnEighthAndEmptyBlocksLowerItToTheFloor() throws {
        let f = try LedgerFixture(accounts: 6, params: BaseFeeTests.smallBlocks)
        var fee = try f.baseFee()
        #expect(fee == 1_000)
        var nonce: UInt64 = 0
        for _ in 0..<4 {
            let txs = f.accounts.map { $0.send(1, to: f.validator.address, nonce: nonce, gasLimit: 6_500, maxFee: 5_000, tip: 1) }
            nonce += 1
            let block = try f.produce(txs)
            #expect(block.execution.included.count == 6)
            #expect(block.header.gasUsed > BaseFeeTests.smallBlocks.gasTarget)
            #expect(block.header.baseFee == fee)
            #expect(block.receipts.allSatisfy { $0.burned == Amount(UInt128($0.gasUsed) * fee.value) })
            let next = try f.baseFee()
            #expect(next > fee)
            #expect(next.value <= fee.value + fee.value / 8)
            #expect(next == BaseFeeTests.smallBlocks.nextBaseFee(current: fee, gasUsed: block.header.gasUsed))
            fee = next
        }
        var previous = fee
        for _ in 0..<25 {
            let block = try f.produce([])
            #expect(block.header.baseFee == previous)
            let next = try f.baseFee()
            #expect(next >= BaseFeeTests.smallBlocks.minBaseFee)
            #expect(next < previous || next == BaseFeeTests.smallBlocks.minBaseFee)
            #expect(previous.value - next.value <= previous.value / 8)
            previous = next
        }
        #expect(previous == BaseFeeTests.smallBlocks.minBaseFee)
    }

    @Test func aTransactionWhoseMaxFeeWasEnoughBeforeTheRiseIsDroppedAfterIt() throws {
        let f = try LedgerFixture(accounts: 6, params: BaseFeeTests.smallBlocks)
        try f.produce(f.accounts.map { $0.send(1, to: f.validator.address, nonce: 0, gasLimit: 6_500, maxFee: 5_000) })
        let fee = try f.baseFee()
        #expect(fee > 1_000)
        let block = try f.produce([f.accounts[0].send(1, to: f.validator.address, nonce: 1, gasLimit: 6_500, maxFee: 1_000, tip: 0)])
        #expect(block.execution.dropped.first?.error.matches(CoreError.feeTooLow(maxFee: 0, baseFee: 0)) == true)
    }
}
