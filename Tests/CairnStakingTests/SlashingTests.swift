import CairnBank
import CairnLedger
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

@Suite struct SlashingTests {
    /// Two different headers for one height, both signed with `signer`'s key.
    func doubleSigned(_ f: StakingFixture, by signer: DevAccount, height: UInt64, forge: DevAccount? = nil) -> MsgSubmitEvidence {
        func header(_ root: UInt8) -> BlockHeader {
            BlockHeader(chainID: TestGenesis.chainID, height: height, time: 1, previousHash: Hash.sha256([root]),
                        txRoot: Hash.sha256([1]), stateRoot: Hash.sha256([root, 2]), receiptRoot: Hash.sha256([3]),
                        baseFee: 10, gasUsed: 0, proposer: signer.address)
        }
        let a = header(1), b = header(2)
        let key = (forge ?? signer).key
        return MsgSubmitEvidence(first: a, firstSignature: key.sign(domain: .block, chainID: a.chainID, payload: a.canonicalBytes),
                                 second: b, secondSignature: signer.key.sign(domain: .block, chainID: b.chainID, payload: b.canonicalBytes))
    }

    @Test func doubleSigningSlashesAndJailsForGood() throws {
        let f = try StakingFixture()
        let rogue = f.accounts[2]
        try f.run(rogue, MsgCreateValidator(f.spec(rogue, bond: 20_000_000)))
        let burnedBefore = try BankModule().burned(Denom.native, state: f.harness.state)
        let r = try f.run(f.accounts[0], doubleSigned(f, by: rogue, height: f.harness.height))
        #expect(r.success, "\(String(describing: r.error))")
        let op = try f.operatorView(rogue.address)
        #expect(op.jailed && op.tombstoned)
        #expect(op.tokens == Amount(20_000_000 - 20_000_000 * 500 / 10_000))
        let burned = try BankModule().burned(Denom.native, state: f.harness.state)
        #expect(burned.value - burnedBefore.value >= 1_000_000) // the slash, plus base fees of the block
        try f.blocks(Int(StakingFixture.params.downtimeJailBlocks) + 1)
        let unjail = try f.run(rogue, MsgUnjail())
        #expect(!unjail.success && unjail.error?.matches(StakingError.cannotUnjail("")) == true)
        let again = try f.run(f.accounts[0], doubleSigned(f, by: rogue, height: f.harness.height))
        #expect(!again.success && again.error?.matches(StakingError.invalidEvidence("")) == true)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test func evidenceWithASignatureFromAnotherKeyIsRejected() throws {
        let f = try StakingFixture()
        let rogue = f.accounts[2]
        try f.run(rogue, MsgCreateValidator(f.spec(rogue, bond: 20_000_000)))
        let r = try f.run(f.accounts[0], doubleSigned(f, by: rogue, height: f.harness.height, forge: f.accounts[3]))
        #expect(!r.success && r.error?.matches(StakingError.invalidEvidence("")) == true)
        #expect(try !f.operatorView(rogue.address).jailed)
    }

    @Test func evidenceOfTheSameHeaderTwiceIsDroppedAsInvalid() throws {
        let f = try StakingFixture()
        var m = doubleSigned(f, by: f.validator, height: 1)
        m.second = m.first
        m.secondSignature = m.firstSignature
        let exec = try f.harness.block([f.harness.tx(f.accounts[0], [RawMessage(m)])], proposer: f.validator.address)
        #expect(exec.included.isEmpty)
        #expect(exec.dropped.first?.error.matches(StakingError.invalidEvidence("")) == true)
    }

