import CairnPrimitives
import CairnLedger
import CairnConsensus

extension ConsensusSimulation {
    /// Performs a node's effects in order, as the node's driver does, feeding the answers back.
    func perform(_ effects: [ConsensusEffect], at i: Int) throws {
        guard let node = nodes[i] else { return }
        var queue = effects[...]
        while let effect = queue.popFirst() {
            guard node.alive else { return }
            queue.append(contentsOf: try perform(effect, node))
        }
        if node.alive { try adversaryProposes(seenBy: node) }
    }

    func perform(_ effect: ConsensusEffect, _ node: SimulatedNode) throws -> [ConsensusEffect] {
        switch effect {
        case let .buildProposal(height, round):
            let block = try node.recoveredProposals[round] ?? node.ledger.propose(
                round: round, proposer: node.address, time: 1_700_000_000_000 + now + node.clockSkew,
                evidence: node.evidence.values.sorted { $0.hash < $1.hash })
            node.blocks[block.hash] = block.bytes
            if !node.ledger.lastEvidenceProblems.isEmpty { note("node \(node.index) leaves out evidence: \(node.ledger.lastEvidenceProblems)"); node.ledger.lastEvidenceProblems = [] }
            return node.core.handle(.proposalBuilt(height: height, round: round, blockHash: block.hash))
        case let .validateBlock(height, _, hash):
            let valid = node.blocks[hash].map { node.ledger.process(ProposedBlock(hash: hash, bytes: $0)) } ?? false
            return node.core.handle(.blockValidated(height: height, blockHash: hash, valid: valid))
        case let .signProposal(p):
            guard let signature = sign(node, SignStep(height: p.height, round: p.round, step: .proposal), p.canonicalBytes, .proposal) else { return [] }
            return try send(.proposal(SignedBlockProposal(proposal: p, signature: signature), block: node.blocks[p.blockHash] ?? []), node)
        case let .signVote(v):
            let step: SignStep.Step = v.type == .prevote ? .prevote : .precommit
            guard let signature = sign(node, SignStep(height: v.height, round: v.round, step: step), v.canonicalBytes, .vote) else { return [] }
            return try send(.vote(SignedVote(vote: v, signature: signature)), node)
        case let .scheduleTimeout(t, ms):
            queue.push(.timeout(node: node.index, epoch: node.epoch, t), at: now + ms)
            return []
        case let .decide(certificate):
            try decide(certificate, node)
            return []
        case let .evidence(e):
            node.evidence[e.hash] = e
            equivocatorsSeen.insert(e.validator)
            note("node \(node.index) sees \(e.validator) equivocate at height \(e.height)")
            for to in honest where to != node.index { transmit(.evidence(to: to, e), from: node.index, to: to) }
            return []
        case .refused:
            return []
        }
    }

    /// Signs through the node's guard; checks that no honest node ever signs two different messages for one step.
    func sign(_ node: SimulatedNode, _ step: SignStep, _ bytes: [UInt8], _ domain: SigningDomain) -> [UInt8]? {
        guard let signature = node.guardSign(step, bytes, domain: domain) else {
            note("node \(node.index)'s guard refuses to sign \(step) again differently")
            return nil
        }
        let key = "\(node.index)/\(step.height)/\(step.round)/\(step.step.rawValue)"
        if let earlier = signed[key], earlier != bytes {
            doubleSigns += 1
            violations.append("node \(node.index) signed two different messages for \(step)")
        }
        signed[key] = bytes
        return signature
    }

    /// Logs an own message (synced), sends it and hands it back to the state machine; with crashes on, sometimes the
    /// node dies after logging and before sending.
    func send(_ m: ConsensusMessage, _ node: SimulatedNode) throws -> [ConsensusEffect] {
        node.log.append(.own(m))
        if config.faults.contains(.crashes), inFaultWindow, honest.allSatisfy({ nodes[$0]!.alive }), rng.chance(0.01) {
            node.crash(tornTail: false)
            note("node \(node.index) crashes after logging and before sending a message of height \(m.height)")
            queue.push(.restart(node: node.index), at: now + UInt64.random(in: 100...1_000, using: &rng))
            return []
        }
        broadcast(m, from: node.index)
        switch m {
        case let .proposal(p, _):
            let effects = node.core.handle(.proposal(p))
            try adversaryVotes(to: node.index, for: p.proposal)
            return effects
        case let .vote(v): return node.core.handle(.vote(v))
        }
    }

    func decide(_ certificate: CommitCertificate, _ node: SimulatedNode) throws {
        let height = certificate.height
        guard let bytes = node.blocks[certificate.blockHash] else {
            violations.append("node \(node.index) decided block \(certificate.blockHash) without having it")
            return
        }
        var atHeight = decisions[height, default: [:]]
        if atHeight[certificate.blockHash] == nil, let (other, otherCertificate) = atHeight.first {
            let culprits = Set(otherCertificate.signatures.map(\.validator)).intersection(certificate.signatures.map(\.validator)).sorted()
            forks.append(SimulatedFork(height: height, blocks: [other, certificate.blockHash], culprits: culprits))
            note("FORK at height \(height): node \(node.index) decides \(certificate.blockHash), others decided \(other)")
            if traceAtFork.isEmpty { traceAtFork = trace }
        }
        atHeight[certificate.blockHash] = certificate
        decisions[height] = atHeight
        if decidedBlocks[height] == nil {
            decidedBlocks[height] = (bytes, certificate)
            rounds[height] = certificate.round
        }
        do { try node.ledger.commit(ProposedBlock(hash: certificate.blockHash, bytes: bytes), certificate: certificate) } catch {
            violations.append("node \(node.index) decided an invalid block at height \(height): \(error)")
            return
        }
        note("node \(node.index) decides height \(height) in round \(certificate.round)")
        for e in node.evidence.values where node.ledger.punished.contains(e.validator) { node.evidence[e.hash] = nil }
        if let p = node.core.allProposals(in: certificate.round).first(where: { $0.proposal.blockHash == certificate.blockHash }) {
            node.lastDecision = (.proposal(p, block: bytes), certificate)
        }
        node.log = []
        queue.push(.startHeight(node: node.index, epoch: node.epoch), at: now + commitWait)
    }

