import CairnBank
import CairnLedger
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

@Suite struct StakingModuleTests {
    @Test func genesisBondsTheValidatorFromItsBalance() throws {
        let f = try StakingFixture()
        let op = try f.operatorView(f.validator.address)
        #expect(op.tokens == StakingFixture.validatorBond && op.selfBond == StakingFixture.validatorBond && op.kind == "validator")
        #expect(try f.staking.pools(state: f.harness.state).bonded == StakingFixture.validatorBond)
        #expect(try f.harness.balance(f.validator.address) == Amount(StakingFixture.funds.value - StakingFixture.validatorBond.value))
        #expect(f.harness.violations.isEmpty)
    }

    @Test func delegatorsEarnRewardsOverBlocksAndWithdrawThemExactly() throws {
        let f = try StakingFixture()
        let holder = f.accounts[0]
        let r = try f.run(holder, MsgDelegate(operator: f.validator.address, amount: 100_000_000))
        #expect(r.success)
        try f.blocks(20)
        let owed = try #require(try f.delegation(holder, f.validator.address)).rewards
        #expect(owed > .zero)
        let before = try f.harness.balance(holder.address)
        let w = try f.run(holder, MsgWithdrawRewards(operator: f.validator.address))
        #expect(w.success)
        let text = w.events.first { $0.type == "staking.withdraw_rewards" }?["amount"]
        let paid = try #require(text.flatMap { Amount(decimal: $0) })
        // Rewards kept accruing in the withdrawal's own block, so at least what was owed before is paid.
        #expect(paid >= owed)
        #expect(try f.harness.balance(holder.address) == Amount(before.value + paid.value - w.fee.value))
        #expect(try f.harness.balance(ModuleAccount.treasury) > .zero)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func delegatingMoreThanTheBalanceFailsAndChangesNothing() throws {
        let f = try StakingFixture()
        let holder = f.accounts[0]
        let r = try f.run(holder, MsgDelegate(operator: f.validator.address, amount: Amount(StakingFixture.funds.value * 2)))
        #expect(!r.success)
        #expect(r.error?.module == "bank" && r.error?.code == 1)
        #expect(try f.delegation(holder, f.validator.address) == nil)
        #expect(f.harness.violations.isEmpty)
    }

    @Test func undelegatingMoreThanDelegatedIsRejected() throws {
        let f = try StakingFixture()
        let holder = f.accounts[0]
        try f.run(holder, MsgDelegate(operator: f.validator.address, amount: 1_000))
        let r = try f.run(holder, MsgUndelegate(operator: f.validator.address, amount: 1_001))
        #expect(!r.success && r.error?.matches(StakingError.insufficientDelegation(have: "", need: "")) == true)
        #expect(try f.delegation(holder, f.validator.address)?.tokens == 1_000)
    }

    @Test func delegatingToAnUnknownOperatorIsRejected() throws {
        let f = try StakingFixture()
        let r = try f.run(f.accounts[0], MsgDelegate(operator: f.accounts[1].address, amount: 1_000))
        #expect(!r.success && r.error?.matches(StakingError.unknownOperator("")) == true)
    }

    @Test func undelegatedStakeIsPaidOnlyAfterTheUnbondingPeriod() throws {
        let f = try StakingFixture()
        let holder = f.accounts[0]
        try f.run(holder, MsgDelegate(operator: f.validator.address, amount: 50_000_000))
        let r = try f.run(holder, MsgUndelegate(operator: f.validator.address, amount: 20_000_000))
        #expect(r.success)
        let completionText = r.events.first { $0.type == "staking.undelegate" }?["completion_height"]
        let completion = try #require(completionText.flatMap { UInt64($0) })
        #expect(completion == f.harness.height + StakingFixture.params.unbondingBlocks)
        let unbonding = try f.staking.unbondingViews(of: holder.address, state: f.harness.state)
        #expect(unbonding.map(\.balance) == [20_000_000])
        let waiting = try f.harness.balance(holder.address)
        while f.harness.height < completion - 1 { try f.blocks(1) }
        #expect(try f.harness.balance(holder.address) == waiting)
        try f.blocks(1)
        #expect(try f.harness.balance(holder.address) == Amount(waiting.value + 20_000_000))
        #expect(try f.staking.unbondingViews(of: holder.address, state: f.harness.state).isEmpty)
        #expect(try f.delegation(holder, f.validator.address)?.tokens == 30_000_000)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func anOperatorCannotLeaveLessThanTheMinimumSelfBond() throws {
        let f = try StakingFixture()
        let left = Amount(StakingFixture.params.minSelfBond.value - 1)
        let r = try f.run(f.validator, MsgUndelegate(operator: f.validator.address, amount: Amount(StakingFixture.validatorBond.value - left.value)))
        #expect(!r.success && r.error?.matches(StakingError.selfBondTooLow(have: "", minimum: "")) == true)
    }

