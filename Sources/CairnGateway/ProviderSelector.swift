public import CairnPrimitives
public import CairnMarket
import Foundation

/// A provider that serves the requested model, as the chain lists it.
public struct ProviderCandidate: Sendable, Equatable {
    public var address: Address
    public var endpoint: String
    public var price: ModelPrice
    public var stake: Amount
    /// What the chain's verification recorded of it.
    public var reputation: CheckRecord

    public init(address: Address, endpoint: String, price: ModelPrice, stake: Amount, reputation: CheckRecord = CheckRecord()) {
        self.address = address
        self.endpoint = endpoint
        self.price = price
        self.stake = stake
        self.reputation = reputation
    }
}

/// A provider's checks as the chain records them: checks verifiers reported passed and failed, and challenges a committee
/// upheld (it was found cheating).
public struct CheckRecord: Sendable, Equatable {
    public var checksPassed: UInt64
    public var checksFailed: UInt64
    public var challengesUpheld: UInt64

    /// Whether this gateway's own audits suspect it: its checked jobs pooled fail (``PooledEvidence`` in the verifier).
    public var suspected: Bool

    public init(checksPassed: UInt64 = 0, checksFailed: UInt64 = 0, challengesUpheld: UInt64 = 0, suspected: Bool = false) {
        self.checksPassed = checksPassed
        self.checksFailed = checksFailed
        self.challengesUpheld = challengesUpheld
        self.suspected = suspected
    }

    /// The share of its checks it passed, with a failure counting four times and one passed check assumed: 1 before any
    /// check, down to 0.2 after one failure, back up as checks pass. A suspected provider has at most 0.2.
    public var trust: Double {
        let passed = Double(checksPassed) + 1
        let share = passed / (passed + 4 * Double(checksFailed))
        return suspected ? min(share, 0.2) : share
    }
}

/// Chooses a provider per request and learns from every outcome: a pure state machine, no I/O and no clock.
///
/// Candidates are ranked by a score, lower first, that multiplies
/// - the request's expected cost at the provider's prices, relative to the cheapest candidate;
/// - its expected latency (time to first token plus the completion at its observed tokens per second, both
///   moving averages; an untried provider is assumed as fast as the fastest tried one, or gets the policy's defaults
///   when none was tried), relative to the fastest;
/// - `1 + requests in flight there / its capacity` (the requests it says it runs at once, `X-Cairn-Capacity`; 1 until
///   it has said), which spreads concurrent load by what each provider can take;
/// and divides it by the provider's moving success rate, by its trust from the chain's checks (``CheckRecord/trust``) and by a
/// factor that grows with the log of its stake. A provider a challenge found cheating is left out while any other serves the
/// model. Equal scores rotate, so equal providers share the load.
///
/// A provider that fails `failuresToEject` times in a row leaves the rotation for a cool-down that doubles on
/// each ejection (up to `maxEjectMilliseconds`); after it, one request probes it: a success brings it back,
/// a failure ejects it again. The ranking lists every candidate in rotation, so the caller retries on the next
/// one when a provider fails before its first byte.
public struct ProviderSelector: Sendable {
    public struct Policy: Sendable, Equatable {
        /// The weight of the newest observation in the moving averages.
        public var smoothing: Double = 0.2
        public var defaultFirstTokenSeconds: Double = 0.5
        public var defaultTokensPerSecond: Double = 20
        public var failuresToEject: Int = 3
        public var ejectMilliseconds: UInt64 = 5_000
        public var maxEjectMilliseconds: UInt64 = 300_000
        /// A request whose prompt begins as one a provider served before is likelier to find that prompt kept there (its
        /// first token comes sooner): that provider's score is multiplied by this.
        public var promptAffinity: Double = 0.7
        /// The prompt beginnings remembered (the oldest are forgotten first).
        public var rememberedPrompts: Int = 10_000

        public init() {}
    }

    /// What the selector knows of one provider.
    public struct Stats: Sendable, Equatable {
        public var firstTokenSeconds: Double?
        public var tokensPerSecond: Double?
        /// Moving average of 1 (success) and 0 (failure); 1 before any outcome.
        public var successRate: Double = 1
        public var consecutiveFailures = 0
        public var ejections = 0
        /// Milliseconds since 1970 until which it is out of rotation.
        public var ejectedUntil: UInt64?
        /// Whether the next outcome decides its return (its cool-down is over).
        public var probing = false
        public var inFlight = 0
        /// The requests it runs at once, as its last answer said.
        public var capacity = 1
    }

