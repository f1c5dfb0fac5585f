import CairnBank
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct ClaimTests {
    /// Balances that a claim moves, read before and after it.
    struct Books: Equatable {
        var provider, owner, treasury, burned, escrow: Amount
        init(_ f: MarketFixture) throws {
            provider = try f.balance(f.provider.address)
            owner = try f.balance(f.owner.address)
            treasury = try f.balance(ModuleAccount.treasury)
            burned = try f.burned()
            escrow = try f.escrow()
        }
    }

    @Test func aClaimSplitsEachModelsIncreaseExactly() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 10_000_000)
        let before = try Books(f)
        // Model 1 (10% royalty): 1,234,567 -> fee 61,728, royalty 123,456, provider 1,049,383.
        // Model 2 (no royalty):    500,001 -> fee 25,000, royalty 0,       provider 475,001.
        // Model 3 (20% royalty):    99,999 -> fee 4,999,  royalty 19,999,  provider 75,001.
        // Fee 91,727: burned 45,863 (rounded down), treasury 45,864.
        let r = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 1_234_567), (2, 500_001), (3, 99_999)])))
        let after = try Books(f)
        #expect(after.provider == Amount(before.provider.value + 1_599_385 - r.fee.value))
        #expect(after.owner == Amount(before.owner.value + 143_455))
        #expect(after.treasury == Amount(before.treasury.value + 45_864))
        #expect(after.burned == Amount(before.burned.value + 45_863 + r.burned.value))
        #expect(after.escrow == Amount(10_000_000 - 1_834_567))
        let event = try #require(r.events.first { $0.type == "market.claimed" })
        #expect(event["id"] == "\(id)" && event["channel"] == "\(id)" && event["provider"] == f.provider.address.bech32)
        #expect(event["cumulative"] == "1834567" && event["amount"] == "1834567" && event["fee"] == "91727")
        #expect(event["burned"] == "45863" && event["treasury"] == "45864" && event["royalties"] == "143455")
        #expect(event["provider_amount"] == "1599385")
        #expect(r.events.filter { $0.type == "models.royalty" }.map { $0["id"] ?? "" } == ["1", "3"])
        let channel = try f.channel(id)
        #expect(channel.claimed == 1_834_567)
        #expect(channel.claimedPerModel == [ModelAmount(modelID: 1, amount: 1_234_567), ModelAmount(modelID: 2, amount: 500_001),
                                            ModelAmount(modelID: 3, amount: 99_999)])

        // A later voucher pays only the increase: model 1 up by 765,433 -> fee 38,271, royalty 76,543,
        // provider 650,619; burned 19,135, treasury 19,136.
        let second = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 2_000_000), (2, 500_001), (3, 99_999)])))
        let last = try Books(f)
        #expect(second.amount("market.claimed", "amount") == 765_433 && second.amount("market.claimed", "fee") == 38_271)
        #expect(last.provider == Amount(after.provider.value + 650_619 - second.fee.value))
        #expect(last.owner == Amount(after.owner.value + 76_543))
        #expect(last.treasury == Amount(after.treasury.value + 19_136))
        #expect(last.burned == Amount(after.burned.value + 19_135 + second.burned.value))
        #expect(try f.channel(id).claimed == 2_600_000)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aNewModelMayJoinALaterVoucher() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(2, 1_000)])))
        let r = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 10_000), (2, 1_000)])))
        #expect(r.amount("market.claimed", "amount") == 10_000 && r.amount("market.claimed", "royalties") == 1_000)
        #expect(try f.channel(id).claimedPerModel.map(\.modelID) == [1, 2])
    }

    @Test func replayedAndLoweredVouchersAreRefused() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let latest = f.voucher(id, [(1, 5_000), (2, 5_000)])
        try f.succeed(f.provider, MsgClaim(voucher: latest))
        try f.refuse(f.provider, MsgClaim(voucher: latest), code: 12)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 4_000), (2, 5_000)])), code: 13)
        // A higher total does not excuse a model that went down, nor one that was left out.
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 4_999), (2, 50_000)])), code: 13)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(2, 50_000)])), code: 13)
        #expect(try f.channel(id).claimed == 10_000)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func claimsRecordTheTokensAndRequestsTheyPaidFor() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let first = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000), (2, 1_000)], usage: [
            ModelUsage(modelID: 1, tokens: 1_200, requests: 3), ModelUsage(modelID: 2, tokens: 40, requests: 2),
        ])))
        let e1 = try #require(first.events.first { $0.type == "market.claimed" })
        #expect(e1["tokens"] == "1240" && e1["requests"] == "5" && e1["served"] == "1:1200:3,2:40:2")
        // The next claim records the increase only; a model whose usage did not move is left out.
        let second = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 9_000), (2, 1_000)], usage: [
            ModelUsage(modelID: 1, tokens: 2_000, requests: 5), ModelUsage(modelID: 2, tokens: 40, requests: 2),
        ])))
        let e2 = try #require(second.events.first { $0.type == "market.claimed" })
        #expect(e2["tokens"] == "800" && e2["requests"] == "2" && e2["served"] == "1:800:2")
        #expect(try f.channel(id).claimedUsage == [ModelUsage(modelID: 1, tokens: 2_000, requests: 5), ModelUsage(modelID: 2, tokens: 40, requests: 2)])
        // A voucher that pays more but counts fewer tokens or requests than were claimed, or leaves a model's usage out: code 13.
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 10_000), (2, 1_000)], usage: [
            ModelUsage(modelID: 1, tokens: 1_999, requests: 6), ModelUsage(modelID: 2, tokens: 40, requests: 2),
        ])), code: 13)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 10_000), (2, 1_000)], usage: [
            ModelUsage(modelID: 1, tokens: 2_100, requests: 4), ModelUsage(modelID: 2, tokens: 40, requests: 2),
        ])), code: 13)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 10_000), (2, 1_000)], usage: [
            ModelUsage(modelID: 1, tokens: 2_100, requests: 6),
        ])), code: 13)
        // Malformed usage (unsorted, an all-zero entry): the transaction is not included.
        for usage in [[ModelUsage(modelID: 2, tokens: 50, requests: 3), ModelUsage(modelID: 1, tokens: 2_100, requests: 6)],
                      [ModelUsage(modelID: 1, tokens: 2_100, requests: 6), ModelUsage(modelID: 2, tokens: 0, requests: 0)]] {
            #expect(throws: PaymentShapeError.self) { try f.voucher(id, [(1, 10_000), (2, 1_000)], usage: usage).voucher.validate() }
        }
        #expect(try f.channel(id).claimed == 10_000)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aChannelRecordWrittenBeforeUsageWasClaimedReadsWithNone() throws {
        var record = ChannelRecord(client: PrivateKey.deterministic("c").publicKey.address, provider: PrivateKey.deterministic("p").publicKey.address,
                                   voucherKey: Array(repeating: 7, count: 32), deposit: 100, openedHeight: 3)
        record.claimed = 10
        record.claimedPerModel = [ModelAmount(modelID: 1, amount: 10)]
        let withUsage = record.canonicalBytes
        // The earlier encoding ends after the settle height: without the empty usage list's 4-byte count.
        var earlier = withUsage
        earlier.removeLast(4)
        #expect(try ChannelRecord(canonicalBytes: earlier) == record)
        record.claimedUsage = [ModelUsage(modelID: 1, tokens: 9, requests: 1)]
        #expect(try ChannelRecord(canonicalBytes: record.canonicalBytes) == record)
    }

    @Test func theSameVoucherClaimedTwiceInOneBlockPaysOnce() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let v = f.voucher(id, [(1, 100_000)])
        let txs = [f.harness.tx(f.provider, [RawMessage(MsgClaim(voucher: v))], gasLimit: 1_000_000),
                   f.harness.tx(f.provider, [RawMessage(MsgClaim(voucher: v))], gasLimit: 1_000_000)]
        let exec = try f.harness.block(txs, proposer: f.validator.address)
        #expect(exec.receipts.map(\.success) == [true, false])
        #expect(exec.receipts.last?.error?.matches(MarketError.nothingToClaim(0, claimed: .zero)) == true)
        #expect(try f.channel(id).claimed == 100_000 && f.escrow() == 900_000)
    }

    @Test func forgedAndWrongChainVouchersAreRefused() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000)], key: f.provider.key)), code: 11)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000)], key: f.stranger.key)), code: 11)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000)], chainID: "another-chain")), code: 11)
        // A voucher signed for one channel does not pay on another of the same client.
        let other = try f.open(deposit: 1_000_000)
        var moved = f.voucher(id, [(1, 5_000)])
        moved.voucher.channelID = other
        try f.refuse(f.provider, MsgClaim(voucher: moved), code: 11)
        #expect(try f.channel(id).claimed == .zero && f.channel(other).claimed == .zero)
    }

    @Test func aChannelsOwnVoucherKeyIsTheOneThatCounts() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let wallet = PrivateKey.deterministic("client-wallet")
        let id = try f.open(deposit: 1_000_000, key: wallet)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000)])), code: 11)
        try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000)], key: wallet)))
    }

    @Test func aVoucherAboveTheDepositIsRefusedUntilATopUpCoversIt() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let v = f.voucher(id, [(1, 600_000), (3, 400_001)])
        try f.refuse(f.provider, MsgClaim(voucher: v), code: 14)
        try f.succeed(f.client, MsgTopUpChannel(channelID: id, amount: 1))
        try f.succeed(f.provider, MsgClaim(voucher: v))
        #expect(try f.channel(id).claimed == 1_000_001 && f.escrow() == .zero)
    }

    @Test func onlyTheChannelsProviderClaims() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.refuse(f.client, MsgClaim(voucher: f.voucher(id, [(1, 5_000)])), code: 8)
        try f.refuse(f.stranger, MsgClaim(voucher: f.voucher(id, [(1, 5_000)])), code: 8)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(99, [(1, 5_000)])), code: 6)
    }

    @Test func aModelThatIsNotRegisteredIsRefused() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 5_000), (9, 5_000)])), code: 3)
        #expect(try f.channel(id).claimed == .zero && f.escrow() == 1_000_000)
    }

    @Test func claimsDuringTheSettleDelayAreAcceptedAndAfterItRefused() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.succeed(f.client, MsgCloseChannel(channelID: id))
        let settle = try f.channel(id).settleHeight
        try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 100_000)])))
        while f.height < settle - 1 { try f.blocks(1) }
        // The claim in the settle block itself runs before the block's end refunds the rest.
        let r = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 250_000)])))
        #expect(r.height == settle)
        #expect(try f.channel(id).state == "closed" && f.channel(id).claimed == 250_000)
        try f.refuse(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 300_000)])), code: 10)
        #expect(try f.escrow() == .zero)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aFeeOfEverythingLeavesNoRoyaltyAndNothingForTheProvider() throws {
        var params = MarketFixture.marketParams
        params.protocolFeeBps = 10_000
        params.feeBurnBps = 10_000
        let f = try MarketFixture(params: params)
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let r = try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(3, 10_000)])))
        #expect(r.amount("market.claimed", "fee") == 10_000 && r.amount("market.claimed", "burned") == 10_000)
        #expect(r.amount("market.claimed", "royalties") == .zero && r.amount("market.claimed", "provider_amount") == .zero)
    }
}
