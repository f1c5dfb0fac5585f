import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct MarketParamsTests {
    @Test func theDefaultsAreTheDocumentedOnes() throws {
        let p = MarketParams.default
        #expect(p.minProviderStake == 1_000_000_000 && p.protocolFeeBps == 500 && p.feeBurnBps == 5_000 && p.settleDelayBlocks == 100)
        try p.validate()
    }

    @Test func genesisStoresTheGivenParameters() throws {
        let f = try MarketFixture()
        #expect(try f.market.params(state: f.state) == MarketFixture.marketParams)
        #expect(try f.market.parameters(state: f.state) == (try JSONValue(encoding: MarketFixture.marketParams)))
    }

    @Test(arguments: [("protocolFeeBps", JSONValue.number(10_001)), ("feeBurnBps", .number(20_000)), ("settleDelayBlocks", .number(0)),
                      ("minProviderStake", .string("0")), ("nope", .number(1)), ("settleDelayBlocks", .string("soon"))])
    func invalidParameterChangesAreRefused(key: String, value: JSONValue) throws {
        let f = try MarketFixture()
        let before = try f.market.params(state: f.state)
        #expect(throws: LedgerError.self) {
            try f.harness.withContext(proposer: f.validator.address) { context in
                try f.market.setParameter(key, to: value, context: context)
            }
        }
        #expect(try f.market.params(state: f.state) == before)
    }

    @Test func aChangedFeeAppliesToTheNextClaim() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.harness.withContext(proposer: f.validator.address) { context in
            try f.market.setParameter("protocolFeeBps", to: .number(1_000), context: context)
            try f.market.setParameter("feeBurnBps", to: .number(0), context: context)
        }
        let r = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(2, 10_000)])))
        #expect(r.amount("market.claimed", "fee") == 1_000 && r.amount("market.claimed", "burned") == .zero
            && r.amount("market.claimed", "treasury") == 1_000)
    }

    @Test func aChangedSettleDelayAppliesToChannelsClosedAfterIt() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let early = try f.open(deposit: 1_000)
        try f.succeed(f.client, MsgCloseChannel(channelID: early))
        let earlySettle = f.height + MarketFixture.marketParams.settleDelayBlocks
        try f.harness.withContext(proposer: f.validator.address) { context in
            try f.market.setParameter("settleDelayBlocks", to: .number(2), context: context)
        }
        let late = try f.open(deposit: 1_000)
        try f.succeed(f.client, MsgCloseChannel(channelID: late))
        #expect(try f.channel(late).settleHeight == f.height + 2)
        #expect(try f.channel(early).settleHeight == earlySettle)
        try f.blocks(6)
        #expect(try f.channel(early).state == "closed" && f.channel(late).state == "closed")
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aHigherMinimumStakeDeactivatesAProvider() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        #expect(try f.market.providerView(f.provider.address, state: f.state)?.active == true)
        try f.harness.withContext(proposer: f.validator.address) { context in
            try f.market.setParameter("minProviderStake", to: .string("50000001"), context: context)
        }
        #expect(try f.market.providerView(f.provider.address, state: f.state)?.active == false)
    }
}

@Suite struct ClaimSplitTests {
    @Test func theProviderTakesWhatTheFloorsLeave() {
        let split = ClaimSplit(parts: [(modelID: 1, amount: 19, royaltyBps: 1_000), (modelID: 2, amount: 0, royaltyBps: 5_000)],
                               protocolFeeBps: 500, feeBurnBps: 5_000)
        // 19 × 5% = 0.95 -> 0; 19 × 10% = 1.9 -> 1; the provider gets 18.
        #expect(split.parts.count == 1)
        #expect(split.fee == .zero && split.royalties == 1 && split.provider == 18 && split.amount == 19)
    }

    @Test func aRoyaltyNeverTakesMoreThanTheFeeLeaves() {
        let split = ClaimSplit(parts: [(modelID: 1, amount: 1_000, royaltyBps: 10_000)], protocolFeeBps: 3_000, feeBurnBps: 3_333)
        #expect(split.fee == 300 && split.royalties == 700 && split.provider == .zero)
        #expect(split.burned == 99 && split.treasury == 201)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everySplitConservesTheTotal(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<500 {
            let parts = (0..<Int.random(in: 1...5, using: &rng)).map { i in
                (modelID: UInt64(i), amount: Amount(UInt128.random(in: 0...(UInt128(1) << 100), using: &rng)),
                 royaltyBps: UInt32.random(in: 0...10_000, using: &rng))
            }
            let s = ClaimSplit(parts: parts, protocolFeeBps: UInt32.random(in: 0...10_000, using: &rng),
                               feeBurnBps: UInt32.random(in: 0...10_000, using: &rng))
            #expect(s.fee.value + s.royalties.value + s.provider.value == s.amount.value)
            #expect(s.burned.value + s.treasury.value == s.fee.value)
            #expect(s.amount.value == parts.reduce(UInt128(0)) { $0 + $1.amount.value })
        }
    }

    @Test func amountsNearTheTopOfTheRangeDoNotOverflow() {
        let big = Amount(UInt128.max - 7)
        #expect(ClaimSplit.basisPoints(10_000, of: big) == big)
        #expect(ClaimSplit.basisPoints(5_000, of: big) == Amount(big.value / 2))
    }
}
