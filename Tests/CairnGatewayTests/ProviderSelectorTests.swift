import Testing
import CairnPrimitives
import CairnMarket
import CairnGateway

@Suite struct ProviderSelectorTests {
    static func candidate(_ name: String, prompt: Amount = 1_000_000, completion: Amount = 2_000_000,
                          stake: Amount = 1_000_000_000) -> ProviderCandidate {
        ProviderCandidate(address: PrivateKey.deterministic("selector-\(name)").publicKey.address, endpoint: "http://\(name)",
                          price: ModelPrice(modelID: 1, promptPerMillion: prompt, completionPerMillion: completion, embeddingPerMillion: 0),
                          stake: stake)
    }

    static let a = candidate("a"), b = candidate("b")

    func first(_ s: inout ProviderSelector, _ c: [ProviderCandidate], now: UInt64 = 0) -> Address? {
        s.rank(c, promptTokens: 100, completionTokens: 50, now: now).first?.address
    }

    @Test func aPromptGoesBackToTheProviderThatServedItUnlessThatOneIsBusier() {
        var s = ProviderSelector()
        for c in [Self.a, Self.b] { s.learned(capacity: 4, of: c.address) }
        func pick(_ key: UInt64?) -> Address? { s.rank([Self.a, Self.b], promptTokens: 100, completionTokens: 50, promptKey: key, now: 0).first?.address }
        // Equal providers take turns for requests without a remembered beginning.
        #expect(Set((0..<4).compactMap { _ in pick(nil) }) == [Self.a.address, Self.b.address])
        #expect(Set((0..<4).compactMap { _ in pick(7) }) == [Self.a.address, Self.b.address])
        s.served(promptKey: 7, by: Self.b.address)
        for _ in 0..<4 { #expect(pick(7) == Self.b.address) }
        #expect(Set((0..<4).compactMap { _ in pick(8) }) == [Self.a.address, Self.b.address])
        // One of its four places taken (a score 1.25 times higher) does not outweigh the remembered prompt (0.7 times the
        // score); two (1.5 times) do.
        s.started(Self.b.address)
        #expect(pick(7) == Self.b.address)
        s.started(Self.b.address)
        #expect(pick(7) == Self.a.address)
        // The oldest beginnings are forgotten first.
        var policy = ProviderSelector.Policy()
        policy.rememberedPrompts = 2
        var small = ProviderSelector(policy: policy)
        for key in UInt64(1)...3 { small.served(promptKey: key, by: Self.a.address) }
        #expect(small.servedPrompts.keys.sorted() == [2, 3])
    }

    @Test func failedChecksRankAProviderLowerAndAnUpheldChallengeLeavesItOut() {
        var s = ProviderSelector()
        var doubted = Self.candidate("doubted")
        doubted.reputation = CheckRecord(checksPassed: 3, checksFailed: 1)
        #expect(abs(doubted.reputation.trust - 0.5) < 1e-12)
        for _ in 0..<4 { #expect(first(&s, [doubted, Self.a]) == Self.a.address) }
        // Half the price does not make up for half the trust and a bit more.
        var cheapDoubted = Self.candidate("cheap-doubted", prompt: 600_000, completion: 1_200_000)
        cheapDoubted.reputation = CheckRecord(checksPassed: 3, checksFailed: 1)
        for _ in 0..<4 { #expect(first(&s, [cheapDoubted, Self.a]) == Self.a.address) }
        var cheat = Self.candidate("cheat", prompt: 1, completion: 1)
        cheat.reputation = CheckRecord(checksPassed: 100, challengesUpheld: 1)
        #expect(s.rank([cheat, Self.a, Self.b], promptTokens: 100, completionTokens: 50, now: 0).map(\.address).contains(cheat.address) == false)
        // Alone, it is still served: the chain jails a provider it slashes, and an operator may accept the risk.
        #expect(first(&s, [cheat]) == cheat.address)
    }

    @Test func aProviderTheGatewaysAuditsSuspectRanksAsIfACheckHadFailed() {
        var s = ProviderSelector()
        var suspect = Self.candidate("suspect", prompt: 600_000, completion: 1_200_000)
        suspect.reputation = CheckRecord(checksPassed: 50, suspected: true)
        #expect(abs(suspect.reputation.trust - 0.2) < 1e-12)
        #expect(CheckRecord(checksPassed: 50).trust == 1)
        // Cheaper, with a long clean record on chain, and still behind an untried provider at the full price.
        for _ in 0..<4 { #expect(first(&s, [suspect, Self.a]) == Self.a.address) }
        #expect(first(&s, [suspect]) == suspect.address)
    }

    @Test func aNewProviderIsTriedBesideAFastOneAndThenRankedByWhatItShowed() {
        var s = ProviderSelector()
        s.started(Self.a.address)
        s.succeeded(Self.a.address, firstTokenSeconds: 0.05, tokensPerSecond: 400)
        // b was never timed: assumed as fast as a, so equal scores take turns and b gets its first request.
        let picks = (0..<2).compactMap { _ in first(&s, [Self.a, Self.b]) }
        #expect(picks.contains(Self.b.address), "\(picks)")
        // Timed slow, it falls behind.
        s.started(Self.b.address)
        s.succeeded(Self.b.address, firstTokenSeconds: 2, tokensPerSecond: 10)
        for _ in 0..<4 { #expect(first(&s, [Self.a, Self.b]) == Self.a.address) }
    }

    @Test func theCheaperOfTwoEqualProvidersComesFirst() {
        var s = ProviderSelector()
        let cheap = Self.candidate("cheap", prompt: 500_000, completion: 1_000_000)
        for _ in 0..<4 { #expect(first(&s, [Self.a, cheap]) == cheap.address) }
    }

    @Test func theFasterOfTwoEquallyPricedProvidersComesFirst() {
        var s = ProviderSelector()
        s.started(Self.a.address)
        s.succeeded(Self.a.address, firstTokenSeconds: 2, tokensPerSecond: 10)
        s.started(Self.b.address)
        s.succeeded(Self.b.address, firstTokenSeconds: 0.1, tokensPerSecond: 100)
        for _ in 0..<4 { #expect(first(&s, [Self.a, Self.b]) == Self.b.address) }
    }

    @Test func equalProvidersTakeTurnsAndRequestsInFlightSpreadTheLoad() {
        var s = ProviderSelector()
        let picks = (0..<4).compactMap { _ in first(&s, [Self.a, Self.b]) }
        #expect(Set(picks) == [Self.a.address, Self.b.address])
        s.started(Self.a.address)
        for _ in 0..<4 { #expect(first(&s, [Self.a, Self.b]) == Self.b.address, "a has a request in flight") }
    }

    @Test func requestsInFlightWeighAgainstWhatTheProviderSaysItRunsAtOnce() {
        var s = ProviderSelector()
        // a batches 32 requests and has 4 in flight; b runs one at a time and has 1: a is the less loaded.
        s.learned(capacity: 32, of: Self.a.address)
        for _ in 0..<4 { s.started(Self.a.address) }
        s.started(Self.b.address)
        for _ in 0..<4 { #expect(first(&s, [Self.a, Self.b]) == Self.a.address, "4 of 32 is less than 1 of 1") }
        // Filled to its capacity, a weighs as b with one in flight and twice as b with none.
        for _ in 0..<28 { s.started(Self.a.address) }
        s.succeeded(Self.b.address, firstTokenSeconds: 0.5, tokensPerSecond: 20)
        for _ in 0..<4 { #expect(first(&s, [Self.a, Self.b]) == Self.b.address) }
        s.learned(capacity: 0, of: Self.b.address)
        #expect(s.stats[Self.b.address]?.capacity == 1, "a capacity below 1 counts as 1")
    }

    @Test func everyCandidateInRotationIsRankedSoACallerCanRetry() {
        var s = ProviderSelector()
        let ranked = s.rank([Self.a, Self.b], promptTokens: 10, completionTokens: 10, now: 0).map(\.address)
        #expect(Set(ranked) == [Self.a.address, Self.b.address] && ranked.count == 2)
    }

    @Test func aFailingProviderLeavesTheRotationAndIsProbedBackAfterItsCoolDown() {
        var policy = ProviderSelector.Policy()
        policy.failuresToEject = 2
        policy.ejectMilliseconds = 1_000
        var s = ProviderSelector(policy: policy)
        for _ in 0..<2 {
            s.started(Self.a.address)
            s.failed(Self.a.address, now: 10)
        }
        #expect(s.rank([Self.a, Self.b], promptTokens: 1, completionTokens: 1, now: 500).map(\.address) == [Self.b.address])
        // After the cool-down it is probed first, once at a time.
        let probe = s.rank([Self.a, Self.b], promptTokens: 1, completionTokens: 1, now: 1_010).map(\.address)
        #expect(probe == [Self.a.address, Self.b.address])
        s.started(Self.a.address)
        #expect(s.rank([Self.a, Self.b], promptTokens: 1, completionTokens: 1, now: 1_020).map(\.address) == [Self.b.address])
        // The probe fails: out again for twice as long.
        s.failed(Self.a.address, now: 1_100)
        #expect(s.stats[Self.a.address]?.ejectedUntil == 3_100)
        #expect(s.rank([Self.a, Self.b], promptTokens: 1, completionTokens: 1, now: 3_000).map(\.address) == [Self.b.address])
        // The next probe succeeds: back in rotation.
        _ = s.rank([Self.a, Self.b], promptTokens: 1, completionTokens: 1, now: 3_100)
        s.started(Self.a.address)
        s.succeeded(Self.a.address, firstTokenSeconds: 0.2, tokensPerSecond: 50)
        #expect(s.stats[Self.a.address]?.ejectedUntil == nil)
        #expect(Set(s.rank([Self.a, Self.b], promptTokens: 1, completionTokens: 1, now: 3_200).map(\.address)) == [Self.a.address, Self.b.address])
    }

    @Test func oneFailureLowersTheSuccessRateWithoutEjecting() {
        var s = ProviderSelector()
        s.started(Self.a.address)
        s.failed(Self.a.address, now: 0)
        #expect(s.stats[Self.a.address]?.ejectedUntil == nil)
        for _ in 0..<4 { #expect(first(&s, [Self.a, Self.b]) == Self.b.address) }
    }

    @Test func moreStakeWinsBetweenOtherwiseEqualProviders() {
        var s = ProviderSelector()
        let staked = Self.candidate("staked", stake: 1_000_000_000_000)
        for _ in 0..<4 { #expect(first(&s, [Self.a, staked]) == staked.address) }
    }
}