    // MARK: The network

    /// Sends `m` from node `from` to every other validator, with a random delay; drops, duplicates and partitions
    /// while the fault window lasts.
    func broadcast(_ m: ConsensusMessage, from: Int) {
        for to in honest where to != from { deliver(m, from: from, to: to) }
    }

    func deliver(_ m: ConsensusMessage, from: Int, to: Int) {
        transmit(.deliver(to: to, m), from: from, to: to)
    }

    /// Schedules `event` (a message from `from` arriving at `to`) after a random delay, unless a partition or a drop
    /// loses it; sometimes twice.
    func transmit(_ event: Event, from: Int, to: Int) {
        if let partition, now >= partitionStart, now < partition.until, partition.group[from] != partition.group[to] { return }
        if config.faults.contains(.drops), inFaultWindow, rng.chance(0.15) { return }
        queue.push(event, at: now + UInt64.random(in: 1...40, using: &rng))
        if config.faults.contains(.duplicates), inFaultWindow, rng.chance(0.1) {
            queue.push(event, at: now + UInt64.random(in: 1...80, using: &rng))
        }
    }

    /// A node passes on the evidence it holds; while its height stalls it re-sends what it holds of the height (its votes
    /// and everyone's it counted, and the proposals), so a lost message never stalls a height for good, and serves the
    /// block it decided last with its certificate (block sync) to a node one height behind.
    func gossip(from i: Int) throws {
        guard let node = nodes[i], node.alive else { return }
        // Evidence not yet committed is passed on at every tick, so a lost copy is sent again.
        for e in node.evidence.values.sorted(by: { $0.hash < $1.hash }) {
            for to in honest where to != i { transmit(.evidence(to: to, e), from: i, to: to) }
        }
        let height = node.ledger.height
        defer { node.heightAtLastGossip = height }
        guard height == node.heightAtLastGossip else { return }
        let held = node.core.heldMessages()
        let messages: [ConsensusMessage] = held.proposals.map { .proposal($0, block: node.blocks[$0.proposal.blockHash] ?? []) }
            + held.votes.map { .vote($0) }
        for m in messages { broadcast(m, from: i) }
        if let last = node.lastDecision, case let .proposal(_, bytes) = last.proposal {
            for to in honest where to != i {
                if let partition, now >= partitionStart, now < partition.until, partition.group[i] != partition.group[to] { continue }
                queue.push(.syncBlock(to: to, bytes: bytes, certificate: last.certificate), at: now + UInt64.random(in: 1...40, using: &rng))
            }
        }
    }

    // MARK: The byzantine validators

    var equivocates: Bool { config.faults.contains(.equivocation) }

    /// A byzantine proposer of (height, round) proposes: with equivocation, one block to each side of the honest
    /// nodes; else one block to all (withholding, it proposes nothing).
    func adversaryProposes(seenBy node: SimulatedNode) throws {
        let height = node.core.height, round = node.core.round
        guard !byzantine.isEmpty, node.core.decision == nil, node.ledger.height + 1 == height,
              let proposer = node.core.validators?.proposer(round: round).address,
              let b = byzantine.first(where: { keys[$0].publicKey.address == proposer }) else { return }
        let tag = "\(height)/\(round)"
        guard !byzantineProposals.contains(tag), !config.faults.contains(.withhold) || equivocates else { return }
        byzantineProposals.insert(tag)
        // Built on a node's ledger at that height: a valid block, as the byzantine validator's own ledger would build it.
        let builder = node
        let blocks = try (0..<(equivocates ? 2 : 1)).map { k in
            try builder.ledger.propose(round: round, proposer: proposer, time: 1_700_000_000_000 + now + UInt64(k), evidence: [])
        }
        for i in honest {
            let block = blocks[equivocates ? side[i]! : 0]
            let p = BlockProposal(height: height, round: round, blockHash: block.hash, polRound: nil, proposer: proposer)
                .signed(by: keys[b], chainID: genesis.chainID)
            deliver(.proposal(p, block: block.bytes), from: b, to: i)
        }
        note("byzantine \(b) proposes \(blocks.count) block(s) for height \(height) round \(round)")
    }

    /// When an honest node gets a round's proposal, the byzantine validators prevote and precommit its block to that
    /// node (equivocation: different blocks to different nodes; amnesia: whatever they locked before). Withholding,
    /// they send nothing.
    func adversaryVotes(to i: Int, for p: BlockProposal) throws {
        guard !byzantine.isEmpty, equivocates || config.faults.contains(.amnesia) else { return }
        guard let set = nodes[i]?.core.validators else { return }
        for b in byzantine.sorted() where set.validator(keys[b].publicKey.address) != nil {
            for type in [VoteType.prevote, .precommit] {
                let vote = Vote(type: type, height: p.height, round: p.round, blockHash: p.blockHash, validator: keys[b].publicKey.address)
                let tag = "\(b)/\(p.height)/\(p.round)/\(type.rawValue)"
                if let earlier = byzantineVotes[tag], earlier != p.blockHash { equivocationsInjected += 1 }
                byzantineVotes[tag] = p.blockHash
                deliver(.vote(vote.signed(by: keys[b], chainID: genesis.chainID)), from: b, to: i)
            }
        }
    }
}
