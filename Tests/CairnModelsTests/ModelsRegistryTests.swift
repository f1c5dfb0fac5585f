import CairnBank
import CairnLedger
import CairnModels
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct ModelsRegistryTests {
    @Test func registeringGivesSequentialIdsAndIndexesNameWeightsAndOwner() throws {
        let f = try ModelsFixture()
        let first = try f.register(f[0], "smollm2", royaltyBps: 500)
        let second = try f.register(f[1], "minilm", royaltyBps: 0)
        #expect(first == 1 && second == 2)

        let view = try f.model(1)
        #expect(view.name == "smollm2" && view.owner == f[0].address && view.royaltyBps == 500)
        #expect(view.weightsHash == ModelsFixture.spec("smollm2").weightsHash)
        #expect(view.sharesDenom == nil && view.shares == .zero && view.royaltiesEarned == .zero)
        #expect(view.registeredHeight == f.harness.height - 1)
        #expect(try f.models.model(named: "minilm", state: f.state)?.id == 2)
        #expect(try f.models.model(weightsHash: ModelsFixture.spec("minilm").weightsHash, state: f.state)?.id == 2)
        #expect(try f.models.models(ownedBy: f[0].address, state: f.state, limit: 10).map(\.id) == [1])
        #expect(try f.models.models(state: f.state, limit: 10).map(\.id) == [1, 2])
        #expect(try f.models.models(state: f.state, after: 1, limit: 10).map(\.id) == [2])
        #expect(try f.models.models(state: f.state, limit: 1).map(\.id) == [1])
        #expect(try f.models.model(3, state: f.state) == nil)
        let terms = try #require(try f.models.royaltyTerms(of: 1, state: f.state))
        #expect(terms.owner == f[0].address && terms.royaltyBps == 500)
        #expect(try f.models.royaltyTerms(of: 9, state: f.state) == nil)
    }

    @Test func aNameOrWeightsAlreadyRegisteredAreRefused() throws {
        let f = try ModelsFixture()
        _ = try f.register(f[0], "smollm2")
        var sameName = ModelsFixture.spec("smollm2")
        sameName.weightsHash = Hash.sha256(Array("other weights".utf8))
        #expect(isModels(try f.run(f[1], MsgRegisterModel(sameName)).error, 3))
        var sameWeights = ModelsFixture.spec("smollm2")
        sameWeights.name = "smollm2-copy"
        #expect(isModels(try f.run(f[1], MsgRegisterModel(sameWeights)).error, 4))
        #expect(try f.models.models(state: f.state, limit: 10).count == 1)
    }

    @Test func aRoyaltyAboveTheCapIsRefusedUntilGovernanceRaisesIt() throws {
        let f = try ModelsFixture()
        #expect(isModels(try f.run(f[0], MsgRegisterModel(ModelsFixture.spec("greedy", royaltyBps: 2_001))).error, 5))
        _ = try f.register(f[0], "at-cap", royaltyBps: 2_000)
        try f.harness.withContext(proposer: f.validator.address) { context in
            try f.models.setParameter("maxRoyaltyBps", to: .number(3_000), context: context)
        }
        #expect(try f.models.params(state: f.state).maxRoyaltyBps == 3_000)
        _ = try f.register(f[0], "greedy", royaltyBps: 2_001)
        let refused = #expect(throws: LedgerError.self) {
            try f.harness.withContext(proposer: f.validator.address) { context in
                try f.models.setParameter("maxRoyaltyBps", to: .number(10_001), context: context)
            }
        }
        #expect(refused?.code == 18)
    }

    @Test func malformedSpecsAreRefusedBeforeExecution() throws {
        var bad = ModelsFixture.spec("Upper-Case")
        #expect(throws: LedgerError.self) { try MsgRegisterModel(bad).validate() }
        bad = ModelsFixture.spec("fine")
        bad.royaltyBps = 10_001
        #expect(throws: LedgerError.self) { try MsgRegisterModel(bad).validate() }
        #expect(throws: LedgerError.self) { try MsgIssueShares(modelID: 1, shares: .zero).validate() }
        #expect(throws: LedgerError.self) { try MsgIssueShares(modelID: 1, shares: Amount(ModelShares.maxShares + 1)).validate() }
    }

    @Test func theOwnerTransfersTheModelAndOthersCannot() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        #expect(isModels(try f.run(f[1], MsgTransferModel(modelID: id, to: f[1].address)).error, 6))
        let r = try f.ok(f[0], MsgTransferModel(modelID: id, to: f[1].address))
        #expect(r.events.contains { $0.type == "models.transferred" && $0["to"] == f[1].address.bech32 })
        #expect(try f.model(id).owner == f[1].address)
        #expect(try f.models.models(ownedBy: f[0].address, state: f.state, limit: 10).isEmpty)
        #expect(try f.models.models(ownedBy: f[1].address, state: f.state, limit: 10).map(\.id) == [id])
        #expect(isModels(try f.run(f[0], MsgTransferModel(modelID: id, to: f[0].address)).error, 6))
        #expect(isModels(try f.run(f[1], MsgTransferModel(modelID: id, to: ModelsAccounts.royalties)).error, 15))
    }

    @Test func sharesAreIssuedOnceByTheOwnerOnly() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        #expect(isModels(try f.run(f[1], MsgIssueShares(modelID: id, shares: 100)).error, 6))
        let r = try f.ok(f[0], MsgIssueShares(modelID: id, shares: 100))
        #expect(r.events.contains { $0.type == "models.shares_issued" && $0["denom"] == "model/1" && $0["shares"] == "100" })
        #expect(try f.shares(f[0].address, id) == 100)
        #expect(try f.model(id).sharesDenom == "model/1" && f.model(id).shares == 100)
        #expect(isModels(try f.run(f[0], MsgIssueShares(modelID: id, shares: 100)).error, 7))
        #expect(try f.shares(f[0].address, id) == 100)
    }

    @Test(arguments: [0, 1, 2])
    func messagesAboutAnUnknownModelAreRefused(kind: Int) throws {
        let f = try ModelsFixture()
        let message: any LedgerMessage = switch kind {
        case 0: MsgTransferModel(modelID: 7, to: f[1].address)
        case 1: MsgIssueShares(modelID: 7, shares: 10)
        default: MsgClaimRoyalties(modelID: 7)
        }
        let tx = f.harness.tx(f[0], [RawMessage(message)], gasLimit: 300_000)
        let receipt = try #require(try f.harness.run(tx, proposer: f.validator.address))
        #expect(isModels(receipt.error, 2))
        #expect(throws: LedgerError.self) {
            try f.harness.withContext(proposer: f.validator.address) { context in
                try f.models.payRoyalty(Coin(denom: Denom.native, amount: 5), model: 7, from: f.payer.address, context: context)
            }
        }
    }

    @Test func sharesCannotBeSentToTheRoyaltyPool() throws {
        let f = try ModelsFixture()
        let id = try f.register(f[0], "smollm2")
        try f.ok(f[0], MsgIssueShares(modelID: id, shares: 100))
        let r = try f.sendShares(10, of: id, from: f[0], to: ModelsAccounts.royalties)
        #expect(r.error?.module == BankError.codespace && r.error?.code == 7)
        #expect(try f.shares(f[0].address, id) == 100)
    }

    @Test func genesisRegistersModelsAndIssuesTheirShares() throws {
        let owner = DevAccount("genesis-creator")
        let f = try ModelsFixture(params: ModelsParams(maxRoyaltyBps: 1_500), genesisModels: [
            ModelsGenesis.Model(owner: owner.address, spec: ModelsFixture.spec("smollm2", royaltyBps: 1_500)),
            ModelsGenesis.Model(owner: owner.address, spec: ModelsFixture.spec("minilm", royaltyBps: 100), shares: 1_000),
        ])
        #expect(try f.models.params(state: f.state).maxRoyaltyBps == 1_500)
        #expect(try f.model(1).name == "smollm2" && f.model(1).registeredHeight == 0)
        #expect(try f.model(2).shares == 1_000)
        #expect(try f.shares(owner.address, 2) == 1_000)
        #expect(try f.register(f[0], "third") == 3)
    }

    @Test func genesisRefusesABalanceOfSharesThatWereNeverIssued() throws {
        let stray = BankGenesis.Balance(address: DevAccount("stray").address, coins: [Coin(denom: "model/1", amount: 5)])
        let error = #expect(throws: LedgerError.self) { try ModelsFixture(extraBalances: [stray]) }
        #expect(isModels(error, 14))
    }

    @Test func genesisRefusesARoyaltyAboveItsCap() throws {
        let model = ModelsGenesis.Model(owner: DevAccount("x").address, spec: ModelsFixture.spec("smollm2", royaltyBps: 2_500))
        let error = #expect(throws: LedgerError.self) { try ModelsFixture(genesisModels: [model]) }
        #expect(isModels(error, 5))
    }
}
