import CairnBank
import CairnLedger
import CairnApp
import CairnPrimitives
import CairnStaking
import CairnTestSupport
import Testing

@Suite struct SlashingTests {
    /// Two prevotes for different blocks at the latest height, both signed with `signer`'s key (the first with `forge`'s
    /// when given).
    func doubleSigned(_ f: StakingFixture, by signer: DevAccount, forge: DevAccount? = nil) -> DuplicateVoteEvidence {
        func vote(_ block: UInt8, _ key: PrivateKey) -> SignedVote {
            Vote(type: .prevote, height: f.harness.height, round: 0, blockHash: Hash.sha256([block]), validator: signer.address)
                .signed(by: key, chainID: TestGenesis.chainID)
        }
        return DuplicateVoteEvidence(vote(1, (forge ?? signer).key), vote(2, signer.key))!
    }

    /// Bonds `rogue` as a validator and runs the two blocks after which it is in the validator set.
    func bondedValidator(_ f: StakingFixture, _ rogue: DevAccount) throws {
        try f.run(rogue, MsgCreateValidator(f.spec(rogue, bond: 20_000_000)))
        try f.blocks(2)
        #expect(try f.harness.ledger.validatorSets(state: f.harness.state).current.validator(rogue.address) != nil)
    }

    @Test func doubleSigningEvidenceInABlockSlashesAndJailsForGood() throws {
        let f = try StakingFixture()
        let rogue = f.accounts[2]
        try bondedValidator(f, rogue)
        let burnedBefore = try BankModule().burned(Denom.native, state: f.harness.state)
        let evidence = doubleSigned(f, by: rogue)
        let exec = try f.harness.block(proposer: f.validator.address, evidence: [evidence])
        #expect(exec.evidence == [evidence])
        let op = try f.operatorView(rogue.address)
        #expect(op.jailed && op.tombstoned)
        #expect(op.tokens == Amount(20_000_000 - 20_000_000 * 500 / 10_000))
        let burned = try BankModule().burned(Denom.native, state: f.harness.state)
        #expect(burned.value - burnedBefore.value == 1_000_000)
        #expect(try f.harness.ledger.validatorSets(state: f.harness.state).next.validator(rogue.address) == nil, "it leaves the set")
        try f.blocks(Int(StakingFixture.params.downtimeJailBlocks) + 1)
        let unjail = try f.run(rogue, MsgUnjail())
        #expect(!unjail.success && unjail.error?.matches(StakingError.cannotUnjail("")) == true)
        #expect(try f.harness.block(proposer: f.validator.address, evidence: [evidence]).evidence.isEmpty, "the same evidence again")
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations)")
    }

    /// Two pieces of evidence against one validator in one proposal: the second is left out (the validator is already
    /// tombstoned), and nothing of it stays behind, so the block the others replay has the proposer's state.
    @Test func evidenceLeftOutOfAProposalLeavesNoWriteBehind() throws {
        let f = try StakingFixture()
        let rogue = f.accounts[2]
        try bondedValidator(f, rogue)
        let first = doubleSigned(f, by: rogue)
        let votes = [UInt8(3), 4].map {
            Vote(type: .precommit, height: f.harness.height, round: 0, blockHash: Hash.sha256([$0]), validator: rogue.address)
                .signed(by: rogue.key, chainID: TestGenesis.chainID)
        }
        let second = DuplicateVoteEvidence(votes[0], votes[1])!
        let h = f.harness
        let lastCommit = try h.ledger.validatorSets(state: h.state).last.map { LastCommitInfo(validators: $0, signers: [f.validator.address]) }
        let proposed = try h.ledger.executeBlock(base: h.state, height: h.height + 1, time: h.time + 1_000, proposer: f.validator.address,
                                                 transactions: [], mode: .propose, lastCommit: lastCommit, evidence: [first, second])
        #expect(proposed.evidence == [first], "the second piece finds the validator already punished")
        let replayed = try h.ledger.executeBlock(base: h.state, height: h.height + 1, time: h.time + 1_000, proposer: f.validator.address,
                                                 transactions: [], mode: .replay, lastCommit: lastCommit, evidence: proposed.evidence)
        #expect(proposed.state.changes.map(\.key) == replayed.state.changes.map(\.key))
        #expect(proposed.state.changes.map(\.value) == replayed.state.changes.map(\.value))
        #expect(proposed.blockEvents == replayed.blockEvents)
        #expect(throws: InvalidBlock.self) {
            try h.ledger.executeBlock(base: h.state, height: h.height + 1, time: h.time + 1_000, proposer: f.validator.address,
                                      transactions: [], mode: .replay, lastCommit: lastCommit, evidence: [first, second])
        }
    }

    @Test func evidenceWithASignatureFromAnotherKeyIsLeftOut() throws {
        let f = try StakingFixture()
        let rogue = f.accounts[2]
        try bondedValidator(f, rogue)
        let exec = try f.harness.block(proposer: f.validator.address, evidence: [doubleSigned(f, by: rogue, forge: f.accounts[3])])
        #expect(exec.evidence.isEmpty)
        #expect(try !f.operatorView(rogue.address).jailed)
    }

    @Test func evidenceAgainstAnOperatorOutsideTheSetOrTooOldIsLeftOut() throws {
        let f = try StakingFixture()
        let rogue = f.accounts[2]
        try f.run(rogue, MsgCreateValidator(f.spec(rogue, bond: 20_000_000)))
        // Bonded in this block, it is not in the set of this height.
        #expect(try f.harness.block(proposer: f.validator.address, evidence: [doubleSigned(f, by: rogue)]).evidence.isEmpty)
        try f.blocks(2)
        let evidence = doubleSigned(f, by: rogue)
        try f.blocks(Int(StakingFixture.params.maxEvidenceAgeBlocks) + 1)
        #expect(try f.harness.block(proposer: f.validator.address, evidence: [evidence]).evidence.isEmpty)
        #expect(try !f.operatorView(rogue.address).tombstoned)
    }

    @Test func twoVotesForTheSameBlockAreNoEvidence() throws {
        let f = try StakingFixture()
        let vote = Vote(type: .prevote, height: 1, round: 0, blockHash: Hash.sha256([1]), validator: f.validator.address)
            .signed(by: f.validator.key, chainID: TestGenesis.chainID)
        #expect(DuplicateVoteEvidence(vote, vote) == nil)
        var w = CanonicalWriter()
        vote.encode(to: &w)
        vote.encode(to: &w)
        let decoded = try DuplicateVoteEvidence(canonicalBytes: w.bytes)
        #expect(decoded.problem(key: f.validator.publicKey, chainID: TestGenesis.chainID) != nil)
        #expect(try f.harness.block(proposer: f.validator.address, evidence: [decoded]).evidence.isEmpty)
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
