import CairnApp
import CairnBank
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import CairnVerification
import Testing

/// A ledger of the bank, staking, the market (over fake models, its claims gated by verification) and verification,
/// driven block by block by a `LedgerHarness` that audits every module's invariants after each block.
final class VerificationFixture {
    static let validator = DevAccount("validator")
    static let funds: Amount = 1_000_000_000_000
    static let providerBond: Amount = 50_000_000

    static var stakingParams: StakingParams {
        var p = StakingParams.default
        p.inflationInitialBps = 0
        p.inflationFloorBps = 0
        p.communityTaxBps = 0
        p.minSelfBond = 1_000_000
        return p
    }

    static let marketParams = MarketParams(minProviderStake: 10_000_000, protocolFeeBps: 500, feeBurnBps: 5_000, settleDelayBlocks: 20)
    /// Committees of 3, 4 blocks to commit and 4 to reveal, pooled windows of 4 jobs drawn from the last 8 with 2 blocks for
    /// their evidence (a challenge window of 12 blocks, within the settle delay of 20).
    static let params = VerificationParams(minVerifierBond: 1_000_000, challengeBond: 500_000, committeeSize: 3, commitBlocks: 4, revealBlocks: 4,
                                           slashBps: 1_000, bountyBps: 5_000, jailBlocks: 100, absentPenaltyBps: 1_000, pooledJobs: 4,
                                           pooledLookback: 8, evidenceBlocks: 2, pooledCommitBlocks: 4)

    let harness: LedgerHarness
    let verification = VerificationModule(bank: LedgerWiring.bank, stake: LedgerWiring.staking)
    let market: MarketModule
    let models: FakeModels
    let provider = DevAccount("provider")
    let client = DevAccount("client")
    let verifiers = (1...4).map { DevAccount("verifier-\($0)") }
    let stranger = DevAccount("stranger")
    var validator: DevAccount { Self.validator }
    var state: InMemoryState { harness.state }
    var height: UInt64 { harness.height }

    init(params: VerificationParams = VerificationFixture.params, marketParams: MarketParams = VerificationFixture.marketParams) throws {
        models = FakeModels(bank: LedgerWiring.bank)
        models.register(1, owner: stranger.address, royaltyBps: 1_000)
        market = MarketModule(bank: LedgerWiring.bank, stake: LedgerWiring.staking, models: models, challenges: verification)
        let accounts = [Self.validator, provider, client, stranger] + verifiers
        let balances = accounts.map { BankGenesis.Balance(address: $0.address, coins: [Coin(denom: Denom.native, amount: Self.funds)]) }
        var modules = try LedgerWiring.genesisModules(validator: Self.validator.publicKey, balances: balances, validatorBond: 100_000_000,
                                                      staking: Self.stakingParams)
        modules[MarketKeys.module] = try JSONValue(encoding: MarketGenesis(params: marketParams))
        modules[VerificationKeys.module] = try JSONValue(encoding: VerificationGenesis(params: params))
        let genesis = Genesis(chainID: TestGenesis.chainID, genesisTime: TestGenesis.defaultTime, params: .default,
                              validators: [GenesisValidator(name: "validator", publicKey: Self.validator.publicKey)], modules: modules)
        let ledger = Ledger(modules: [LedgerWiring.bank, LedgerWiring.staking, market, verification], feeBank: LedgerWiring.bank)
        harness = try LedgerHarness(genesis: genesis, ledger: ledger)
    }

    @discardableResult
    func run(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let exec = try harness.block([harness.tx(account, [RawMessage(message)], gasLimit: 1_000_000)], proposer: validator.address)
        return try #require(exec.receipts.first, "transaction was dropped: \(exec.dropped.map(\.error))", sourceLocation: sourceLocation)
    }

    /// Runs one transaction per (account, message) in one block; returns the block's execution.
    @discardableResult
    func runTogether(_ items: [(DevAccount, any LedgerMessage)]) throws -> BlockExecution {
        let txs = items.map { item in
            harness.tx(item.0, [RawMessage(type: type(of: item.1).typeName, body: item.1.canonicalBytes)], gasLimit: 1_000_000)
        }
        return try harness.block(txs, proposer: validator.address)
    }

    @discardableResult
    func succeed(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(r.success, "\(String(describing: r.error))", sourceLocation: sourceLocation)
        return r
    }

    /// Runs `message` and expects error `code` of `module` (verification by default).
    func refuse(_ account: DevAccount, _ message: some LedgerMessage, code: UInt32, module: String = VerificationError.codespace,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(!r.success && r.error?.module == module && r.error?.code == code,
                "expected \(module)/\(code), got \(String(describing: r.error))", sourceLocation: sourceLocation)
    }

    func blocks(_ n: Int) throws { try harness.blocks(n, proposer: validator.address) }

