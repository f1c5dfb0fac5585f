public import CairnPrimitives
public import CairnLedger
public import CairnConsensus

/// An honest validator in the simulation: the real Tendermint state machine over a simulated ledger, with what a
/// node keeps on disk (the committed chain, the consensus log of the height, the sign guard's record) surviving its
/// crashes, and everything else lost.
final class SimulatedNode {
    enum LogEntry {
        case received(ConsensusMessage)
        case own(ConsensusMessage)
        case timeout(Timeout)
    }

    let index: Int
    let key: PrivateKey
    var address: Address { key.publicKey.address }
    let ledger: SimulatedLedger
    var core: Tendermint
    let timeouts: TimeoutConfig
    var alive = true
    /// Bumped at each restart: timers of an earlier life are ignored.
    var epoch = 0
    /// The consensus log of the current height (durable).
    var log: [LogEntry] = []
    /// The sign guard's record (durable).
    var lastSigned: LastSigned?
    var blocks: [Hash: [UInt8]] = [:]
    var evidence: [Hash: DuplicateVoteEvidence] = [:]
    var future: [ConsensusMessage] = []
    var recoveredProposals: [UInt32: ProposedBlock] = [:]
    /// Milliseconds this node's clock is ahead of true time.
    let clockSkew: UInt64
    /// The height decided at the last gossip tick: a node re-sends only while its height stalls.
    var heightAtLastGossip: UInt64 = 0
    /// The decided proposal and certificate of the last height, re-sent to nodes that lag.
    var lastDecision: (proposal: ConsensusMessage, certificate: CommitCertificate)?

    init(index: Int, key: PrivateKey, genesis: Genesis, timeouts: TimeoutConfig, clockSkew: UInt64) throws {
        self.index = index
        self.key = key
        self.timeouts = timeouts
        self.clockSkew = clockSkew
        ledger = try SimulatedLedger(genesis: genesis)
        core = Tendermint(chainID: genesis.chainID, me: key.publicKey.address, timeouts: timeouts)
    }

    /// Whether the guard lets this node sign `bytes` for `step`; records it (durably) when it does.
    func guardSign(_ step: SignStep, _ bytes: [UInt8], domain: SigningDomain) -> [UInt8]? {
        switch SignGuard.verdict(last: lastSigned, step: step, bytes: bytes) {
        case let .reuse(signature): return signature
        case .conflicting, .regression: return nil
        case .sign:
            let signature = key.sign(domain: domain, chainID: ledger.chainID, payload: bytes)
            lastSigned = LastSigned(step: step, signBytes: bytes, signature: signature)
            return signature
        }
    }

    /// A crash: what is not durable is lost; `tornTail` also drops the last unsynced log record.
    func crash(tornTail: Bool) {
        alive = false
        if tornTail, let last = log.last, case .received = last { log.removeLast() }
    }

    /// A restart: a fresh state machine at the height after the committed head.
    func restart() throws -> [ConsensusEffect] {
        alive = true
        epoch += 1
        core = Tendermint(chainID: ledger.chainID, me: address, timeouts: timeouts)
        blocks = [:]
        future = []
        recoveredProposals = [:]
        return core.handle(.newHeight(ledger.height + 1, try ledger.currentValidators()))
    }
}