    @Test func redelegationMovesStakeAtOnceAndCannotHopOnWhileMaturing() throws {
        let f = try StakingFixture()
        let provider = f.accounts[1]
        let holder = f.accounts[0]
        #expect(try f.run(provider, MsgCreateProvider(f.spec(provider, bond: 5_000_000))).success)
        try f.run(holder, MsgDelegate(operator: f.validator.address, amount: 10_000_000))
        let r = try f.run(holder, MsgRedelegate(source: f.validator.address, destination: provider.address, amount: 4_000_000))
        #expect(r.success)
        #expect(try f.delegation(holder, f.validator.address)?.tokens == 6_000_000)
        #expect(try f.delegation(holder, provider.address)?.tokens == 4_000_000)
        let hop = try f.run(holder, MsgRedelegate(source: provider.address, destination: f.validator.address, amount: 1_000))
        #expect(!hop.success && hop.error?.matches(StakingError.redelegationHop("")) == true)
        try f.blocks(Int(StakingFixture.params.unbondingBlocks))
        #expect(try f.run(holder, MsgRedelegate(source: provider.address, destination: f.validator.address, amount: 1_000)).success)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func aValidatorThatMissesTheWindowIsSlashedAndJailedThenUnjails() throws {
        let f = try StakingFixture()
        let idle = f.accounts[2]
        let bond: Amount = 10_000_000
        #expect(try f.run(idle, MsgCreateValidator(f.spec(idle, bond: bond))).success)
        // Only the genesis validator signs, so the new one misses every block of its window once it is in the set (two
        // blocks after it bonds; its misses count from the block after that).
        var jailedAt: UInt64?
        for _ in 0..<Int(StakingFixture.params.signedBlocksWindow) + 3 where jailedAt == nil {
            let exec = try f.harness.block(proposer: f.validator.address)
            if exec.blockEvents.contains(where: { $0.type == "staking.jail" && $0["operator"] == idle.address.bech32 }) { jailedAt = f.harness.height }
        }
        let at = try #require(jailedAt)
        let op = try f.operatorView(idle.address)
        #expect(op.jailed && op.jailedUntil == at + StakingFixture.params.downtimeJailBlocks)
        #expect(op.tokens == Amount(bond.value - bond.value * 100 / 10_000))
        #expect(try !f.operatorView(f.validator.address).jailed)
        let early = try f.run(idle, MsgUnjail())
        #expect(!early.success && early.error?.matches(StakingError.cannotUnjail("")) == true)
        while f.harness.height < op.jailedUntil { try f.blocks(1) }
        #expect(try f.run(idle, MsgUnjail()).success)
        #expect(try !f.operatorView(idle.address).jailed)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func jailedOperatorsEarnNoEmission() throws {
        let f = try StakingFixture()
        let idle = f.accounts[2]
        try f.run(idle, MsgCreateValidator(f.spec(idle, bond: 10_000_000)))
        try f.blocks(Int(StakingFixture.params.signedBlocksWindow) + 3)
        #expect(try f.operatorView(idle.address).jailed)
        let before = try #require(try f.delegation(idle, idle.address)).rewards
        try f.blocks(5)
        #expect(try #require(try f.delegation(idle, idle.address)).rewards == before)
    }
}

@Suite struct ModuleAccountTests {
    @Test(arguments: [StakingAccounts.bonded, StakingAccounts.rewards, ModuleAccount.feeCollector])
    func aSendToAModuleAccountIsRefused(account: Address) throws {
        let f = try StakingFixture()
        let r = try f.run(f.accounts[0], MsgSend(to: account, coins: [Coin(denom: Denom.native, amount: 5)]))
        #expect(!r.success && r.error?.module == "bank" && r.error?.code == 7)
        #expect(f.harness.violations.isEmpty)
    }

    @Test func anyoneMayGiveToTheTreasury() throws {
        let f = try StakingFixture()
        #expect(try f.run(f.accounts[0], MsgSend(to: ModuleAccount.treasury, coins: [Coin(denom: Denom.native, amount: 5)])).success)
    }
}