    @Test func aSlashReachesStakeThatIsUnbondingAndStakeRedelegatedAway() throws {
        let f = try StakingFixture()
        let provider = f.accounts[1], holder = f.accounts[0], other = f.accounts[3]
        try f.run(provider, MsgCreateProvider(f.spec(provider, bond: 10_000_000)))
        try f.run(other, MsgCreateProvider(f.spec(other, bond: 10_000_000)))
        try f.run(holder, MsgDelegate(operator: provider.address, amount: 40_000_000))
        try f.run(holder, MsgUndelegate(operator: provider.address, amount: 10_000_000))
        try f.run(holder, MsgRedelegate(source: provider.address, destination: other.address, amount: 10_000_000))
        let otherTokens = try f.operatorView(other.address).tokens
        // A proven fault of the provider, as the market module will report one: 10%.
        let burned = try f.harness.withContext(proposer: f.validator.address) { context in
            try f.staking.slash(provider.address, fractionBps: 1_000, jailFor: 100, reason: "proven fault", context: context)
        }
        // Bonded: (10 + 40 − 10 − 10) × 10% = 3; unbonding: 10 × 10% = 1; redelegated: 10 × 10% = 1.
        #expect(burned == 5_000_000)
        #expect(try f.operatorView(provider.address).tokens == 27_000_000)
        #expect(try f.staking.unbondingViews(of: holder.address, state: f.harness.state).map(\.balance) == [9_000_000])
        #expect(try f.operatorView(other.address).tokens == Amount(otherTokens.value - 1_000_000))
        #expect(try f.delegation(holder, other.address)?.tokens == 9_000_000)
        #expect(try f.operatorView(provider.address).jailed)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
        try f.blocks(Int(StakingFixture.params.unbondingBlocks))
        #expect(try f.staking.unbondingViews(of: holder.address, state: f.harness.state).isEmpty)
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    @Test(arguments: [("unbondingBlocks", JSONValue.number(0)), ("communityTaxBps", .number(10_001)), ("nope", .number(1)),
                      ("minSelfBond", .string("0")), ("blocksPerYear", .string("many"))])
    func invalidParameterChangesAreRefused(key: String, value: JSONValue) throws {
        let f = try StakingFixture()
        let before = try f.staking.params(state: f.harness.state)
        #expect(throws: LedgerError.self) {
            try f.harness.withContext(proposer: f.validator.address) { context in
                try f.staking.setParameter(key, to: value, context: context)
            }
        }
        #expect(try f.staking.params(state: f.harness.state) == before)
    }

    @Test func aValidParameterChangeIsStored() throws {
        let f = try StakingFixture()
        try f.harness.withContext(proposer: f.validator.address) { context in
            try f.staking.setParameter("unbondingBlocks", to: .number(42), context: context)
        }
        #expect(try f.staking.params(state: f.harness.state).unbondingBlocks == 42)
    }
}

@Suite struct EmissionTests {
    @Test func inflationDecaysEachYearToTheFloor() {
        let p = StakingParams.default
        #expect(p.inflation(year: 0) == 8_000_000)
        #expect(p.inflation(year: 1) == 6_800_000)
        #expect(p.inflation(year: 2) == 5_780_000)
        #expect(p.inflation(year: 8) == 2_179_922)
        #expect(p.inflation(year: 9) == 2_000_000)
        #expect(p.inflation(year: 50) == 2_000_000)
        #expect((0..<60).allSatisfy { p.inflation(year: UInt64($0 + 1)) <= p.inflation(year: UInt64($0)) })
    }

    @Test func blockEmissionIsTheYearlyRateOverBlocksPerYearRoundedDown() {
        var p = StakingParams.default
        p.blocksPerYear = 1_000
        // 10^12 × 8% / 1000 = 80,000,000 per block in year 0; year 1 at 6.8%.
        #expect(p.emission(height: 5, circulating: 1_000_000_000_000) == 80_000_000)
        #expect(p.emission(height: 1_500, circulating: 1_000_000_000_000) == 68_000_000)
        #expect(p.emission(height: 5, circulating: 12_345) == 0)
        // The largest supply does not overflow.
        #expect(p.emission(height: 0, circulating: Amount(UInt128.max)) == Amount(UInt128("27222589353675077077069968594541456")!))
    }
}
