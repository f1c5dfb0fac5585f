import CairnLedger
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

/// A naive model of staking rewards: every distribution loops over the operator's delegations and credits
/// each its shares times the per-share amount, as the accumulator is meant to do without the loop.
struct NaiveRewards {
    struct Op {
        var shares: [Address: UInt128] = [:]
        var carry: UInt128 = 0
        var totalShares: UInt128 { shares.values.reduce(0, +) }
    }

    var ops: [Address: Op] = [:]
    var owedScaled: [Address: [Address: UInt128]] = [:]
    var paid: [Address: UInt128] = [:]

    mutating func distribute(_ rest: UInt128, to op: Address) {
        var o = ops[op, default: Op()]
        let scaled = rest * RewardMath.scale + o.carry
        let total = o.totalShares
        if total == 0 {
            o.carry = scaled
        } else {
            let perShare = scaled / total
            for (delegator, shares) in o.shares { owedScaled[delegator, default: [:]][op, default: 0] += shares * perShare }
            o.carry = scaled % total
        }
        ops[op] = o
    }

    mutating func withdraw(_ delegator: Address, from op: Address) -> UInt128 {
        let owed = owedScaled[delegator]?[op] ?? 0
        owedScaled[delegator, default: [:]][op] = owed % RewardMath.scale
        paid[delegator, default: 0] += owed / RewardMath.scale
        return owed / RewardMath.scale
    }
}

@Suite struct RewardAccountingTests {
    let operators = DevAccount.make(3, prefix: "operator").map(\.address)
    let delegators = DevAccount.make(5, prefix: "delegator").map(\.address)

    func store() -> StakingStore { StakingStore(state: StateOverlay(base: InMemoryState())) }

