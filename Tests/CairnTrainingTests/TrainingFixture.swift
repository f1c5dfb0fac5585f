import CairnBank
import CairnLedger
import CairnModels
import CairnTraining
import CairnApp
import CairnPrimitives
import CairnTestSupport
import Testing

/// The node's whole ledger over an in-memory state, driven block by block by a `LedgerHarness` that checks every
/// module's invariants (the training escrow among them) after each block, with a registered base model, a job
/// creator and participants that run `RoundClient` as the participant agent does. Every transaction's messages are
/// kept, as an observer of the chain would see them.
final class TrainingFixture {
    static let validator = DevAccount("validator")
    static let funds: Amount = 1_000_000_000_000

    let harness: LedgerHarness
    let creator = DevAccount("job-creator")
    let people: [DevAccount]
    let training = LedgerWiring.training
    let bank = LedgerWiring.bank
    var state: InMemoryState { harness.state }
    var height: UInt64 { harness.height }
    /// Every message of every transaction included so far, with its signer.
    var seen: [(signer: Address, message: RawMessage)] = []
    /// Fees paid so far, by payer.
    var fees: [Address: UInt128] = [:]
    var rng = SplitMix64(seed: 42)
    /// Each participant's encryption secret and its secrets of the running round.
    var encryption: [Address: [UInt8]] = [:]
    var secrets: [Address: RoundSecrets] = [:]

    init(participants: Int = 4) throws {
        people = (0..<participants).map { DevAccount("participant-\($0)") }
        let balances = ([TrainingFixture.validator, creator] + people).map {
            BankGenesis.Balance(address: $0.address, coins: [Coin(denom: Denom.native, amount: TrainingFixture.funds)])
        }
        let modules = try LedgerWiring.genesisModules(validator: TrainingFixture.validator.publicKey, balances: balances, validatorBond: 100_000_000)
        let genesis = Genesis(chainID: TestGenesis.chainID, genesisTime: TestGenesis.defaultTime, params: .default,
                              validators: [GenesisValidator(name: "validator", publicKey: TrainingFixture.validator.publicKey)], modules: modules)
        harness = try LedgerHarness(genesis: genesis)
        let spec = ModelSpec(name: "all-minilm-l6-v2", weightsHash: Hash.sha256(Array("minilm".utf8)), format: .safetensors,
                             architecture: "bert", licence: "apache-2.0", royaltyBps: 500)
        try succeed(creator, MsgRegisterModel(spec))
        for p in people { encryption[p.address] = randomBytes(32, &rng) }
    }

    @discardableResult
    func block(_ txs: [Transaction] = []) throws -> BlockExecution {
        let exec = try harness.block(txs, proposer: TrainingFixture.validator.address)
        let receipts = Dictionary(uniqueKeysWithValues: exec.receipts.map { ($0.txHash, $0) })
        for tx in txs {
            guard let r = receipts[tx.hash] else { continue }
            fees[tx.body.sender, default: 0] += r.fee.value
            for m in tx.body.messages { seen.append((tx.body.sender, m)) }
        }
        return exec
    }

    func blocks(_ n: Int) throws { for _ in 0..<n { try block() } }

    func tx(_ account: DevAccount, _ message: some LedgerMessage) -> Transaction {
        harness.tx(account, [RawMessage(message)], gasLimit: 1_000_000)
    }

    @discardableResult
    func run(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let exec = try block([tx(account, message)])
        return try #require(exec.receipts.first, "dropped: \(exec.dropped.map(\.error))", sourceLocation: sourceLocation)
    }

    @discardableResult
    func succeed(_ account: DevAccount, _ message: some LedgerMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> Receipt {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(r.success, "\(String(describing: r.error))", sourceLocation: sourceLocation)
        return r
    }

    /// Runs `message` and expects the training error `code`.
    func refuse(_ account: DevAccount, _ message: some LedgerMessage, code: UInt32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(account, message, sourceLocation: sourceLocation)
        #expect(!r.success && r.error?.module == TrainingError.codespace && r.error?.code == code,
                "expected train/\(code), got \(String(describing: r.error))", sourceLocation: sourceLocation)
    }

