public import CairnPrimitives
public import CairnLedger
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the Tendermint state machine for a node: performs its effects (asks the application, signs through the sign
/// guard after the write-ahead log, broadcasts, keeps timers), feeds it messages from the network, and moves from height
/// to height. One receive loop owns all of it; inputs arrive on a stream.
public actor ConsensusDriver {
    /// How a validator signs: its key, the guard that refuses double signing, and the log written before any signature
    /// leaves the process.
    public struct Signer {
        public let key: PrivateKey
        public let guardFile: SignGuard
        public let wal: WriteAheadLog

        public init(key: PrivateKey, guardFile: SignGuard, wal: WriteAheadLog) {
            self.key = key
            self.guardFile = guardFile
            self.wal = wal
        }
    }

    /// Record kinds in the write-ahead log.
    enum RecordKind: UInt8 {
        case received = 1
        case own = 2
        case timeout = 3
    }

    let chainID: String
    let application: any ConsensusApplication
    let network: any ConsensusNetwork
    let signer: Signer?
    /// Milliseconds between deciding a height and starting the next (CometBFT's timeout_commit): the block time of a
    /// lone validator.
    let commitWait: UInt64
    var core: Tendermint
    var blocks: [Hash: [UInt8]] = [:]
    /// Messages for heights not started yet, bounded.
    var future: [ConsensusMessage] = []
    var evidencePool: [Hash: DuplicateVoteEvidence] = [:]
    /// This node's proposals found in the log at start, by round: re-proposed as they were after a crash.
    var recoveredProposals: [UInt32: ProposedBlock] = [:]
    let inputs: AsyncStream<Input>
    let feed: AsyncStream<Input>.Continuation
    /// Told of every decided height.
    let onDecide: @Sendable (UInt64, CommitCertificate) -> Void
    public private(set) var refusals: [String] = []
    /// The loop stops once this height is decided (nil: it runs until stopped).
    let lastHeight: UInt64?
    /// Test-only faults; `NodeRunner` sets them only with test hooks enabled.
    public struct TestFaults: Sendable {
        /// The process exits at once after logging its `n`th own message, before sending it (the crash between the log
        /// and the network).
        public var exitAfterLoggedMessages: Int?
        /// Byzantine: with every vote it signs, the validator signs a conflicting one for the same step (bypassing its
        /// sign guard) and broadcasts both.
        public var equivocate: Bool

        public init(exitAfterLoggedMessages: Int? = nil, equivocate: Bool = false) {
            self.exitAfterLoggedMessages = exitAfterLoggedMessages
            self.equivocate = equivocate
        }
    }

    let testFaults: TestFaults
    var loggedOwnMessages = 0
    /// Time per step and rounds per height, for metrics (`ConsensusDriver+Status`).
    var stepTimings = ConsensusTimings()
    /// The exit status of that fault.
    public static let testCrashStatus: Int32 = 86

    enum Input: Sendable {
        case message(ConsensusMessage)
        case timeout(Timeout)
        case startNextHeight
        case decidedElsewhere(ProposedBlock, CommitCertificate, @Sendable (SyncOutcome) -> Void)
    }

    public init(chainID: String, application: any ConsensusApplication, network: any ConsensusNetwork, signer: Signer?,
                timeouts: TimeoutConfig, commitWait: UInt64, lastHeight: UInt64? = nil, testFaults: TestFaults = .init(),
                onDecide: @escaping @Sendable (UInt64, CommitCertificate) -> Void = { _, _ in }) {
        self.lastHeight = lastHeight
        self.testFaults = testFaults
        self.chainID = chainID
        self.application = application
        self.network = network
        self.signer = signer
        self.commitWait = commitWait
        self.core = Tendermint(chainID: chainID, me: signer?.key.publicKey.address, timeouts: timeouts)
        (inputs, feed) = AsyncStream.makeStream(of: Input.self, bufferingPolicy: .bufferingOldest(100_000))
        self.onDecide = onDecide
    }

    /// Hands a message from a peer to the loop.
    public nonisolated func receive(_ message: ConsensusMessage) { feed.yield(.message(message)) }

    /// Stops the loop.
    public nonisolated func stop() { feed.finish() }

    /// Hands the loop a block that peers decided (block sync): when it is the block of the height this node is deciding
    /// and the node has not decided yet, the node commits it (the application checks the block and its certificate)
    /// and moves to the next height. `outcome` is told what became of it.
    public nonisolated func receiveDecided(_ block: ProposedBlock, certificate: CommitCertificate,
                                           outcome: @escaping @Sendable (SyncOutcome) -> Void = { _ in }) {
        feed.yield(.decidedElsewhere(block, certificate, outcome))
    }

    /// What became of a block handed over by block sync.
    public enum SyncOutcome: Sendable, Equatable {
        case committed
        /// Not the height being decided, or decided already: nothing done.
        case ignored
        /// The block or its certificate does not check out.
        case invalid(String)
    }

    /// The height being decided.
    public var height: UInt64 { core.height }

    /// The evidence this node holds and has not seen committed, to pass on to peers.
    public var pendingEvidence: [DuplicateVoteEvidence] { evidencePool.values.sorted { $0.hash < $1.hash } }

    /// What became of evidence a peer passed on.
    public enum EvidenceVerdict: Sendable, Equatable {
        /// New and valid: pooled, to be proposed and passed on.
        case added
        /// Already held.
        case known
        /// Not checkable here (a height whose validator set this node no longer or not yet knows): ignored.
        case unverifiable
        /// Forged or malformed: the peer that sent it misbehaved.
        case invalid(String)
    }

    /// Checks evidence from a peer (both votes signed by a validator of the set deciding that height) and pools it.
    /// Evidence for the height being decided is checked against its validator set; older evidence against the set the
    /// application reports for that height, when it still knows it.
    public func addEvidence(_ e: DuplicateVoteEvidence) async -> EvidenceVerdict {
        if evidencePool[e.hash] != nil { return .known }
        let set: ValidatorSet
        if e.height == core.height, let current = core.validators {
            set = current
        } else if let known = try? await application.validators(forHeight: e.height) {
            set = known
        } else {
            return .unverifiable
        }
        guard let member = set.validator(e.validator) else {
            return .invalid("evidence against \(e.validator), not a validator at height \(e.height)")
        }
        if let problem = e.problem(key: member.key, chainID: chainID) { return .invalid("evidence: \(problem)") }
        evidencePool[e.hash] = e
        return .added
    }

    /// What this node holds of the height being decided, to send again to peers while the height stalls
    /// (`Tendermint.heldMessages`), proposals with their blocks.
    public func gossip() -> [ConsensusMessage] {
        let held = core.heldMessages()
        return held.proposals.map { .proposal($0, block: blocks[$0.proposal.blockHash] ?? []) } + held.votes.map { .vote($0) }
    }

    /// Starts the height after the committed head, replays this height's write-ahead log (re-sending this node's own
    /// signed messages), then runs until `stop` or cancellation.
    ///
    /// - Throws: when the sign guard's record is ahead of the chain (a copied or reset home), or the application fails.
    public func run() async throws {
        let committed = try await application.committedHeight()
        if let signer { try signer.guardFile.checkNotAhead(ofChainHeight: committed) }
        try await startHeight(committed + 1)
        try await replayLog(height: committed + 1)
        for await input in inputs {
            if Task.isCancelled { break }
            switch input {
            case let .message(m): try await accept(m, logAs: .received)
            case let .timeout(t):
                guard t.height == core.height else { continue }
                try log(.timeout, Self.encode(t), sync: false)
                try await apply(core.handle(.timeout(t)))
            case .startNextHeight:
                try await startNextHeight()
            case let .decidedElsewhere(block, certificate, outcome):
                guard certificate.height == core.height, core.decision == nil else {
                    outcome(.ignored)
                    continue
                }
                guard certificate.blockHash == block.hash else {
                    outcome(.invalid("the certificate is for block \(certificate.blockHash), not \(block.hash)"))
                    continue
                }
                let included: [Hash]
                do { included = try await application.commit(block, certificate: certificate) } catch {
                    note("a synced block \(certificate.height) does not commit: \(error)")
                    outcome(.invalid("\(error)"))
                    continue
                }
                for hash in included { evidencePool[hash] = nil }
                try signer?.wal.reset()
                onDecide(certificate.height, certificate)
                outcome(.committed)
                if let lastHeight, certificate.height >= lastHeight {
                    feed.finish()
                    continue
                }
                try await startNextHeight()
            }
        }
    }

    /// Starts the height after the one just decided and feeds it the messages that arrived early.
    func startNextHeight() async throws {
        try await startHeight(core.height + 1)
        let waiting = future.filter { $0.height == core.height }
        future.removeAll { $0.height <= core.height }
        for m in waiting { try await accept(m, logAs: .received) }
    }

    func startHeight(_ height: UInt64) async throws {
        blocks = [:]
        recoveredProposals = [:]
        let set = try await application.validators(forHeight: height)
        try await apply(core.handle(.newHeight(height, set)))
    }

    func accept(_ m: ConsensusMessage, logAs kind: RecordKind) async throws {
        if m.height > core.height {
            if future.count < 10_000 { future.append(m) }
            return
        }
        guard m.height == core.height, core.decision == nil else { return }
        try log(kind, m.canonicalBytes, sync: kind == .own)
        switch m {
        case let .proposal(p, block):
            if blocks[p.proposal.blockHash] == nil { blocks[p.proposal.blockHash] = block }
            try await apply(core.handle(.proposal(p)))
        case let .vote(v):
            try await apply(core.handle(.vote(v)))
        }
    }

    func log(_ kind: RecordKind, _ payload: [UInt8], sync: Bool) throws {
        guard let wal = signer?.wal else { return }
        let record = WALRecord(kind: kind.rawValue, payload: payload)
        if sync { try wal.appendSynced(record) } else { try wal.append(record) }
    }

    /// Feeds the log's records of `height` to the state machine again, in order. Own messages are re-sent; anything the
    /// replay would sign differently is refused by the sign guard.
    func replayLog(height: UInt64) async throws {
        guard let wal = signer?.wal else { return }
        for record in wal.recovered {
            guard let kind = RecordKind(rawValue: record.kind) else { continue }
            switch kind {
            case .received, .own:
                guard let m = try? ConsensusMessage(canonicalBytes: record.payload), m.height == height else { continue }
                if kind == .own, case let .proposal(p, block) = m {
                    recoveredProposals[p.proposal.round] = ProposedBlock(hash: p.proposal.blockHash, bytes: block)
                }
                if kind == .own { await network.broadcast(m) }
                try await accept(m, logAs: .received)
            case .timeout:
                guard let t = Self.decodeTimeout(record.payload), t.height == height else { continue }
                try await apply(core.handle(.timeout(t)))
            }
        }
    }

    /// Performs effects in order; effects that produce inputs feed them back at once.
    func apply(_ effects: [ConsensusEffect]) async throws {
        var queue = effects[...]
        noteProgress()
        while let effect = queue.popFirst() {
            queue.append(contentsOf: try await perform(effect))
            noteProgress()
        }
    }

    func perform(_ effect: ConsensusEffect) async throws -> [ConsensusEffect] {
        switch effect {
        case let .buildProposal(height, round):
            guard let me = core.me else { return [] }
            let block: ProposedBlock
            if let recovered = recoveredProposals[round] {
                block = recovered
            } else {
                block = try await application.prepareProposal(height: height, round: round, proposer: me,
                                                              evidence: Array(evidencePool.values).sorted { $0.hash < $1.hash })
            }
            blocks[block.hash] = block.bytes
            return core.handle(.proposalBuilt(height: height, round: round, blockHash: block.hash))
        case let .validateBlock(height, _, hash):
            guard let bytes = blocks[hash] else { return core.handle(.blockValidated(height: height, blockHash: hash, valid: false)) }
            let valid = await application.processProposal(height: height, block: ProposedBlock(hash: hash, bytes: bytes))
            return core.handle(.blockValidated(height: height, blockHash: hash, valid: valid))
        case let .signProposal(p):
            guard let signature = try sign(.proposal, p.height, p.round, payload: p.canonicalBytes, domain: .proposal) else { return [] }
            let signed = SignedBlockProposal(proposal: p, signature: signature)
            return try await send(.proposal(signed, block: blocks[p.blockHash] ?? []))
        case let .signVote(v):
            guard let signature = try sign(v.type == .prevote ? .prevote : .precommit, v.height, v.round, payload: v.canonicalBytes,
                                            domain: .vote) else { return [] }
            if testFaults.equivocate { await equivocate(against: v) }
            return try await send(.vote(SignedVote(vote: v, signature: signature)))
        case let .scheduleTimeout(t, ms):
            let feed = self.feed
            Task {
                try? await Task.sleep(for: .milliseconds(ms))
                feed.yield(.timeout(t))
            }
            return []
        case let .decide(certificate):
            guard let bytes = blocks[certificate.blockHash] else { throw ConsensusError("decided block \(certificate.blockHash) is unknown") }
            let included = try await application.commit(ProposedBlock(hash: certificate.blockHash, bytes: bytes), certificate: certificate)
            for hash in included { evidencePool[hash] = nil }
            try signer?.wal.reset()
            onDecide(certificate.height, certificate)
            if let lastHeight, certificate.height >= lastHeight {
                feed.finish()
                return []
            }
            let feed = self.feed
            let wait = commitWait
            Task {
                if wait > 0 { try? await Task.sleep(for: .milliseconds(wait)) }
                feed.yield(.startNextHeight)
            }
            return []
        case let .evidence(e):
            evidencePool[e.hash] = e
            return []
        case let .refused(reason):
            note(reason)
            return []
        }
    }

    /// Signs `payload` for the step through the guard; nil when the guard refuses (it never signs two different values
    /// for one step, also not after a restart).
    func sign(_ step: SignStep.Step, _ height: UInt64, _ round: UInt32, payload: [UInt8], domain: SigningDomain) throws -> [UInt8]? {
        guard let signer else { return nil }
        let key = signer.key
        let chainID = self.chainID
        let result: Result<[UInt8], SignGuardError>
        do {
            result = .success(try signer.guardFile.sign(SignStep(height: height, round: round, step: step), bytes: payload) { bytes in
                key.sign(domain: domain, chainID: chainID, payload: bytes)
            })
        } catch {
            result = .failure(error)
        }
        switch result {
        case let .success(signature): return signature
        case let .failure(e):
            guard e.code == .conflictingSignature || e.code == .regression else { throw e }
            note("the sign guard refused: \(e.message)")
            return nil
        }
    }

    /// The byzantine test fault: signs a vote for the same step as `v` but another value (nil for a block, a made-up
    /// block for nil) straight with the key, past the sign guard and the log, and broadcasts it.
    func equivocate(against v: Vote) async {
        guard let key = signer?.key else { return }
        let other = v.blockHash == nil ? Hash.sha256(Array("equivocation \(v.height)/\(v.round)".utf8)) : nil
        let conflicting = Vote(type: v.type, height: v.height, round: v.round, blockHash: other, validator: v.validator)
        let signature = key.sign(domain: .vote, chainID: chainID, payload: conflicting.canonicalBytes)
        await network.broadcast(.vote(SignedVote(vote: conflicting, signature: signature)))
    }

    /// Keeps the last 100 refusals, for whoever inspects the driver.
    func note(_ refusal: String) {
        if refusals.count >= 100 { refusals.removeFirst() }
        refusals.append(refusal)
    }

    /// Logs an own message durably, then broadcasts it and hands it to the state machine.
    func send(_ m: ConsensusMessage) async throws -> [ConsensusEffect] {
        try log(.own, m.canonicalBytes, sync: true)
        if let limit = testFaults.exitAfterLoggedMessages {
            loggedOwnMessages += 1
            if loggedOwnMessages >= limit { _exit(Self.testCrashStatus) }
        }
        await network.broadcast(m)
        switch m {
        case let .proposal(p, _): return core.handle(.proposal(p))
        case let .vote(v): return core.handle(.vote(v))
        }
    }

    static func encode(_ t: Timeout) -> [UInt8] {
        var w = CanonicalWriter()
        w.write(t.kind.rawValue)
        w.write(t.height)
        w.write(t.round)
        return w.bytes
    }

    static func decodeTimeout(_ bytes: [UInt8]) -> Timeout? {
        var r = CanonicalReader(bytes)
        guard let k = try? r.readUInt8(), let kind = Timeout.Kind(rawValue: k), let h = try? r.readUInt64(), let round = try? r.readUInt32() else {
            return nil
        }
        return Timeout(kind, height: h, round: round)
    }
}
