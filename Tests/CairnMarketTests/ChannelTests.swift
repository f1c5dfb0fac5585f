import CairnBank
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct ChannelTests {
    @Test func openingEscrowsTheDepositAndNumbersChannelsFromOne() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let before = try f.balance(f.client.address)
        let r = try f.succeed(f.client, MsgOpenChannel(provider: f.provider.address, deposit: 7_000_000, voucherKey: f.client.publicKey))
        let event = try #require(r.events.first { $0.type == "market.channel_opened" })
        #expect(event["id"] == "1" && event["client"] == f.client.address.bech32 && event["provider"] == f.provider.address.bech32
            && event["deposit"] == "7000000")
        #expect(try f.balance(f.client.address) == Amount(before.value - 7_000_000 - r.fee.value))
        #expect(try f.escrow() == 7_000_000)
        let channel = try f.channel(1)
        #expect(channel.client == f.client.address && channel.provider == f.provider.address && channel.deposit == 7_000_000)
        #expect(channel.claimed == .zero && channel.claimedPerModel.isEmpty && channel.state == "open")
        #expect(channel.openedHeight == f.height && channel.settleHeight == 0)
        #expect(channel.voucherKey == f.client.publicKey.rawRepresentation.hexString)
        #expect(try f.open(deposit: 1) == 2)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func channelsAreListedByClientAndByProvider() throws {
        let other = DevAccount("other-client")
        let f = try MarketFixture(extraAccounts: [other])
        try f.registerProvider()
        let a = try f.open(deposit: 1_000)
        let b = try f.open(deposit: 2_000, from: other)
        let c = try f.open(deposit: 3_000)
        #expect(try f.market.channelViews(client: f.client.address, state: f.state).map(\.id) == [a, c])
        #expect(try f.market.channelViews(client: other.address, state: f.state).map(\.id) == [b])
        #expect(try f.market.channelViews(provider: f.provider.address, state: f.state).map(\.id) == [a, b, c])
        #expect(try f.market.channelViews(provider: f.client.address, state: f.state).isEmpty)
        #expect(try f.market.channelView(99, state: f.state) == nil)
    }

    @Test func openingToAnUnregisteredProviderOrToOneselfIsRefused() throws {
        let f = try MarketFixture()
        try f.refuse(f.client, MsgOpenChannel(provider: f.stranger.address, deposit: 1_000, voucherKey: f.client.publicKey), code: 5)
        try f.registerProvider()
        try f.refuse(f.provider, MsgOpenChannel(provider: f.provider.address, deposit: 1_000, voucherKey: f.provider.publicKey), code: 1)
    }

    @Test func openingBeyondTheBalanceFailsInTheBank() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let r = try f.run(f.client, MsgOpenChannel(provider: f.provider.address, deposit: Amount(MarketFixture.funds.value * 2),
                                                   voucherKey: f.client.publicKey))
        #expect(!r.success && r.error?.matches(BankError.insufficientFunds("", have: "", need: "")) == true)
        #expect(try f.escrow() == .zero && f.market.channelView(1, state: f.state) == nil)
    }

    @Test func aTopUpAddsToTheDepositAndTheEscrow() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let r = try f.succeed(f.client, MsgTopUpChannel(channelID: id, amount: 250_000))
        #expect(r.amount("market.channel_topped_up", "deposit") == 1_250_000)
        #expect(try f.channel(id).deposit == 1_250_000 && f.escrow() == 1_250_000)
    }

    @Test func onlyTheClientTopsUpOrClosesItsChannel() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.refuse(f.stranger, MsgTopUpChannel(channelID: id, amount: 1_000), code: 7)
        try f.refuse(f.provider, MsgTopUpChannel(channelID: id, amount: 1_000), code: 7)
        try f.refuse(f.stranger, MsgCloseChannel(channelID: id), code: 7)
        try f.refuse(f.provider, MsgCloseChannel(channelID: id), code: 7)
        try f.refuse(f.client, MsgTopUpChannel(channelID: 42, amount: 1_000), code: 6)
        try f.refuse(f.client, MsgCloseChannel(channelID: 42), code: 6)
        #expect(try f.channel(id).state == "open" && f.channel(id).deposit == 1_000_000)
    }

    @Test func aClosingChannelTakesNoTopUpAndNoSecondClose() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let r = try f.succeed(f.client, MsgCloseChannel(channelID: id))
        let settle = f.height + MarketFixture.marketParams.settleDelayBlocks
        #expect(r.events.first { $0.type == "market.channel_closing" }?["settle_height"] == "\(settle)")
        #expect(try f.channel(id).state == "closing" && f.channel(id).settleHeight == settle)
        try f.refuse(f.client, MsgTopUpChannel(channelID: id, amount: 1_000), code: 9)
        try f.refuse(f.client, MsgCloseChannel(channelID: id), code: 9)
    }

    @Test func theRestIsRefundedAtTheEndOfTheSettleHeightExactly() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(2, 300_000)])))
        try f.succeed(f.client, MsgCloseChannel(channelID: id))
        let settle = try f.channel(id).settleHeight
        let waiting = try f.balance(f.client.address)
        while f.height < settle - 1 { try f.blocks(1) }
        #expect(try f.balance(f.client.address) == waiting && f.channel(id).state == "closing" && f.escrow() == 700_000)
        let exec = try f.harness.block(proposer: f.validator.address)
        #expect(f.height == settle)
        #expect(try f.balance(f.client.address) == Amount(waiting.value + 700_000))
        #expect(try f.channel(id).state == "closed" && f.escrow() == .zero)
        let closed = try #require(exec.blockEvents.first { $0.type == "market.channel_closed" })
        #expect(closed["id"] == "\(id)" && closed["refund"] == "700000" && closed["client"] == f.client.address.bech32)
        // The record stays, with what was claimed, and the channel takes nothing more.
        #expect(try f.channel(id).claimed == 300_000)
        try f.refuse(f.client, MsgTopUpChannel(channelID: id, amount: 1_000), code: 9)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func nobodyCanPayIntoTheEscrowDirectly() throws {
        let f = try MarketFixture()
        let r = try f.run(f.client, MsgSend(to: MarketAccounts.escrow, coins: [Coin(denom: Denom.native, amount: 5)]))
        #expect(!r.success && r.error?.matches(BankError.blockedRecipient(MarketAccounts.escrow)) == true)
    }
}
