import CairnBank
import CairnLedger
import CairnModels
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct RoyaltyPropertyTests {
    /// Random royalties, share transfers (between holders, to new holders, whole balances) and claims: after
    /// every step the invariants hold (the pool equals what is owed, to 10^-18 of a unit); at the end
    /// everything paid in is claimed or in the pool, and every holder's due (claimed + pending) is within one
    /// unit per payment of its exact pro-rata share of each royalty on what it held at the time. Rounding
    /// costs a holder less than `balance / 10^18` units per change of its balance, so below 10^12 shares it
    /// is within one unit overall.
    @Test(arguments: [(UInt64(21), UInt128(1_000)), (22, 7), (23, 999_983), (24, 1_000_000_000_000_000_000)])
    func randomRoyaltiesTransfersAndClaimsPayEveryHolderItsExactShare(seed: UInt64, totalShares: UInt128) throws {
        var rng = SeededRandom(seed: seed)
        let f = try ModelsFixture(accounts: 5)
        let holders = f.accounts
        let id = try f.register(holders[0], "property-model")
        try f.ok(holders[0], MsgIssueShares(modelID: id, shares: Amount(totalShares)))

        var balances: [Address: UInt128] = [holders[0].address: totalShares]
        var exact: [Address: (units: UInt128, remainder: UInt128)] = [:]   // Σ amount × balance / shares, exactly
        var claimed: [Address: UInt128] = [:]
        var paidIn: UInt128 = 0
        var payments: UInt128 = 0

        for _ in 0..<80 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4:
                let amount = UInt128(UInt64.random(in: 1...5_000_000, using: &rng))
                try f.pay(Amount(amount), model: id)
                paidIn += amount
                payments += 1
                for (holder, balance) in balances where balance > 0 {
                    // amount × balance ≤ 5·10^6 × 10^18, well inside 128 bits.
                    let (q, r) = (amount * balance).quotientAndRemainder(dividingBy: totalShares)
                    let sum = exact[holder, default: (0, 0)].remainder + r
                    exact[holder] = (exact[holder, default: (0, 0)].units + q + sum / totalShares, sum % totalShares)
                }
            case 4..<8:
                let from = holders.filter { balances[$0.address, default: 0] > 0 }.randomElement(using: &rng)!
                let to = holders.randomElement(using: &rng)!
                let have = balances[from.address]!
                let amount = Bool.random(using: &rng) ? have : UInt128.random(in: 1...have, using: &rng)
                #expect(try f.sendShares(Amount(amount), of: id, from: from, to: to.address).success)
                balances[from.address]! -= amount
                balances[to.address, default: 0] += amount
            default:
                let who = holders.randomElement(using: &rng)!
                let receipt = try f.run(who, MsgClaimRoyalties(modelID: id))
                #expect(receipt.success || isModels(receipt.error, 9))
                claimed[who.address, default: 0] += ModelsFixture.claimed(receipt).value
            }
        }
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations.prefix(3))")
        #expect(payments > 0)

        let pool = try f.pool().value
        #expect(claimed.values.reduce(0, +) + pool == paidIn, "everything paid in is claimed or in the pool")
        let store = ModelsStore(state: StateOverlay(base: f.state))
        let record = try #require(try store.model(id))
        var owedScaled: UInt128 = record.carry
        for h in holders {
            let shares = try f.shares(h.address, id)
            #expect(shares.value == balances[h.address, default: 0])
            let pending = try store.settled(h.address, of: id, balance: shares, record).pendingScaled
            owedScaled += pending
            let due = claimed[h.address, default: 0] + pending / RoyaltyMath.scale
            let exactUnits = exact[h.address, default: (0, 0)].units
            let gap = due > exactUnits ? due - exactUnits : exactUnits - due
            #expect(gap <= payments, "holder \(h.name): due \(due), exact \(exactUnits)")
            if totalShares <= 1_000_000_000_000 { #expect(gap <= 1, "holder \(h.name): due \(due), exact \(exactUnits)") }
        }
        #expect(owedScaled == pool * RoyaltyMath.scale)
    }

    /// The same seed replays to the same state, byte for byte.
    @Test func theSameRoyaltyTrafficReplaysToTheSameState() throws {
        func replay() throws -> [(key: [UInt8], value: [UInt8])] {
            var rng = SeededRandom(seed: 99)
            let f = try ModelsFixture(accounts: 3)
            let id = try f.register(f[0], "replayed")
            try f.ok(f[0], MsgIssueShares(modelID: id, shares: 1_000))
            for i in 0..<12 {
                try f.pay(Amount(UInt128(UInt64.random(in: 1...10_000, using: &rng))), model: id)
                if i % 3 == 0 { try f.sendShares(Amount(UInt128(UInt64.random(in: 1...50, using: &rng))), of: id, from: f[0], to: f[i % 2 + 1].address) }
                if i % 4 == 3 { try f.run(f[i % 3], MsgClaimRoyalties(modelID: id)) }
            }
            return try f.state.scan(prefix: [])
        }
        let first = try replay(), second = try replay()
        #expect(first.count == second.count)
        #expect(zip(first, second).allSatisfy { $0.key == $1.key && $0.value == $1.value })
    }
}
