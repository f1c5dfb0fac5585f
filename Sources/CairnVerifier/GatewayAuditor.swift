public import CairnPrimitives
public import CairnClient
public import CairnMarket
public import CairnGateway
import CairnVerification
import CairnLedger
import CairnInference
public import Foundation

/// A gateway's audits of its own traffic: each job whose receipt the gateway accepted is checked with probability
/// `rate`, drawn when the job is handed over (after the receipt exists, so the provider cannot know which jobs are
/// checked), by running the check on the request the gateway sent and the text the provider answered. A job that fails
/// is challenged on the chain with the gateway's key and `bond`; the committee decides.
///
/// Checks run one at a time, off the request path; at most `backlog` wait, and a job drawn while that many wait is not
/// checked (counted as skipped). The checks a provider passes are pooled (``PooledEvidence``): when the pool shows a
/// cheat no single job shows (a coarser model, a temperature a little off), the provider becomes a suspect, which the
/// gateway ranks as if a check had failed, and the auditor raises a pooled challenge: the chain draws a window of the
/// provider's consecutive jobs on the channel (not the ones the audits picked), the auditor gives those jobs, which it
/// keeps for the last `pooledLookback` jobs of every channel and model, and the committee judges them together.
public actor GatewayAuditor: JobAuditor {
    public struct Counts: Sendable, Equatable {
        public var drawn = 0
        public var checked = 0
        public var failed = 0
        public var challenged = 0
        public var skipped = 0
        public var suspected = 0
        public var pooledChallenges = 0
        /// Pooled challenges decided: the provider slashed, found honest, or not decided (lapsed for want of evidence,
        /// or void).
        public var pooledUpheld = 0
        public var pooledRejected = 0
        public var pooledUndecided = 0
    }

    /// What follows a decided pooled challenge.
    enum PooledOutcome: Equatable {
        /// Upheld (the provider was slashed) or rejected (found honest): the evidence against it starts afresh, and a
        /// new pooled challenge may follow once it shows a cheat again.
        case decided(upheld: Bool)
        /// Lapsed or void: the evidence stands, and the challenge is raised again once a window's jobs are kept.
        case undecided

        /// The outcome of a challenge in `status`, or nil while it is undecided.
        init?(status: String) {
            switch status {
            case "upheld": self = .decided(upheld: true)
            case "rejected": self = .decided(upheld: false)
            case "lapsed", "void": self = .undecided
            default: return nil
            }
        }
    }

    /// A job kept for pooled challenges.
    struct KeptJob {
        let request: [UInt8]
        let output: [UInt8]
        let receipt: SignedReceipt
    }

    /// Jobs of one channel and model, by their `modelRequests`.
    struct Stream: Hashable {
        let provider: Address
        let channel: UInt64
        let model: UInt64
    }

    let rate: Double
    let node: NodeClient
    /// The gateway key's sender: challenges and evidence are signed with the key that pays for the gateway's channels,
    /// and go after the channel transactions asked before them.
    let sender: TransactionSender
    let bond: Amount
    let judge: JobJudge
    let backlog: Int
    let report: @Sendable (String) -> Void
    var queue: [(request: Data, output: [UInt8], receipt: SignedReceipt)] = []
    var draining = false
    public private(set) var counts = Counts()
    var evidence: [Address: PooledEvidence] = [:]
    /// The (request, output) hashes each provider's evidence holds.
    var pooled: [Address: Set<[Hash]>] = [:]
    /// Providers the pooled evidence speaks against, and why.
    public private(set) var suspicions: [Address: String] = [:]
    /// The recent jobs of every channel and model, for the windows of pooled challenges.
    var kept: [Stream: [UInt64: KeptJob]] = [:]
    /// Providers with a pooled challenge raised (or being raised) by this auditor and not yet decided.
    var pooledAgainst: Set<Address> = []
    /// The ids of those challenges once raised.
    var openPooled: [Address: UInt64] = [:]
    /// The chain's pooled window size and lookback, and its largest transaction (read from the node when first needed).
    var pooledShape: (jobs: UInt64, lookback: UInt64, maxTxBytes: Int)?

    public func suspects() -> Set<Address> { Set(suspicions.keys) }

    public init(rate: Double, sender: TransactionSender, bond: Amount, modelsDirectory: String?, backlog: Int = 16,
                report: @escaping @Sendable (String) -> Void) {
        precondition((0...1).contains(rate), "an audit rate is a probability")
        self.rate = rate
        self.node = sender.node
        self.sender = sender
        self.bond = bond
        judge = JobJudge(modelsDirectory: modelsDirectory)
        self.backlog = backlog
        self.report = report
    }

    public func consider(request: Data, receipt: SignedReceipt, answer: @escaping @Sendable () -> [UInt8]?) async {
        // Read once: kept for pooled windows and, when drawn, checked.
        let output = answer()
        keep(request: request, receipt: receipt, output: output)
        guard Double.random(in: 0..<1) < rate else { return }
        counts.drawn += 1
        guard let output else {
            counts.skipped += 1  // several choices, tool calls: not what the check judges
            return
        }
        guard queue.count < backlog else {
            counts.skipped += 1
            return
        }
        queue.append((request, output, receipt))
        guard !draining else { return }
        draining = true
        Task { await self.drain() }
    }

    func drain() async {
        while !queue.isEmpty {
            let job = queue.removeFirst()
            await audit(job.request, job.output, job.receipt)
        }
        draining = false
    }

    func audit(_ request: Data, _ output: [UInt8], _ signed: SignedReceipt) async {
        let receipt = signed.receipt
        guard Hash.sha256(Array(request)) == receipt.requestHash, Hash.sha256(output) == receipt.outputHash else {
            counts.skipped += 1
            report("audit skipped: the job's text does not match its receipt's hashes (provider \(receipt.provider))")
            return
        }
        let (verdict, reason, check) = judge.check(request: Array(request), output: output, receipt: receipt)
        counts.checked += 1
        // The same request answered the same way (a client repeating a seeded request) is one piece of evidence, not several.
        if verdict == .honest, let check, pooled[receipt.provider, default: []].insert([receipt.requestHash, receipt.outputHash]).inserted {
            evidence[receipt.provider, default: PooledEvidence()].add(check)
            if suspicions[receipt.provider] == nil, let why = evidence[receipt.provider]?.failure() { suspect(receipt.provider, because: why) }
        }
        if suspicions[receipt.provider] != nil, !pooledAgainst.contains(receipt.provider) { await challengePooled(receipt.provider) }
        guard verdict == .cheated else {
            report("audit passed: provider \(receipt.provider): \(reason)")
            return
        }
        counts.failed += 1
        do {
            try await VerifierError.send(MsgChallenge(receipt: signed, request: Array(request), output: output, bond: bond), via: sender)
            counts.challenged += 1
            report("audit failed and challenged: provider \(receipt.provider): \(reason)")
        } catch {
            report("audit failed but the challenge did not go through: provider \(receipt.provider): \(error)")
        }
    }

    /// Keeps the job for pooled windows: the last `pooledLookback` (or 80) jobs of its channel and model.
    func keep(request: Data, receipt: SignedReceipt, output: [UInt8]?) {
        let r = receipt.receipt
        guard let output, Hash.sha256(Array(request)) == r.requestHash, Hash.sha256(output) == r.outputHash else { return }
        let stream = Stream(provider: r.provider, channel: r.channelID, model: r.modelID)
        kept[stream, default: [:]][r.modelRequests] = KeptJob(request: Array(request), output: output, receipt: receipt)
        let limit = pooledShape?.lookback ?? 80
        if let jobs = kept[stream], UInt64(jobs.count) > limit, let newest = jobs.keys.max() {
            kept[stream] = jobs.filter { newest - $0.key < limit }
        }
    }

    /// Raises a pooled challenge against `provider` on the channel and model whose kept jobs cover a whole lookback up to
    /// the newest, then gives the window the chain draws. Without such a stream it waits for more jobs.
    func challengePooled(_ provider: Address) async {
        if pooledShape == nil {
            struct Shape: Decodable { let pooledJobs: UInt64; let pooledLookback: UInt64 }
            struct Limits: Decodable { let maxTxBytes: Int }
            guard let shape = try? await node.get("/v1/params/verification", as: Shape.self),
                  let limits = try? await node.get("/v1/params/ledger", as: Limits.self) else { return }
            pooledShape = (shape.pooledJobs, shape.pooledLookback, limits.maxTxBytes)
        }
        guard let shape = pooledShape,
              let (stream, newest) = Self.windowStream(kept, provider: provider, jobs: shape.jobs, lookback: shape.lookback,
                                                       maxJobBytes: shape.maxTxBytes - Self.evidenceOverhead),
              let named = kept[stream]?[newest] else { return }
        let jobs = kept[stream] ?? [:]
        pooledAgainst.insert(provider)
        do {
            let receipt = try await VerifierError.send(MsgPooledChallenge(receipt: named.receipt, bond: bond), via: sender)
            if let id = receipt.events.first(where: { $0.type == "verification.challenge" })?["challenge_id"].flatMap(UInt64.init) {
                raised(provider, challenge: id)
            }
            counts.pooledChallenges += 1
            report("pooled challenge raised against provider \(provider) (channel \(stream.channel), jobs up to \(newest))")
        } catch {
            pooledAgainst.remove(provider)
            report("pooled challenge against provider \(provider) did not go through: \(error)")
            return
        }
        let sender = sender, report = report
        Task {
            do {
                try await Self.giveWindow(provider: provider, jobs: jobs, sender: sender, report: report)
            } catch {
                report("pooled challenge against provider \(provider): evidence not given: \(error)")
            }
        }
    }

    /// The pooled evidence shows `provider` cheats: it becomes a suspect.
    func suspect(_ provider: Address, because why: String) {
        suspicions[provider] = why
        counts.suspected += 1
        report("audits suspect provider \(provider): \(why)")
    }

    /// A pooled challenge against `provider` is on the chain as `id`.
    func raised(_ provider: Address, challenge id: UInt64) {
        pooledAgainst.insert(provider)
        openPooled[provider] = id
    }

    /// Reads the pooled challenges this auditor raised and acts on each decided one (``settle(_:outcome:id:)``).
    public func review() async {
        struct Status: Decodable { let status: String }
        for (provider, id) in openPooled {
            guard let c = try? await node.get("/v1/verification/challenges/\(id)", as: Status.self),
                  let outcome = PooledOutcome(status: c.status) else { continue }
            settle(provider, outcome: outcome, id: id)
        }
    }

    /// After a decided challenge a provider is judged afresh: slashed, it may come back and cheat again; found honest,
    /// the evidence that made it a suspect was wrong. An undecided one is raised again while the evidence stands.
    func settle(_ provider: Address, outcome: PooledOutcome, id: UInt64) {
        openPooled[provider] = nil
        pooledAgainst.remove(provider)
        switch outcome {
        case .decided(let upheld):
            if upheld { counts.pooledUpheld += 1 } else { counts.pooledRejected += 1 }
            evidence[provider] = nil
            pooled[provider] = nil
            suspicions[provider] = nil
            report("pooled challenge \(id) against provider \(provider) \(upheld ? "upheld: it was slashed" : "rejected: found honest"); "
                   + "its evidence starts afresh")
        case .undecided:
            counts.pooledUndecided += 1
            report("pooled challenge \(id) against provider \(provider) not decided; raised again once a window of its jobs is kept")
        }
    }

    /// Room a job's evidence message needs beside its request and output: the signed receipt, the message's framing and
    /// the transaction's envelope (well under this).
    static let evidenceOverhead = 2_048

    /// The stream of `provider` to raise a pooled challenge on, and its newest job: one whose kept jobs cover every job
    /// from max(1, newest − lookback + 1) to the newest, at least a window's worth, each small enough (request and
    /// output within `maxJobBytes`) to be given in an evidence transaction; the newest such. Nil while none qualifies
    /// (a job too large to give would make any window holding it lapse and cost the bond: its stream waits until it
    /// has left the lookback).
    static func windowStream(_ kept: [Stream: [UInt64: KeptJob]], provider: Address, jobs window: UInt64, lookback: UInt64,
                             maxJobBytes: Int) -> (Stream, UInt64)? {
        let candidates = kept.filter { $0.key.provider == provider }.compactMap { stream, jobs -> (Stream, UInt64)? in
            guard let newest = jobs.keys.max(), newest >= window else { return nil }
            let first = newest >= lookback ? newest - lookback + 1 : 1
            let whole = (first...newest).allSatisfy { n in jobs[n].map { $0.request.count + $0.output.count <= maxJobBytes } ?? false }
            return whole ? (stream, newest) : nil
        }
        return candidates.max { $0.1 < $1.1 }
    }

    /// Waits (up to a minute) for the window of this auditor's gathering challenge against `provider`, then gives its jobs
    /// in messages of at most about 40 KB of evidence.
    static func giveWindow(provider: Address, jobs: [UInt64: KeptJob], sender: TransactionSender,
                           report: @Sendable (String) -> Void) async throws {
        let node = sender.node, challenger = sender.address.bech32
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let gathering = try await node.get("/v1/verification/challenges?status=gathering", as: VerifierAgent.ChallengeList.self).challenges
            if let c = gathering.first(where: { $0.challenger == challenger && $0.provider == provider.bech32 }), let pooled = c.pooled,
               pooled.first > 0 {
                var batch: [PooledJob] = []
                var bytes = 0
                for n in pooled.first...pooled.last {
                    guard let job = jobs[n] else { throw VerifierError("job \(n) of the window is not kept") }
                    if bytes + job.request.count + job.output.count > 40_000, !batch.isEmpty {
                        try await VerifierError.send(MsgPooledEvidence(challengeID: c.id, jobs: batch), via: sender)
                        batch = []
                        bytes = 0
                    }
                    batch.append(PooledJob(receipt: job.receipt, request: job.request, output: job.output))
                    bytes += job.request.count + job.output.count + 600
                }
                try await VerifierError.send(MsgPooledEvidence(challengeID: c.id, jobs: batch), via: sender)
                report("pooled challenge \(c.id) against provider \(provider): gave jobs \(pooled.first) to \(pooled.last)")
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw VerifierError("no window was drawn within a minute")
    }
}
