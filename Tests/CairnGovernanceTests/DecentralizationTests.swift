import CairnGovernance
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct DecentralizationTests {
    @Test func equalStakesHaveNoInequality() {
        let d = Decentralization(stakes: Array(repeating: Amount(100), count: 10))
        #expect(d.holders == 10 && d.total == 1_000)
        #expect(d.gini == 0)
        // 3 of 10 hold exactly 30%: not over a third; 4 do. 5 hold exactly half: not over it; 6 do.
        #expect(d.nakamotoOneThird == 4)
        #expect(d.nakamotoHalf == 6)
        #expect(d.top10Share == 1)
    }

    @Test func oneHolderOfEverything() {
        let d = Decentralization(stakes: [0, 0, 0, 900, 0])
        #expect(d.holders == 1)
        #expect(d.nakamotoOneThird == 1 && d.nakamotoHalf == 1)
        #expect(d.gini == 0)
        let skewed = Decentralization(stakes: [1_000_000, 1, 1, 1])
        #expect(abs(skewed.gini - 0.75) < 0.001)
        #expect(skewed.nakamotoOneThird == 1)
    }

    @Test func aKnownGiniAndExactThresholds() {
        // Ascending 1, 2, 3, 4: 2·(1+4+9+16) / (4·10) − 5/4 = 0.25.
        let d = Decentralization(stakes: [3, 1, 4, 2])
        #expect(abs(d.gini - 0.25) < 1e-12)
        // Of 10, the largest (4) is over a third on its own; the two largest (7) are over half.
        #expect(d.nakamotoOneThird == 1)
        #expect(d.nakamotoHalf == 2)
        // 1/3 of 9 is exactly 3: holding 3 is not over it.
        #expect(Decentralization(stakes: [3, 3, 3]).nakamotoOneThird == 2)
        #expect(Decentralization(stakes: []).nakamotoHalf == 0)
    }

    @Test func theTopTenShareCountsOnlyTheTen() {
        let d = Decentralization(stakes: (1...20).map { _ in Amount(5) })
        #expect(d.top10Share == 0.5)
        #expect(Decentralization(stakes: [Amount(UInt128.max / 2), Amount(UInt128.max / 2)]).nakamotoHalf == 2)
    }
}
