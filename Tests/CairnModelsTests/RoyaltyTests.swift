import CairnBank
import CairnLedger
import CairnModels
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct RoyaltyTests {
    @Test func royaltiesGoToTheOwnerWhileNoSharesExist() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        let before = try f.balance(f[0].address)
        try f.pay(1_234, model: id)
        #expect(try f.balance(f[0].address) == Amount(before.value + 1_234))
        #expect(try f.pool() == .zero)
        #expect(try f.model(id).royaltiesEarned == 1_234)

        // After a transfer the new owner earns them.
        try f.ok(f[0], MsgTransferModel(modelID: id, to: f[1].address))
        let newOwner = try f.balance(f[1].address)
        try f.pay(66, model: id)
        #expect(try f.balance(f[1].address) == Amount(newOwner.value + 66))
        #expect(try f.model(id).royaltiesEarned == 1_300)
        #expect(isModels(try f.run(f[1], MsgClaimRoyalties(modelID: id)).error, 8))
    }

    @Test func royaltiesInAnotherDenominationAreRefusedAndZeroDoesNothing() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        let error = #expect(throws: LedgerError.self) {
            try f.harness.withContext(proposer: f.validator.address) { context in
                try f.models.payRoyalty(Coin(denom: "uother", amount: 5), model: id, from: f.payer.address, context: context)
            }
        }
        #expect(isModels(error, 13))
        try f.pay(.zero, model: id)
        #expect(try f.model(id).royaltiesEarned == .zero)
    }

    @Test func holdersEarnProRataOnWhatTheyHeldWhenEachRoyaltyWasPaid() throws {
        let f = try ModelsFixture()
        let (a, b) = (f[0], f[1])
        let id = try f.register(a, "smollm2")
        try f.ok(a, MsgIssueShares(modelID: id, shares: 100))
        try f.pay(1_000, model: id)
        #expect(try f.pool() == 1_000)
        #expect(try f.claimable(a.address, id) == 1_000)

        // A sells half to B between the two royalties.
        #expect(try f.sendShares(50, of: id, from: a, to: b.address).success)
        #expect(try f.claimable(a.address, id) == 1_000)
        #expect(try f.claimable(b.address, id) == .zero)
        try f.pay(1_000, model: id)
        #expect(try f.claimable(a.address, id) == 1_500)
        #expect(try f.claimable(b.address, id) == 500)
        #expect(try f.model(id).royaltiesEarned == 2_000)

        let claimA = try f.ok(a, MsgClaimRoyalties(modelID: id))
        let claimB = try f.ok(b, MsgClaimRoyalties(modelID: id))
        #expect(ModelsFixture.claimed(claimA) == 1_500)
        #expect(ModelsFixture.claimed(claimB) == 500)
        #expect(try f.pool() == .zero)
        #expect(isModels(try f.run(b, MsgClaimRoyalties(modelID: id)).error, 9))

        // A holder who sold everything keeps what it earned before, and earns nothing after.
        try f.pay(400, model: id)
        #expect(try f.sendShares(50, of: id, from: b, to: a.address).success)
        try f.pay(400, model: id)
        #expect(try f.claimable(b.address, id) == 200)
        #expect(try f.claimable(a.address, id) == 600)
        #expect(ModelsFixture.claimed(try f.ok(b, MsgClaimRoyalties(modelID: id))) == 200)
        #expect(try f.models.holding(of: b.address, model: id, state: f.state)?.shares == .zero)
    }

    @Test func roundingDustWaitsInTheCarryAndIsPaidWithLaterRoyalties() throws {
        let f = try ModelsFixture()
        let (a, b) = (f[0], f[1])
        let id = try f.register(a, "smollm2")
        try f.ok(a, MsgIssueShares(modelID: id, shares: 3))
        #expect(try f.sendShares(2, of: id, from: a, to: b.address).success)
        try f.pay(10, model: id)
        // 10/3 per share: A is owed 3.33…, B 6.66…; the whole units are claimable, the rest waits.
        #expect(try f.claimable(a.address, id) == 3)
        #expect(try f.claimable(b.address, id) == 6)
        #expect(ModelsFixture.claimed(try f.ok(a, MsgClaimRoyalties(modelID: id))) == 3)
        #expect(ModelsFixture.claimed(try f.ok(b, MsgClaimRoyalties(modelID: id))) == 6)
        #expect(try f.pool() == 1)
        // 2 more: 12 in all, exactly 4 and 8.
        try f.pay(2, model: id)
        #expect(try f.claimable(a.address, id) == 1)
        #expect(try f.claimable(b.address, id) == 2)
        #expect(ModelsFixture.claimed(try f.ok(a, MsgClaimRoyalties(modelID: id))) == 1)
        #expect(ModelsFixture.claimed(try f.ok(b, MsgClaimRoyalties(modelID: id))) == 2)
        #expect(try f.pool() == .zero)
    }

    @Test func royaltyEventsNameThePayerAndTheRecipient() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        let events = try f.harness.withContext(proposer: f.validator.address) { context in
            try f.models.payRoyalty(Coin(denom: Denom.native, amount: 7), model: id, from: f.payer.address, context: context)
            return context.events
        }
        let royalty = try #require(events.first { $0.type == "models.royalty" })
        #expect(royalty["id"] == "\(id)" && royalty["amount"] == "7")
        #expect(royalty["payer"] == f.payer.address.bech32 && royalty["recipient"] == f[0].address.bech32)
    }

    @Test func aPaymentTheBankCannotCoverChangesNothing() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        try f.ok(f[0], MsgIssueShares(modelID: id, shares: 10))
        let broke = DevAccount("broke").address
        let error = #expect(throws: LedgerError.self) {
            try f.harness.withContext(proposer: f.validator.address) { context in
                try f.models.payRoyalty(Coin(denom: Denom.native, amount: 5), model: id, from: broke, context: context)
            }
        }
        #expect(error?.module == BankError.codespace && error?.code == 1)
        #expect(try f.model(id).royaltiesEarned == .zero)
        #expect(f.harness.violations.isEmpty)
    }
}