    public let policy: Policy
    public private(set) var stats: [Address: Stats] = [:]
    var turn = 0
    /// The provider that last served each prompt beginning (``RequestSummary/promptKey``), and the keys oldest first.
    public private(set) var servedPrompts: [UInt64: Address] = [:]
    private var promptOrder: [UInt64] = []
    private var promptOrderStart = 0

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// The candidates in rotation, best first; providers cooling down are left out, and one whose cool-down is over
    /// comes first, to be probed.
    /// - Parameters:
    ///   - promptTokens, completionTokens, embeddingTokens: the request's expected size, which prices it.
    ///   - promptKey: what the prompt begins with; the provider that last served it scores ``Policy/promptAffinity`` times.
    ///   - now: milliseconds since 1970.
    public mutating func rank(_ candidates: [ProviderCandidate], promptTokens: UInt32, completionTokens: UInt32,
                              embeddingTokens: UInt32 = 0, promptKey: UInt64? = nil, now: UInt64) -> [ProviderCandidate] {
        var probes: [ProviderCandidate] = []
        var healthy: [ProviderCandidate] = []
        let caught = candidates.filter { $0.reputation.challengesUpheld > 0 }
        let candidates = caught.count < candidates.count ? candidates.filter { $0.reputation.challengesUpheld == 0 } : candidates
        for c in candidates {
            var s = stats[c.address] ?? Stats()
            if let until = s.ejectedUntil {
                guard now >= until else { continue }
                // The cool-down is over: one request at a time probes it.
                guard s.inFlight == 0 else { continue }
                s.probing = true
                stats[c.address] = s
                probes.append(c)
            } else {
                healthy.append(c)
            }
        }
        guard !healthy.isEmpty else { return probes }
        let costs = healthy.map { Double($0.price.cost(promptTokens: promptTokens, completionTokens: completionTokens,
                                                       embeddingTokens: embeddingTokens).value) + 1 }
        // A provider not yet timed is assumed as fast as the fastest timed one (the policy's defaults when none is), so a new
        // provider gets tried and learned instead of never being chosen beside a fast one.
        let timed = healthy.filter { stats[$0.address]?.firstTokenSeconds != nil }.map { latency(of: $0.address, completionTokens: completionTokens) }
        let latencies = healthy.map { c in
            stats[c.address]?.firstTokenSeconds != nil || timed.isEmpty ? latency(of: c.address, completionTokens: completionTokens) : timed.min()!
        }
        let cheapest = costs.min() ?? 1, fastest = latencies.min() ?? 1
        let served = promptKey.flatMap { servedPrompts[$0] }
        var scored: [(score: Double, index: Int)] = []
        for (i, c) in healthy.enumerated() {
            let s = stats[c.address] ?? Stats()
            let stakeFactor = 1 + 0.1 * log2(1 + Double(c.stake.value / 1_000_000))
            let score = (costs[i] / cheapest) * (latencies[i] / fastest) * (1 + Double(s.inFlight) / Double(max(1, s.capacity)))
                / max(s.successRate, 0.05) / max(c.reputation.trust, 0.05) / stakeFactor
            scored.append((c.address == served ? score * policy.promptAffinity : score, i))
        }
        // Rotating the order before a stable sort makes equal scores take turns.
        let n = scored.count
        let offset = turn % n
        turn &+= 1
        let rotated = Array(scored[offset...] + scored[..<offset])
        let ordered = rotated.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score < b.element.score : a.offset < b.offset
        }
        return probes + ordered.map { healthy[$0.element.index] }
    }

    /// The expected seconds of a request with `completionTokens` at `address`.
    func latency(of address: Address, completionTokens: UInt32) -> Double {
        let s = stats[address]
        let first = s?.firstTokenSeconds ?? policy.defaultFirstTokenSeconds
        let rate = max(s?.tokensPerSecond ?? policy.defaultTokensPerSecond, 0.001)
        return first + Double(completionTokens) / rate + 0.001
    }

    /// A request was sent to `address`.
    public mutating func started(_ address: Address) {
        stats[address, default: Stats()].inFlight += 1
    }

    /// A request to `address` succeeded, its first token after `firstTokenSeconds` and its completion at
    /// `tokensPerSecond` (nil when it generated nothing, as an embedding).
    public mutating func succeeded(_ address: Address, firstTokenSeconds: Double, tokensPerSecond: Double?) {
        var s = stats[address] ?? Stats()
        s.inFlight = max(0, s.inFlight - 1)
        s.firstTokenSeconds = average(s.firstTokenSeconds, firstTokenSeconds)
        if let tokensPerSecond { s.tokensPerSecond = average(s.tokensPerSecond, tokensPerSecond) }
        s.successRate = average(s.successRate, 1)!
        s.consecutiveFailures = 0
        s.ejectedUntil = nil
        s.probing = false
        s.ejections = 0
        stats[address] = s
    }

    /// A request to `address` failed (no answer, an error status, a broken stream); `now` in milliseconds.
    public mutating func failed(_ address: Address, now: UInt64) {
        var s = stats[address] ?? Stats()
        s.inFlight = max(0, s.inFlight - 1)
        s.successRate = average(s.successRate, 0)!
        s.consecutiveFailures += 1
        if s.probing || s.consecutiveFailures >= policy.failuresToEject {
            let factor = UInt64(1) << UInt64(min(s.ejections, 16))
            s.ejectedUntil = now + min(policy.ejectMilliseconds * factor, policy.maxEjectMilliseconds)
            s.ejections += 1
            s.probing = false
        }
        stats[address] = s
    }

    /// `address` served a request whose prompt begins as `promptKey` says.
    public mutating func served(promptKey: UInt64, by address: Address) {
        if servedPrompts.updateValue(address, forKey: promptKey) == nil { promptOrder.append(promptKey) }
        while servedPrompts.count > max(1, policy.rememberedPrompts) {
            servedPrompts[promptOrder[promptOrderStart]] = nil
            promptOrderStart += 1
        }
        if promptOrderStart > 4_096 && promptOrderStart * 2 > promptOrder.count {
            promptOrder.removeFirst(promptOrderStart)
            promptOrderStart = 0
        }
    }

    /// `address` says it runs `capacity` requests at once.
    public mutating func learned(capacity: Int, of address: Address) {
        stats[address, default: Stats()].capacity = min(max(1, capacity), 4096)
    }

    /// A request to `address` ended without telling anything of the provider (the client left).
    public mutating func abandoned(_ address: Address) {
        var s = stats[address] ?? Stats()
        s.inFlight = max(0, s.inFlight - 1)
        s.probing = false
        stats[address] = s
    }

    func average(_ old: Double?, _ new: Double) -> Double? {
        guard let old else { return new }
        return old + policy.smoothing * (new - old)
    }
}
