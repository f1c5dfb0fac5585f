public import CairnPrimitives
public import CairnClient
public import CairnMarket
public import CairnGateway
import CairnVerification
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
/// gateway ranks as if a check had failed. A suspicion is not a challenge: the committee judges one job at a time.
public actor GatewayAuditor: JobAuditor {
    public struct Counts: Sendable, Equatable {
        public var drawn = 0
        public var checked = 0
        public var failed = 0
        public var challenged = 0
        public var skipped = 0
        public var suspected = 0
    }

    let rate: Double
    let node: NodeClient
    let key: PrivateKey
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

    public func suspects() -> Set<Address> { Set(suspicions.keys) }

    public init(rate: Double, node: NodeClient, key: PrivateKey, bond: Amount, modelsDirectory: String?, backlog: Int = 16,
                report: @escaping @Sendable (String) -> Void) {
        precondition((0...1).contains(rate), "an audit rate is a probability")
        self.rate = rate
        self.node = node
        self.key = key
        self.bond = bond
        judge = JobJudge(modelsDirectory: modelsDirectory)
        self.backlog = backlog
        self.report = report
    }

    public func consider(request: Data, receipt: SignedReceipt, answer: @escaping @Sendable () -> [UInt8]?) async {
        guard Double.random(in: 0..<1) < rate else { return }
        counts.drawn += 1
        guard let output = answer() else {
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
            if suspicions[receipt.provider] == nil, let why = evidence[receipt.provider]?.failure() {
                suspicions[receipt.provider] = why
                counts.suspected += 1
                report("audits suspect provider \(receipt.provider): \(why)")
            }
        }
        guard verdict == .cheated else {
            report("audit passed: provider \(receipt.provider): \(reason)")
            return
        }
        counts.failed += 1
        do {
            try await VerifierError.send(MsgChallenge(receipt: signed, request: Array(request), output: output, bond: bond),
                                         node: node, key: key)
            counts.challenged += 1
            report("audit failed and challenged: provider \(receipt.provider): \(reason)")
        } catch {
            report("audit failed but the challenge did not go through: provider \(receipt.provider): \(error)")
        }
    }
}
