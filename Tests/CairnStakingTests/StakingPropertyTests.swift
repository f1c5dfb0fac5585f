import CairnBank
import CairnLedger
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

@Suite struct StakingPropertyTests {
    /// Random delegations, undelegations, redelegations, withdrawals, slashes and emission over many blocks:
    /// after every block the module accounts match the records to the unit (the rewards account equals
    /// every commission, carry and delegator's reward owed through the accumulators), and the supply
    /// splits exactly into bonded + unbonding + rewards + treasury + liquid + burned.
    @Test(arguments: [UInt64(11), 12, 13, 14])
    func randomStakingKeepsEveryAccountExact(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let f = try StakingFixture(accounts: 6)
        let providers = Array(f.accounts[0..<2])
        let holders = Array(f.accounts[2...])
        for p in providers { try f.run(p, MsgCreateProvider(f.spec(p, bond: 5_000_000, commission: UInt32.random(in: 0...2_000, using: &rng)))) }
        let operators = [f.validator.address] + providers.map(\.address)
        var failures = 0
        for _ in 0..<60 {
            var txs = [Transaction]()
            for h in holders where Bool.random(using: &rng) {
                let op = operators.randomElement(using: &rng)!
                let amount = Amount(UInt128(UInt64.random(in: 1...3_000_000, using: &rng)))
                let message: RawMessage
                switch Int.random(in: 0..<5, using: &rng) {
                case 0, 1: message = RawMessage(MsgDelegate(operator: op, amount: amount))
                case 2: message = RawMessage(MsgUndelegate(operator: op, amount: amount))
                case 3: message = RawMessage(MsgRedelegate(source: op, destination: operators.filter { $0 != op }.randomElement(using: &rng)!, amount: amount))
                default: message = RawMessage(MsgWithdrawRewards(operator: op))
                }
                txs.append(f.harness.tx(h, [message]))
            }
            let exec = try f.harness.block(txs, proposer: f.validator.address)
            failures += exec.receipts.filter { !$0.success }.count
            if Int.random(in: 0..<10, using: &rng) == 0 {
                let op = providers.randomElement(using: &rng)!.address
                try f.harness.withContext(proposer: f.validator.address) { context in
                    try f.staking.slash(op, fractionBps: UInt32.random(in: 1...3_000, using: &rng), jailFor: nil, reason: "test", context: context)
                }
            }
            try expectSupplySplitsExactly(f)
        }
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations.prefix(5))")
        // The sequences must exercise both outcomes: some messages fail (undelegating more than held, ...).
        #expect(failures > 0)
        #expect(try f.staking.pools(state: f.harness.state).unbonding > .zero)
    }

    func expectSupplySplitsExactly(_ f: StakingFixture) throws {
        let bank = BankModule()
        let state = f.harness.state
        let pools = try f.staking.pools(state: state)
        let treasury = try bank.balance(of: ModuleAccount.treasury, denom: Denom.native, state: state)
        let collector = try bank.balance(of: ModuleAccount.feeCollector, denom: Denom.native, state: state)
        let modules: Set<Address> = [StakingAccounts.bonded, StakingAccounts.unbonding, StakingAccounts.rewards, ModuleAccount.treasury,
                                     ModuleAccount.feeCollector]
        var liquid: UInt128 = 0
        for entry in try state.scan(prefix: BankKeys.allBalancesPrefix) {
            let rest = Array(entry.key[BankKeys.allBalancesPrefix.count...])
            guard let a = Address(bytes: Array(rest[0..<20])), !modules.contains(a) else { continue }
            if String(decoding: rest[21...], as: UTF8.self) == Denom.native { liquid += try CanonicalReader.amount(entry.value).value }
        }
        let minted = try bank.supply(Denom.native, state: state).value
        let burned = try bank.burned(Denom.native, state: state).value
        let held = pools.bonded.value + pools.unbonding.value + pools.rewards.value + treasury.value + collector.value + liquid
        #expect(collector == .zero, "tips are shared out in the block they are paid")
        #expect(held + burned == minted)
    }
}

extension CanonicalReader {
    static func amount(_ bytes: [UInt8]) throws -> Amount {
        var r = CanonicalReader(bytes)
        return try r.readAmount()
    }
}
