import Testing
import CairnPrimitives
import CairnMarket
import CairnClient
@testable import CairnVerifier
import CairnTestSupport

/// Which of a provider's streams the gateway's auditor raises a pooled challenge on: the newest stream whose kept jobs
/// cover the whole lookback, and never one holding a job too large to be given as evidence (its window would lapse and
/// burn the bond).
@Suite struct AuditorWindowTests {
    static let provider = DevAccount("window-provider").address
    static let other = DevAccount("window-other").address

    static func job(channel: UInt64, number: UInt64, bytes: Int = 100, provider: Address = provider) -> GatewayAuditor.KeptJob {
        let receipt = ServiceReceipt(provider: provider, channelID: channel, requestHash: .zero, outputHash: .zero, modelID: 1, model: "m",
                                     promptTokens: 1, completionTokens: 1, embeddingTokens: 0,
                                     price: ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 1, embeddingPerMillion: 1),
                                     cost: 1, cumulative: 1, modelCumulative: 1, modelRequests: number)
        return GatewayAuditor.KeptJob(request: [UInt8](repeating: 1, count: bytes / 2), output: [UInt8](repeating: 2, count: bytes - bytes / 2),
                                      receipt: SignedReceipt(receipt: receipt, publicKey: [], signature: []))
    }

    static func stream(_ channel: UInt64, _ numbers: ClosedRange<UInt64>, provider: Address = provider,
                       large: Set<UInt64> = []) -> (GatewayAuditor.Stream, [UInt64: GatewayAuditor.KeptJob]) {
        (GatewayAuditor.Stream(provider: provider, channel: channel, model: 1),
         Dictionary(uniqueKeysWithValues: numbers.map { ($0, job(channel: channel, number: $0, bytes: large.contains($0) ? 70_000 : 100)) }))
    }

    static func pick(_ streams: [(GatewayAuditor.Stream, [UInt64: GatewayAuditor.KeptJob])]) -> (channel: UInt64, newest: UInt64)? {
        GatewayAuditor.windowStream(Dictionary(uniqueKeysWithValues: streams), provider: provider, jobs: 20, lookback: 80,
                                    maxJobBytes: 64 * 1_024 - GatewayAuditor.evidenceOverhead).map { ($0.0.channel, $0.1) }
    }

    @Test func theNewestWholeStreamIsChosen() {
        // Channel 1 holds jobs 1 to 30 (its lookback from job 1 is whole), channel 2 jobs 11 to 100 (81 to 100 whole).
        #expect(Self.pick([Self.stream(1, 1...30), Self.stream(2, 11...100)])! == (2, 100))
        // Fewer than a window's worth, or a gap inside the lookback: nothing yet.
        #expect(Self.pick([Self.stream(1, 1...19)]) == nil)
        var gap = Self.stream(1, 1...60)
        gap.1[40] = nil
        #expect(Self.pick([gap]) == nil)
        // Another provider's streams are not this one's.
        #expect(Self.pick([Self.stream(3, 1...50, provider: Self.other)]) == nil)
    }

    @Test func aStreamHoldingAJobTooLargeForEvidenceIsPassedOver() {
        // Job 25 of channel 2 (70,000 bytes) cannot go into a transaction of 64 KiB: channel 1 is chosen instead.
        #expect(Self.pick([Self.stream(1, 1...40), Self.stream(2, 1...50, large: [25])])! == (1, 40))
        // Alone, that stream waits until the large job has left its lookback of 80.
        #expect(Self.pick([Self.stream(2, 1...104, large: [25])]) == nil)
        #expect(Self.pick([Self.stream(2, 1...105, large: [25])])! == (2, 105))
    }

    /// What follows a pooled challenge once decided: upheld or rejected, the provider's evidence starts afresh (a
    /// slashed provider may come back and cheat again; a rejected one was suspected wrongly); lapsed or void, the
    /// suspicion stands and the challenge may be raised again. Undecided challenges change nothing.
    @Test func aDecidedPooledChallengeLetsItsProviderBeJudgedAfresh() async throws {
        #expect(GatewayAuditor.PooledOutcome(status: "upheld") == .decided(upheld: true))
        #expect(GatewayAuditor.PooledOutcome(status: "rejected") == .decided(upheld: false))
        #expect(GatewayAuditor.PooledOutcome(status: "lapsed") == .undecided)
        #expect(GatewayAuditor.PooledOutcome(status: "void") == .undecided)
        for open in ["gathering", "drawing", "committing", "revealing"] { #expect(GatewayAuditor.PooledOutcome(status: open) == nil) }

        let sender = TransactionSender(node: try NodeClient(url: "http://127.0.0.1:9"), key: DevAccount("window-gateway").key)
        let auditor = GatewayAuditor(rate: 0, sender: sender, bond: 1, modelsDirectory: nil) { _ in }
        let p = Self.provider
        await auditor.suspect(p, because: "pooled log-probability 6 deviations low")
        await auditor.raised(p, challenge: 7)
        var against = await auditor.pooledAgainst, open = await auditor.openPooled
        #expect(against == [p] && open == [p: 7])
        await auditor.settle(p, outcome: .undecided, id: 7)
        #expect(await auditor.suspects() == [p], "a lapsed challenge leaves the suspicion")
        against = await auditor.pooledAgainst
        open = await auditor.openPooled
        #expect(against.isEmpty && open.isEmpty, "and lets the challenge be raised again")
        await auditor.raised(p, challenge: 9)
        await auditor.settle(p, outcome: .decided(upheld: false), id: 9)
        #expect(await auditor.suspects().isEmpty)
        against = await auditor.pooledAgainst
        open = await auditor.openPooled
        #expect(against.isEmpty && open.isEmpty)
        let counts = await auditor.counts
        #expect(counts.suspected == 1 && counts.pooledUndecided == 1 && counts.pooledRejected == 1 && counts.pooledUpheld == 0)
    }
}
