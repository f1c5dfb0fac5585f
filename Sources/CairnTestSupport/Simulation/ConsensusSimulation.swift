public import CairnPrimitives
public import CairnLedger
public import CairnConsensus
import CairnBank
import CairnStaking

/// A deterministic, seeded, in-process network of validators running the real Tendermint state machine over their
/// real ledgers (on in-memory stores): message delays, drops, duplicates and reordering, partitions that heal, crashes
/// and restarts from the consensus log, clock differences, and byzantine validators that equivocate proposals and votes,
/// withhold votes or forget their locks. After every step it checks agreement, validity and that no honest node signs
/// twice for one step; at the end, that every equivocation an honest node saw was committed as evidence, and liveness.
public final class ConsensusSimulation {
    enum Event {
        case deliver(to: Int, ConsensusMessage)
        case timeout(node: Int, epoch: Int, Timeout)
        case startHeight(node: Int, epoch: Int)
        case gossip(node: Int)
        case crash(node: Int)
        case restart(node: Int)
        /// A decided block with its certificate, as block sync serves it to a node that lags.
        case syncBlock(to: Int, bytes: [UInt8], certificate: CommitCertificate)
        case partitionBegins
        /// Evidence an honest node passes on (as CometBFT's evidence reactor does), so any proposer can include it.
        case evidence(to: Int, DuplicateVoteEvidence)
    }

    public let config: SimulationConfig
    let timeouts = TimeoutConfig(proposeInit: 300, proposeDelta: 100, prevoteInit: 100, prevoteDelta: 50, precommitInit: 100, precommitDelta: 50)
    let commitWait: UInt64 = 20
    let gossipInterval: UInt64 = 400
    var rng: SeededRandom
    var now: UInt64 = 0
    var queue = EventQueue<Event>()
    let keys: [PrivateKey]
    let byzantine: Set<Int>
    var nodes: [Int: SimulatedNode] = [:]
    /// The honest validators' indices, in order.
    let honest: [Int]
    let genesis: Genesis
    /// Where a byzantine validator's conflicting proposals and votes go: each honest node's side.
    var side: [Int: Int] = [:]
    /// The partition in force, by group of each node (nil: none).
    var partition: (until: UInt64, group: [Int: Int])?

    // What the checks found.
    var decisions: [UInt64: [Hash: CommitCertificate]] = [:]
    var decidedBlocks: [UInt64: (bytes: [UInt8], certificate: CommitCertificate)] = [:]
    var rounds: [UInt64: UInt32] = [:]
    var forks: [SimulatedFork] = []
    var signed: [String: [UInt8]] = [:]
    var doubleSigns = 0
    var violations: [String] = []
    var equivocationsInjected = 0
    var equivocatorsSeen: Set<Address> = []
    var byzantineVotes: [String: Hash] = [:]
    var byzantineProposals: Set<String> = []
    var trace: [String] = []
    var traceAtFork: [String] = []
    var steps = 0

    public init(_ config: SimulationConfig) throws {
        guard config.validators >= 1, config.byzantine >= 0, config.byzantine < config.validators else {
            throw SimulationError("need at least one validator and fewer byzantine validators than validators")
        }
        let powers = config.powers ?? Array(repeating: 1, count: config.validators)
        guard powers.count == config.validators, powers.allSatisfy({ $0 > 0 }) else {
            throw SimulationError("give one power above zero per validator (\(config.validators))")
        }
        self.config = config
        rng = SeededRandom(seed: config.seed)
        keys = (0..<config.validators).map { PrivateKey.deterministic("sim-validator-\($0)") }
        // The byzantine validators are the lowest-powered ones (the last of equals).
        byzantine = Set(powers.indices.sorted { powers[$0] != powers[$1] ? powers[$0] < powers[$1] : $0 > $1 }.prefix(config.byzantine))
        genesis = try Self.genesis(chainID: "sim", keys: keys, powers: powers)
        var order = 0
        for i in keys.indices where !byzantine.contains(i) {
            let skew = config.faults.contains(.clocks) ? UInt64.random(in: 0...2_000, using: &rng) : 0
            nodes[i] = try SimulatedNode(index: i, key: keys[i], genesis: genesis, timeouts: timeouts, clockSkew: skew)
            side[i] = order % 2
            order += 1
        }
        honest = nodes.keys.sorted()
    }

    /// A genesis whose validators are `keys`, each bonded with `powers[i]` units of voting power (and funded beyond it).
    public static func genesis(chainID: String, keys: [PrivateKey], powers: [UInt64]) throws -> Genesis {
        let bonds = powers.map { Amount(UInt128($0) * StakingModule.powerReduction) }
        let balances = zip(keys, bonds).map { key, bond in
            BankGenesis.Balance(address: key.publicKey.address, coins: [Coin(denom: Denom.native, amount: Amount(bond.value + 1_000_000_000))])
        }
        let operators = zip(keys, bonds).enumerated().map { i, pair in
            StakingGenesis.Operator(kind: .validator, moniker: "validator-\(i)", publicKey: pair.0.publicKey, commissionBps: 500, selfBond: pair.1)
        }
        return Genesis(chainID: chainID, genesisTime: 1_700_000_000_000, params: .default,
                       validators: keys.enumerated().map { GenesisValidator(name: "validator-\($0.offset)", publicKey: $0.element.publicKey) },
                       modules: ["bank": try JSONValue(encoding: BankGenesis(balances: balances)),
                                 "staking": try JSONValue(encoding: StakingGenesis(operators: operators))])
    }