    /// Bonds and registers the provider serving model 1.
    func registerProvider() throws {
        try succeed(provider, MsgCreateProvider(OperatorSpec(moniker: "provider", commissionBps: 500, publicKey: provider.publicKey,
                                                             selfBond: Self.providerBond)))
        let spec = ProviderSpec(endpoint: "http://127.0.0.1:8080", hardware: Hardware(cpuCores: 2, memoryBytes: 8 << 30, gpus: 0, gpuModel: ""),
                                models: [ModelPrice(modelID: 1, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 10)])
        try succeed(provider, MsgRegisterProvider(spec))
    }

    func registerVerifiers(bonds: [Amount] = [2_000_000, 2_000_000, 2_000_000, 2_000_000]) throws {
        for (v, bond) in zip(verifiers, bonds) { try succeed(v, MsgRegisterVerifier(bond: bond)) }
    }

    /// A receipt for one job on `channel`, signed by `key` (the provider's by default).
    func receipt(channel: UInt64 = 1, output: String = "an answer", key: PrivateKey? = nil) -> SignedReceipt {
        ServiceReceipt(provider: provider.address, channelID: channel, requestHash: Hash.sha256(Array("a prompt".utf8)),
                       outputHash: Hash.sha256(Array(output.utf8)), modelID: 1, model: "smollm2", promptTokens: 10, completionTokens: 20,
                       embeddingTokens: 0, price: ModelPrice(modelID: 1, promptPerMillion: 100, completionPerMillion: 200, embeddingPerMillion: 10),
                       cost: 5, cumulative: 5, modelCumulative: 5, modelTokens: 30, modelRequests: 1)
            .signed(by: key ?? provider.key, chainID: harness.chainID)
    }

    /// Raises a challenge of `receipt` by `challenger`; returns its id.
    func raise(_ receipt: SignedReceipt, output: String = "an answer", by challenger: DevAccount? = nil,
               bond: Amount = VerificationFixture.params.challengeBond) throws -> UInt64 {
        let r = try succeed(challenger ?? client, Self.challenge(receipt, output: output, bond: bond))
        return try #require(r.events.first { $0.type == "verification.challenge" }?["challenge_id"].flatMap { UInt64($0) })
    }

    /// A challenge of `receipt` showing the fixture's request and `output`.
    static func challenge(_ receipt: SignedReceipt, output: String = "an answer", bond: Amount = VerificationFixture.params.challengeBond) -> MsgChallenge {
        MsgChallenge(receipt: receipt, request: Array("a prompt".utf8), output: Array(output.utf8), bond: bond)
    }

    func challenge(_ id: UInt64) throws -> Challenge { try #require(try verification.challengeRecord(id, state: state)) }

    func account(_ a: Address) -> DevAccount { ([provider, client, stranger] + verifiers).first { $0.address == a }! }

    static func salt(_ member: DevAccount, _ id: UInt64) -> [UInt8] { Hash.sha256(Array("salt \(member.name) \(id)".utf8)).bytes }

    /// Every member of `id`'s committee commits to `verdicts[i]` (nil: stays silent) in one block.
    func commit(_ id: UInt64, _ verdicts: [Verdict?]) throws {
        let seats = try challenge(id).committee
        let items: [(DevAccount, any LedgerMessage)] = zip(seats, verdicts).compactMap { seat, verdict in
            guard let verdict else { return nil }
            let m = account(seat.member)
            return (m, MsgCommitVerdict(challengeID: id, commitment: Verdict.commitment(challenge: id, member: m.address, verdict: verdict,
                                                                                       salt: Self.salt(m, id))))
        }
        let exec = try runTogether(items)
        let failed = exec.receipts.filter { !$0.success }.map(\.error)
        #expect(failed.isEmpty && exec.dropped.isEmpty, "\(failed) \(exec.dropped.map(\.error))")
    }

    /// Every member of `id`'s committee reveals `verdicts[i]` (nil: stays silent) in one block.
    func reveal(_ id: UInt64, _ verdicts: [Verdict?]) throws {
        let seats = try challenge(id).committee
        let items: [(DevAccount, any LedgerMessage)] = zip(seats, verdicts).compactMap { seat, verdict in
            guard let verdict else { return nil }
            let m = account(seat.member)
            return (m, MsgRevealVerdict(challengeID: id, verdict: verdict, salt: Self.salt(m, id)))
        }
        let exec = try runTogether(items)
        let failed = exec.receipts.filter { !$0.success }.map(\.error)
        #expect(failed.isEmpty && exec.dropped.isEmpty, "\(failed) \(exec.dropped.map(\.error))")
    }

    func stake(_ a: Address) throws -> Amount { try #require(try LedgerWiring.staking.stakedOperator(a, state: state)).tokens }
    func balance(_ a: Address) throws -> Amount { try harness.balance(a) }
    func bonds() throws -> Amount { try harness.balance(VerificationAccounts.bonds) }
    func burned() throws -> Amount { try LedgerWiring.bank.burned(Denom.native, state: state) }
}