    /// Random delegations, undelegations, rewards, slashes and withdrawals: the accumulator pays every
    /// delegator exactly what the per-delegator loop gives, to the unit, and no unit is created or lost.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func accumulatorPaysWhatThePerDelegatorLoopPays(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let s = store()
        var naive = NaiveRewards()
        var commissions: [Address: UInt128] = [:]
        var distributedToShares: UInt128 = 0
        var paidOut: UInt128 = 0
        for (i, op) in operators.enumerated() { try s.register(op, kind: i == 0 ? .validator : .provider, commissionBps: UInt32(i * 750)) }
        for _ in 0..<600 {
            let op = operators.randomElement(using: &rng)!
            let delegator = delegators.randomElement(using: &rng)!
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<30:
                let amount = Amount(UInt128(UInt64.random(in: 1...5_000_000, using: &rng)))
                // A fully slashed operator takes no delegations; anything else issues shares.
                guard let record = try s.operatorRecord(op), record.shares == 0 || record.tokens > .zero else { continue }
                let issued = try s.delegate(delegator, to: op, amount: amount)
                naive.ops[op, default: .init()].shares[delegator, default: 0] += issued
            case 30..<45:
                let value = try s.tokens(of: delegator, in: op)
                guard value > .zero else {
                    #expect(throws: LedgerError.self) { try s.undelegate(delegator, from: op, amount: Amount(1)) }
                    continue
                }
                let amount = Bool.random(using: &rng) ? value : Amount(UInt128.random(in: 1...value.value, using: &rng))
                let before = try s.delegation(delegator, op)?.shares ?? 0
                #expect(try s.undelegate(delegator, from: op, amount: amount) == amount)
                let after = try s.delegation(delegator, op)?.shares ?? 0
                naive.ops[op]!.shares[delegator] = after
                #expect(after < before)
                #expect(throws: LedgerError.self) { try s.undelegate(delegator, from: op, amount: Amount(value.value + 1)) }
            case 45..<75:
                let reward = UInt128(UInt64.random(in: 0...3_000_000, using: &rng))
                let commission = try s.distribute(Amount(reward), to: op).value
                commissions[op, default: 0] += commission
                naive.distribute(reward - commission, to: op)
                distributedToShares += reward - commission
            case 75..<80:
                try s.slash(op, fractionBps: UInt32.random(in: 0...10_000, using: &rng))
            default:
                let paid = try s.withdrawRewards(delegator, from: op).value
                #expect(paid == naive.withdraw(delegator, from: op), "withdrawal of \(delegator) from \(op)")
                paidOut += paid
            }
        }
        // Everything distributed is paid, pending with a delegation or carried by its operator, to the unit.
        var pending: UInt128 = 0
        for op in operators {
            for delegator in delegators {
                let p = try s.pendingScaled(delegator, in: op)
                #expect(p == naive.owedScaled[delegator]?[op] ?? 0)
                pending += p
            }
            let record = try #require(try s.operatorRecord(op))
            #expect(record.carry == naive.ops[op]?.carry ?? 0)
            #expect(record.commission.value == commissions[op] ?? 0)
            #expect(record.shares == naive.ops[op]?.totalShares ?? 0)
            pending += record.carry
        }
        #expect(paidOut * RewardMath.scale + pending == distributedToShares * RewardMath.scale)
        #expect(paidOut > 0)
    }

    @Test func commissionIsTakenFirstAndTheRestSplitsByShares() throws {
        let s = store()
        let (op, a, b) = (operators[0], delegators[0], delegators[1])
        try s.register(op, kind: .validator, commissionBps: 1_000)
        try s.delegate(a, to: op, amount: 300)
        try s.delegate(b, to: op, amount: 100)
        #expect(try s.distribute(1_000, to: op) == 100)
        #expect(try s.withdrawRewards(a, from: op) == 675)
        #expect(try s.withdrawRewards(b, from: op) == 225)
        #expect(try s.withdrawCommission(op) == 100)
        #expect(try s.withdrawCommission(op) == .zero)
    }

    @Test func aRewardWithNoStakeWaitsForTheFirstShares() throws {
        let s = store()
        let (op, a) = (operators[1], delegators[0])
        try s.register(op, kind: .provider, commissionBps: 0)
        try s.distribute(500, to: op)
        try s.delegate(a, to: op, amount: 7)
        try s.distribute(0, to: op)
        // 500 × 10^18 over 7 shares leaves 3 scaled units with the operator: 499 whole units are paid and
        // a fraction of 10^18 − 3 scaled units stays pending.
        #expect(try s.withdrawRewards(a, from: op) == 499)
        #expect(try s.pendingScaled(a, in: op) == RewardMath.scale - 3)
        #expect(try s.operatorRecord(op)?.carry == 3)
    }

    @Test func fractionsStayPendingUntilTheyAddUpToAUnit() throws {
        let s = store()
        let (op, a, b, c) = (operators[0], delegators[0], delegators[1], delegators[2])
        try s.register(op, kind: .validator, commissionBps: 0)
        for d in [a, b, c] { try s.delegate(d, to: op, amount: 1) }
        try s.distribute(1, to: op)
        #expect(try s.withdrawRewards(a, from: op) == .zero)
        try s.distribute(2, to: op)
        #expect(try s.withdrawRewards(a, from: op) == 1)
        #expect(try s.withdrawRewards(b, from: op) == 1)
        #expect(try s.withdrawRewards(c, from: op) == 1)
    }

    @Test func aSlashLowersEveryDelegationButNotItsRewards() throws {
        let s = store()
        let (op, a, b) = (operators[0], delegators[0], delegators[1])
        try s.register(op, kind: .validator, commissionBps: 0)
        try s.delegate(a, to: op, amount: 1_000)
        try s.delegate(b, to: op, amount: 3_000)
        #expect(try s.slash(op, fractionBps: 2_500) == 1_000)
        #expect(try s.tokens(of: a, in: op) == 750)
        #expect(try s.tokens(of: b, in: op) == 2_250)
        try s.distribute(400, to: op)
        #expect(try s.withdrawRewards(a, from: op) == 100)
        // After the slash a new delegation buys shares at the lower price.
        try s.delegate(delegators[2], to: op, amount: 750)
        #expect(try s.tokens(of: delegators[2], in: op) == 750)
        #expect(try s.undelegate(b, from: op, amount: 2_250) == 2_250)
        #expect(try s.delegation(b, op)?.shares == 0)
    }

    @Test func badRequestsAreRefusedWithTheirCodes() throws {
        let s = store()
        let (op, a) = (operators[0], delegators[0])
        func code(_ body: () throws -> Void) -> UInt32? {
            do { try body(); return nil } catch let e as LedgerError { return e.code } catch { return nil }
        }
        #expect(code { try s.delegate(a, to: op, amount: 5) } == 1)
        try s.register(op, kind: .validator, commissionBps: 0)
        #expect(code { try s.register(op, kind: .provider, commissionBps: 0) } == 8)
        #expect(code { try s.register(operators[1], kind: .provider, commissionBps: 10_001) } == 7)
        #expect(code { try s.delegate(a, to: op, amount: .zero) } == 3)
        try s.delegate(a, to: op, amount: 5)
        #expect(code { try s.undelegate(a, from: op, amount: 6) } == 2)
        try s.slash(op, fractionBps: 10_000)
        #expect(code { try s.delegate(delegators[1], to: op, amount: 5) } == 5)
        #expect(code { try s.distribute(Amount(UInt128.max), to: op) } == 4)
    }
}