    /// Sends `message` and expects the stateless checks to drop it with training error `code`.
    func dropped(_ account: DevAccount, _ message: some LedgerMessage, code: UInt32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let exec = try block([tx(account, message)])
        #expect(exec.receipts.isEmpty, sourceLocation: sourceLocation)
        let error = exec.dropped.first?.error
        #expect(error?.module == TrainingError.codespace && error?.code == code, "expected train/\(code), got \(String(describing: error))",
                sourceLocation: sourceLocation)
    }

    func balance(_ a: Address) throws -> UInt128 { try bank.balance(of: a, denom: Denom.native, state: state).value }

    func job(_ id: UInt64 = 1) throws -> TrainingJob { try #require(try training.jobRecord(id, state: state)) }

    static let labels = ["negative", "neutral", "positive"]

    /// A job over model 1 with a 4-input linear head (15 parameters), `rounds` rounds of 9 blocks.
    func createJob(rounds: UInt32 = 2, min: UInt32 = 3, max: UInt32 = 4, joinBlocks: UInt64 = 5, roundBlocks: UInt64 = 9,
                   reward: Amount = 1_000_000, stake: Amount = 10_000) throws -> Receipt {
        try succeed(creator, MsgCreateJob(baseModel: 1, labels: Self.labels, head: HeadSpec(inputs: 4), rounds: rounds, minParticipants: min,
                                          maxParticipants: max, joinBlocks: joinBlocks, roundBlocks: roundBlocks,
                                          testSetHash: Hash.sha256(Array("test set".utf8)), reward: reward, stake: stake))
    }

    func join(_ p: DevAccount, job: UInt64 = 1, records: UInt64 = 100) -> Transaction {
        let key = SecureAggregation.publicKey(ofSecret: encryption[p.address]!)!
        return tx(p, MsgJoin(jobID: job, dataRoot: Hash.sha256(Array("data of \(p.name)".utf8)), records: records, encryptionKey: key))
    }

    func member(_ p: DevAccount, job: UInt64 = 1) throws -> Participant {
        try #require(try training.participants(job: job, state: state).first { $0.address == p.address })
    }

    /// The sharing transactions of `who` for the running round (fresh round secrets for each).
    func shareTxs(_ who: [DevAccount], job id: UInt64 = 1) throws -> [Transaction] {
        try who.map { p in
            let (message, kept) = try shareMessage(p, job: id)
            secrets[p.address] = kept
            return tx(p, message)
        }
    }

    /// A sharing message of `p` with fresh secrets for `round` (default: the running one), and those secrets (not
    /// kept by the fixture).
    func shareMessage(_ p: DevAccount, job id: UInt64 = 1, round: UInt32? = nil) throws -> (MsgShare, RoundSecrets) {
        let job = try job(id)
        let members = try training.participants(job: id, state: state)
        let fresh = RoundSecrets(round: round ?? job.round, maskSecret: randomBytes(32, &rng), selfSeed: randomBytes(32, &rng))
        return try RoundClient.share(job: job, me: try member(p, job: id), members: members, encryptionSecret: encryption[p.address]!,
                                     secrets: fresh, randomness: &rng)
    }

    func sharedRecords(job id: UInt64 = 1) throws -> [(address: Address, record: ShareRecord)] {
        let job = try job(id)
        return try training.participants(job: id, state: state).compactMap { p in
            try training.shareRecord(job: id, round: job.round, of: p.address, state: state).map { (p.address, $0) }
        }
    }

    func submitTxs(_ who: [(DevAccount, [UInt32])], job id: UInt64 = 1) throws -> [Transaction] {
        let job = try job(id)
        let shared = try sharedRecords(job: id)
        return try who.map { p, update in
            tx(p, try RoundClient.submit(job: job, me: try member(p, job: id), update: update, secrets: secrets[p.address]!, shared: shared))
        }
    }

    func unmaskTxs(_ who: [DevAccount], job id: UInt64 = 1) throws -> [Transaction] {
        try who.map { p in tx(p, try unmaskMessage(p, job: id)) }
    }

    func unmaskMessage(_ p: DevAccount, job id: UInt64 = 1) throws -> MsgUnmask {
        let job = try job(id)
        let members = try training.participants(job: id, state: state)
        let detail = try #require(try training.job(id, state: state))
        let submitted = Set(detail.running?.shared.filter(\.submitted).compactMap { try? Address(bech32: $0.participant) } ?? [])
        return try RoundClient.unmask(job: job, me: try member(p, job: id), members: members, encryptionSecret: encryption[p.address]!,
                                      secrets: secrets[p.address]!, shared: try sharedRecords(job: id), submitted: submitted)
    }

    /// Runs empty blocks until the job leaves `phase` of `round` (at most `limit`).
    func waitOut(_ phase: RoundPhase, job id: UInt64 = 1, limit: Int = 40) throws {
        let round = try job(id).round
        for _ in 0..<limit {
            let j = try job(id)
            guard j.status == .training, j.round == round, j.phase == phase else { return }
            try block()
        }
        Issue.record("job \(id) stayed in \(phase.name) for \(limit) blocks")
    }

    /// A random update of small fixed-point values.
    func update(_ d: Int) -> [UInt32] { (0..<d).map { _ in UInt32(bitPattern: Int32.random(in: -100_000...100_000, using: &rng)) } }

    /// One whole round: everybody in `sharing` shares, those of them not in `dropping` submit `updates`, and they unmask.
    /// Returns the updates that went in, by participant.
    @discardableResult
    func round(sharing: [DevAccount]? = nil, dropping: Set<String> = [], job id: UInt64 = 1) throws -> [Address: [UInt32]] {
        let sharers = sharing ?? people
        try block(try shareTxs(sharers, job: id))
        try waitOut(.sharing, job: id)
        let d = try job(id).dimension
        let submitters = sharers.filter { !dropping.contains($0.name) }
        let updates = submitters.map { ($0, update(d)) }
        try block(try submitTxs(updates, job: id))
        try waitOut(.submitting, job: id)
        try block(try unmaskTxs(submitters, job: id))
        return Dictionary(uniqueKeysWithValues: updates.map { ($0.0.address, $0.1) })
    }

    static func plainSum(_ updates: [[UInt32]]) -> [UInt32] {
        var s = [UInt32](repeating: 0, count: updates.first?.count ?? 0)
        for u in updates { SecureAggregation.add(u, into: &s, sign: true) }
        return s
    }
}
