public import CairnPrimitives
public import CairnLedger
import CairnBank
import CairnStaking
import CairnApp
public import CairnConsensus
import CairnChain

/// One simulated node's ledger: the node's real ledger (every module) on an in-memory store, with the consensus
/// application's steps (prepare, process, commit) done synchronously. The state root is a chained digest of each
/// block's writes in place of the state tree, which the simulation does not need: every node computes it the same way.
public final class SimulatedLedger {
    public let ledger: Ledger
    public let chainID: String
    let state = InMemoryState()
    public private(set) var height: UInt64 = 0
    public private(set) var headHash: Hash = .zero
    var headTime: UInt64
    var stateDigest: Hash = .zero
    /// The certificate of the head block: what the next block carries.
    public private(set) var headCommit: CommitCertificate = .none
    /// Executions of the height being decided, by block hash.
    var executed: [Hash: (header: BlockHeader, changes: [(key: [UInt8], value: [UInt8]?)], evidence: [DuplicateVoteEvidence])] = [:]
    /// Evidence committed so far, by the validator it punished.
    public private(set) var punished: Set<Address> = []
    public var lastEvidenceProblems: [String] = []

    public init(genesis: Genesis) throws {
        ledger = LedgerWiring.makeLedger()
        chainID = genesis.chainID
        headTime = genesis.genesisTime
        let execution = try ledger.initGenesis(genesis)
        state.apply(execution.state.changes)
        stateDigest = Self.digest(.zero, execution.state.changes)
    }

    static func digest(_ previous: Hash, _ changes: [(key: [UInt8], value: [UInt8]?)]) -> Hash {
        var w = CanonicalWriter()
        w.write(previous)
        w.write(array: changes) { w, c in
            w.write(bytes: c.key)
            w.write(c.value != nil)
            if let v = c.value { w.write(bytes: v) }
        }
        return Hash.sha256(w.bytes)
    }

    /// The validator set that decides the next block.
    public func currentValidators() throws -> ValidatorSet { try ledger.validatorSets(state: state).current }

    /// Executes a block on the committed state; returns its header.
    func execute(height h: UInt64, time: UInt64, proposer: Address, lastCommit: CommitCertificate, evidence: [DuplicateVoteEvidence],
                 mode: ExecutionMode) throws -> (header: BlockHeader, changes: [(key: [UInt8], value: [UInt8]?)], evidence: [DuplicateVoteEvidence]) {
        let sets = try ledger.validatorSets(state: state)
        let info = try ledger.lastCommitInfo(lastCommit, height: h, previousHash: headHash, sets: sets, chainID: chainID)
        let execution = try ledger.executeBlock(base: state, height: h, time: time, proposer: proposer, transactions: [], mode: mode,
                                                lastCommit: info, evidence: evidence)
        let changes = execution.state.changes
        let header = BlockHeader(chainID: chainID, height: h, time: time, previousHash: headHash, proposer: proposer, execution: execution,
                                 stateRoot: Self.digest(stateDigest, changes), validatorsHash: sets.current.hash,
                                 nextValidatorsHash: sets.next.hash, lastCommit: lastCommit)
        return (header, changes, execution.evidence)
    }

    /// PrepareProposal: an empty block (the simulation has no clients) with the head's commit and `evidence`, at
    /// `time` (never before the parent's).
    public func propose(round: UInt32, proposer: Address, time: UInt64, evidence: [DuplicateVoteEvidence]) throws -> ProposedBlock {
        let h = height + 1
        let t = max(time, headTime)
        let result = try execute(height: h, time: t, proposer: proposer, lastCommit: headCommit, evidence: evidence, mode: .propose)
        if result.evidence.count < evidence.count {
            let context = ExecutionContext(state: StateOverlay(base: state), chainID: chainID, height: h, time: t, proposer: proposer)
            lastEvidenceProblems = try evidence.compactMap { try ledger.evidenceProblem($0, context: context) }
        }
        executed[result.header.hash] = result
        return ProposedBlock(hash: result.header.hash, bytes: Block.encode(header: result.header, transactions: [], lastCommit: headCommit,
                                                                           evidence: result.evidence))
    }

    /// ProcessProposal: decodes the block and executes it as a replay; valid when the header is what execution gives.
    public func process(_ block: ProposedBlock) -> Bool {
        if executed[block.hash] != nil { return true }
        guard let parts = try? Block.decode(block.bytes), parts.header.hash == block.hash, parts.header.height == height + 1,
              parts.header.time >= headTime, parts.transactions.isEmpty else { return false }
        guard let result = try? execute(height: height + 1, time: parts.header.time, proposer: parts.header.proposer,
                                        lastCommit: parts.lastCommit, evidence: parts.evidence, mode: .replay),
              parts.header.differences(from: result.header).isEmpty else { return false }
        executed[block.hash] = result
        return true
    }

    /// Commits a decided block; throws when the certificate does not make it final or the block is invalid.
    public func commit(_ block: ProposedBlock, certificate: CommitCertificate) throws {
        guard process(block), let result = executed[block.hash] else { throw InvalidBlock(message: "the decided block \(block.hash) is invalid") }
        try certificate.verify(height: height + 1, blockHash: block.hash, validators: try currentValidators(), chainID: chainID)
        state.apply(result.changes)
        stateDigest = result.header.stateRoot
        height += 1
        headHash = block.hash
        headTime = result.header.time
        headCommit = certificate
        executed = [:]
        for e in result.evidence { punished.insert(e.validator) }
    }
}