    func note(_ text: @autoclosure () -> String) {
        if trace.last?.hasSuffix(text()) == true { return }
        trace.append("[\(now) ms] \(text())")
        if trace.count > 400 { trace.removeFirst(trace.count - 300) }
    }

    var inFaultWindow: Bool { now < config.faultWindow }

    // MARK: Running

    /// Runs until every honest node has decided `heights` heights (and the evidence of every equivocation it saw is
    /// committed, within `evidenceHeights` more), or the time limit.
    public func run() throws -> SimulationResult {
        for i in honest {
            try perform(nodes[i]!.core.handle(.newHeight(1, try nodes[i]!.ledger.currentValidators())), at: i)
            queue.push(.gossip(node: i), at: gossipInterval + UInt64(i))
        }
        if config.faults.contains(.crashes) {
            for _ in 0..<2 { queue.push(.crash(node: honest.randomElement(using: &rng)!), at: UInt64.random(in: 100..<config.faultWindow, using: &rng)) }
        }
        if config.faults.contains(.partitions) {
            let start = UInt64.random(in: 0..<config.faultWindow / 2, using: &rng)
            let group = Dictionary(uniqueKeysWithValues: keys.indices.map { ($0, Int.random(in: 0...1, using: &rng)) })
            queue.push(.partitionBegins, at: start)
            partition = (until: start + UInt64.random(in: 500...2_000, using: &rng), group: group)
            partitionStart = start
        }
        while let (time, event) = queue.pop() {
            now = time
            steps += 1
            if now > config.timeLimit { break }
            try handle(event)
            if done { break }
        }
        return result()
    }

    var partitionStart: UInt64 = .max

    /// The byzantine validators' share of the genesis voting power.
    public var byzantinePowerShare: Double {
        let powers = config.powers ?? Array(repeating: 1, count: config.validators)
        return Double(byzantine.reduce(0) { $0 + powers[$1] }) / Double(powers.reduce(0, +))
    }

    var done: Bool {
        let minHeight = honest.map { nodes[$0]!.ledger.height }.min() ?? 0
        guard minHeight >= config.heights else { return false }
        let punished = honest.reduce(into: Set<Address>()) { $0.formUnion(nodes[$1]!.ledger.punished) }
        return equivocatorsSeen.isSubset(of: punished) || minHeight >= config.heights + config.evidenceHeights || !forks.isEmpty
    }

    func result() -> SimulationResult {
        let minHeight = honest.map { nodes[$0]!.ledger.height }.min() ?? 0
        let punished = honest.reduce(into: Set<Address>()) { $0.formUnion(nodes[$1]!.ledger.punished) }
        var violations = self.violations
        if minHeight < config.heights {
            for i in honest {
                let n = nodes[i]!
                note("node \(i): committed \(n.ledger.height), deciding \(n.core.height) round \(n.core.round) step \(n.core.step), alive \(n.alive), locked \(n.core.lockedRound.map(String.init) ?? "-"), last signed \(n.lastSigned.map { "\($0.step)" } ?? "-")")
            }
        }
        if forks.isEmpty, minHeight >= config.heights + config.evidenceHeights {
            for missed in equivocatorsSeen.subtracting(punished) {
                violations.append("the equivocation of \(missed) reached an honest node but no block committed its evidence")
            }
        }
        return SimulationResult(seed: config.seed, heights: minHeight, rounds: (1...max(1, minHeight)).compactMap { rounds[$0] },
                                forks: forks, doubleSigns: doubleSigns, equivocationsInjected: equivocationsInjected,
                                equivocatorsSeen: equivocatorsSeen, evidenceCommitted: punished, violations: violations,
                                live: minHeight >= config.heights, trace: !traceAtFork.isEmpty ? traceAtFork : (minHeight < config.heights || !violations.isEmpty ? trace : []),
                                steps: steps)
    }

