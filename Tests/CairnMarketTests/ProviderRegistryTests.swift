import CairnBank
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

@Suite struct ProviderRegistryTests {
    @Test func aBondedProviderRegistersAndIsListedActiveWithItsStake() throws {
        let f = try MarketFixture()
        try f.bondProvider(f.provider)
        let r = try f.succeed(f.provider, MsgRegisterProvider(MarketFixture.spec()))
        #expect(r.events.contains { $0.type == "market.provider_registered" && $0["provider"] == f.provider.address.bech32 })
        let views = try f.market.providerViews(state: f.state)
        #expect(views.count == 1)
        let view = try #require(views.first)
        #expect(view.address == f.provider.address && view.endpoint == "http://127.0.0.1:8080" && view.models.map(\.modelID) == [1, 2, 3])
        #expect(view.stake == MarketFixture.providerBond && view.active && !view.jailed)
        #expect(view.registeredHeight == f.height && view.updatedHeight == f.height)
        #expect(try f.market.providerView(f.provider.address, state: f.state) == view)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aProviderBelowTheMinimumStakeIsListedInactive() throws {
        let f = try MarketFixture()
        try f.bondProvider(f.provider, bond: 5_000_000)
        try f.succeed(f.provider, MsgRegisterProvider(MarketFixture.spec()))
        let view = try #require(try f.market.providerView(f.provider.address, state: f.state))
        #expect(view.stake == 5_000_000 && !view.active)
        // More stake bonded behind it makes it active, with no market transaction.
        try f.succeed(f.client, MsgDelegate(operator: f.provider.address, amount: 5_000_000))
        #expect(try f.market.providerView(f.provider.address, state: f.state)?.active == true)
    }

    @Test func anAccountThatIsNotAProviderOperatorCannotRegister() throws {
        let f = try MarketFixture()
        try f.refuse(f.stranger, MsgRegisterProvider(MarketFixture.spec()), code: 2)
        // The validator is an operator, but not a provider.
        try f.refuse(f.validator, MsgRegisterProvider(MarketFixture.spec()), code: 2)
        #expect(try f.market.providerViews(state: f.state).isEmpty)
    }

    @Test func aSpecWithAnUnregisteredModelIsRefused() throws {
        let f = try MarketFixture()
        try f.bondProvider(f.provider)
        try f.refuse(f.provider, MsgRegisterProvider(MarketFixture.spec([1, 9])), code: 3)
        #expect(try f.market.providerView(f.provider.address, state: f.state) == nil)
    }

    @Test(arguments: ["ftp://example.com", "127.0.0.1:8080", "http://" + String(repeating: "a", count: 260)])
    func aBadEndpointIsRefusedBeforeExecution(endpoint: String) throws {
        let f = try MarketFixture()
        try f.bondProvider(f.provider)
        let tx = f.harness.tx(f.provider, [RawMessage(MsgRegisterProvider(MarketFixture.spec(endpoint: endpoint)))], gasLimit: 1_000_000)
        let exec = try f.harness.block([tx], proposer: f.validator.address)
        #expect(exec.receipts.isEmpty)
        #expect(exec.dropped.first?.error.matches(MarketError.invalidMessage("")) == true)
    }

    @Test func registeringTwiceIsRefused() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        try f.refuse(f.provider, MsgRegisterProvider(MarketFixture.spec([1])), code: 4)
    }

    @Test func anUpdateReplacesTheSpecAndKeepsTheRegistrationHeight() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let registered = f.height
        try f.blocks(2)
        let r = try f.succeed(f.provider, MsgUpdateProvider(MarketFixture.spec([2], endpoint: "https://provider.example")))
        #expect(r.events.contains { $0.type == "market.provider_updated" })
        let view = try #require(try f.market.providerView(f.provider.address, state: f.state))
        #expect(view.endpoint == "https://provider.example" && view.models.map(\.modelID) == [2])
        #expect(view.registeredHeight == registered && view.updatedHeight == f.height)
        try f.refuse(f.provider, MsgUpdateProvider(MarketFixture.spec([2, 7])), code: 3)
    }

    @Test func updateAndDeregisterNeedARegistration() throws {
        let f = try MarketFixture()
        try f.bondProvider(f.provider)
        try f.refuse(f.provider, MsgUpdateProvider(MarketFixture.spec()), code: 5)
        try f.refuse(f.provider, MsgDeregisterProvider(), code: 5)
    }

    @Test func aDeregisteredProviderLeavesTheListTakesNoNewChannelsAndStillClaimsItsOpenOnes() throws {
        let f = try MarketFixture()
        try f.registerProvider()
        let id = try f.open(deposit: 1_000_000)
        let r = try f.succeed(f.provider, MsgDeregisterProvider())
        #expect(r.events.contains { $0.type == "market.provider_deregistered" })
        #expect(try f.market.providerViews(state: f.state).isEmpty)
        try f.refuse(f.client, MsgOpenChannel(provider: f.provider.address, deposit: 1_000, voucherKey: f.client.publicKey), code: 5)
        try f.succeed(f.provider, MsgClaim(voucher: f.voucher(id, [(1, 10_000)])))
        #expect(try f.channel(id).claimed == 10_000)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }
}