    func handle(_ event: Event) throws {
        switch event {
        case let .deliver(to, message):
            guard let node = nodes[to], node.alive else { return }
            try receive(message, at: node, logAs: .received)
        case let .timeout(i, epoch, t):
            guard let node = nodes[i], node.alive, node.epoch == epoch, t.height == node.core.height else { return }
            node.log.append(.timeout(t))
            try perform(node.core.handle(.timeout(t)), at: i)
        case let .startHeight(i, epoch):
            guard let node = nodes[i], node.alive, node.epoch == epoch else { return }
            try startHeight(node)
        case let .gossip(i):
            try gossip(from: i)
            queue.push(.gossip(node: i), at: now + gossipInterval)
        case let .crash(i):
            guard let node = nodes[i], node.alive, honest.allSatisfy({ nodes[$0]!.alive }) else { return }
            node.crash(tornTail: Bool.random(using: &rng))
            note("node \(i) crashes")
            queue.push(.restart(node: i), at: now + UInt64.random(in: 200...1_500, using: &rng))
        case let .evidence(to, e):
            guard let node = nodes[to], node.alive, !node.ledger.punished.contains(e.validator) else { return }
            node.evidence[e.hash] = e
        case .partitionBegins:
            note("partition begins: groups \(partition!.group.sorted { $0.key < $1.key }.map(\.value))")
        case let .syncBlock(to, bytes, certificate):
            guard let node = nodes[to], node.alive, node.ledger.height + 1 == certificate.height else { return }
            if commitSynced(node, bytes: bytes, certificate: certificate) { try restartHeight(node) }
        case let .restart(i):
            guard let node = nodes[i], !node.alive else { return }
            note("node \(i) restarts at height \(node.ledger.height + 1)")
            let entries = node.log
            node.log = []
            try perform(try node.restart(), at: i)
            try replay(entries, at: node)
        }
    }

    func startHeight(_ node: SimulatedNode) throws {
        node.blocks = [:]
        node.recoveredProposals = [:]
        node.log = []
        try perform(node.core.handle(.newHeight(node.ledger.height + 1, try node.ledger.currentValidators())), at: node.index)
        let waiting = node.future.filter { $0.height == node.core.height }
        node.future.removeAll { $0.height <= node.core.height }
        for m in waiting { try receive(m, at: node, logAs: .received) }
    }

    /// Feeds a restarted node its log of the height: own messages are sent again; what the replay would sign
    /// differently the guard refuses.
    func replay(_ entries: [SimulatedNode.LogEntry], at node: SimulatedNode) throws {
        for entry in entries {
            switch entry {
            case let .received(m): try receive(m, at: node, logAs: .received)
            case let .own(m):
                if case let .proposal(p, block) = m {
                    node.recoveredProposals[p.proposal.round] = ProposedBlock(hash: p.proposal.blockHash, bytes: block)
                }
                broadcast(m, from: node.index)
                try receive(m, at: node, logAs: .own)
            case let .timeout(t):
                guard t.height == node.core.height else { continue }
                node.log.append(.timeout(t))
                try perform(node.core.handle(.timeout(t)), at: node.index)
            }
        }
    }

    enum LogKind { case received, own }

    func receive(_ m: ConsensusMessage, at node: SimulatedNode, logAs kind: LogKind) throws {
        let height = node.core.height
        if m.height > height {
            if m.height > height + 1 { try blockSync(node, to: m.height - 1) }
            if m.height > node.core.height, node.future.count < 5_000 { node.future.append(m) }
            if m.height != node.core.height { return }
        }
        guard m.height == node.core.height, node.core.decision == nil else { return }
        node.log.append(kind == .own ? .own(m) : .received(m))
        switch m {
        case let .proposal(p, block):
            if node.blocks[p.proposal.blockHash] == nil { node.blocks[p.proposal.blockHash] = block }
            let before = node.core.proposals[p.proposal.round]
            try perform(node.core.handle(.proposal(p)), at: node.index)
            if before == nil, node.core.proposals[p.proposal.round] == p { try adversaryVotes(to: node.index, for: p.proposal) }
        case let .vote(v):
            try perform(node.core.handle(.vote(v)), at: node.index)
        }
    }

    /// A node more than one height behind fetches the decided blocks with their certificates, as block sync does: each
    /// certificate is checked against the node's validator set and each block executed before it commits.
    func blockSync(_ node: SimulatedNode, to height: UInt64) throws {
        while node.ledger.height < height, let decided = decidedBlocks[node.ledger.height + 1],
              commitSynced(node, bytes: decided.bytes, certificate: decided.certificate) {}
        try restartHeight(node)
    }

    /// Commits a block a peer served, once its certificate and execution check out; false when they do not (after a
    /// fork, the block on the other side).
    @discardableResult
    func commitSynced(_ node: SimulatedNode, bytes: [UInt8], certificate: CommitCertificate) -> Bool {
        let block = ProposedBlock(hash: certificate.blockHash, bytes: bytes)
        do { try node.ledger.commit(block, certificate: certificate) } catch {
            let problem = "node \(node.index) could not sync block \(node.ledger.height + 1): \(error)"
            if violations.last != problem { violations.append(problem) }
            return false
        }
        if let other = decisions[certificate.height]?.keys.first(where: { $0 != certificate.blockHash }) {
            violations.append("node \(node.index) synced block \(certificate.blockHash) at height \(certificate.height), others decided \(other)")
        }
        note("node \(node.index) syncs block \(node.ledger.height)")
        return true
    }

    /// Starts consensus afresh at the height after the node's committed head (after block sync).
    func restartHeight(_ node: SimulatedNode) throws {
        node.epoch += 1
        node.log = []
        node.core = Tendermint(chainID: node.ledger.chainID, me: node.address, timeouts: timeouts)
        try startHeight(node)
    }
}
