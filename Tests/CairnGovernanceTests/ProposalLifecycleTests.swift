import CairnBank
import CairnGovernance
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct ProposalLifecycleTests {
    static let gasLimitChange = ProposalContent.parameterChange([
        ParameterChange(module: "ledger", key: "blockGasLimit", value: .number(50_000_000)),
    ])

    @Test func aPassedParameterChangeIsInForceAfterTheVotingPeriod() throws {
        let f = try GovFixture()
        f.bond(f[1], 1_000)
        let id = try f.submit(Self.gasLimitChange, by: f[0])
        #expect(id == 1)
        #expect(try f.proposal(id).status == .votingPeriod)
        try f.vote(id, [(f[1], .yes)])
        let end = try #require(try f.proposal(id).votingEndHeight)
        try f.advance(to: end - 1)
        #expect(try f.ledger.params(state: f.state).blockGasLimit == ChainParams.default.blockGasLimit)
        let last = try f.produce()
        #expect(try f.ledger.params(state: f.state).blockGasLimit == 50_000_000)
        let p = try f.proposal(id)
        #expect(p.status == .passed)
        #expect(p.finalTally?.yes == 1_000 && p.finalTally?.votedPower == 1_000)
        #expect(last.blockEvents.contains { $0.type == "gov.executed" && $0["proposal_id"] == "1" })
        #expect(try f.balance(f.escrow) == .zero)
    }

    @Test(arguments: [
        ("ledger", "noSuchKey", JSONValue.number(1), "has no parameter 'noSuchKey'"),
        ("ledger", "blockGasLimit", JSONValue.string("lots"), "must be a whole number, got \"lots\""),
        ("ledger", "blockGasLimit", JSONValue.string("18446744073709551616"), "must be a whole number from 0 to 18446744073709551615"),
        ("ledger", "blockGasLimit", JSONValue.number(0.5), "must be a whole number, got 0.5"),
        ("ledger", "initialBaseFee", JSONValue.bool(true), "must be an amount in ucairn"),
        ("ledger", "blockGasLimit", JSONValue.number(5), "must be at least 10000"),
        ("nosuch", "anything", JSONValue.number(1), "module 'nosuch' has no parameter"),
        ("gov", "quorumBps", JSONValue.number(20_000), "must be between 1 and 10000"),
    ])
    func anInvalidParameterChangeIsRefusedAtSubmission(module: String, key: String, value: JSONValue, why: String) throws {
        let f = try GovFixture()
        let before = try f.balance(f[0].address)
        let content = ProposalContent.parameterChange([
            ParameterChange(module: "gov", key: "votingPeriodBlocks", value: .number(7)),
            ParameterChange(module: module, key: key, value: value),
        ])
        let r = try f.send(f[0], MsgSubmitProposal(title: "Bad", description: "", content: content, initialDeposit: 1_000))
        #expect(!r.success)
        #expect(isGov(r.error, 3))
        let message = r.error?.message ?? ""
        #expect(message.contains("change 2 (\(module).\(key))") && message.contains(why), "\(message)")
        #expect(try f.gov.proposals(state: f.state).isEmpty)
        #expect(try f.balance(f.escrow) == .zero)
        #expect(try f.balance(f[0].address) == before.subtracting(r.fee)!)
        #expect(try f.ledger.params(state: f.state) == .default)
        // The first, valid change of the refused proposal was tried and undone.
        #expect(try f.gov.params(state: f.state) == GovFixture.shortParams)
    }

    @Test func aTreasurySpendPaysTheRecipient() throws {
        let f = try GovFixture(treasury: 5_000_000)
        f.bond(f[1], 1_000)
        let recipient = f[5].address
        let id = try f.submit(.treasurySpend(recipient: recipient, amount: 2_000_000), by: f[0])
        try f.vote(id, [(f[1], .yes)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        #expect(try f.proposal(id).status == .passed)
        #expect(try f.balance(recipient) == GovFixture.startingBalance.adding(2_000_000)!)
        #expect(try f.gov.treasuryBalance(state: f.state) == 3_000_000)
    }

    @Test func aTreasurySpendBeyondTheBalancePassesButFailsAndMovesNothing() throws {
        let f = try GovFixture(treasury: 5_000_000)
        f.bond(f[1], 1_000)
        let recipient = f[5].address
        let id = try f.submit(.treasurySpend(recipient: recipient, amount: 9_000_000), by: f[0])
        let proposerAfterSubmit = try f.balance(f[0].address)
        try f.vote(id, [(f[1], .yes)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight) - 1)
        let last = try f.produce()
        let p = try f.proposal(id)
        #expect(p.status == .failed)
        #expect(p.finalTally?.yes == 1_000)
        let error = try #require(p.executionError)
        #expect(error.hasPrefix("bank/1") && error.contains("insufficient"), "\(error)")
        #expect(try f.gov.treasuryBalance(state: f.state) == 5_000_000)
        #expect(try f.balance(recipient) == GovFixture.startingBalance)
        #expect(last.blockEvents.contains { $0.type == "gov.execution_failed" && $0["error"] == error })
        #expect(!last.blockEvents.contains { $0.type == "bank.transfer" && $0["recipient"] == recipient.bech32 })
        // A failed proposal's deposit is refunded.
        #expect(try f.balance(f[0].address) == proposerAfterSubmit.adding(1_000)!)
    }

    @Test func aProposalUnderQuorumEndsWithoutQuorumAndBurnsItsDeposit() throws {
        let f = try GovFixture()
        f.bond(f[1], 1_000)
        f.bond(f[2], 9_000)
        let id = try f.submit(.text, by: f[0], deposit: 1_500)
        try f.vote(id, [(f[1], .yes)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight) - 1)
        let burnedBefore = try f.burned()
        let proposerBefore = try f.balance(f[0].address)
        try f.produce()
        let p = try f.proposal(id)
        #expect(p.status == .noQuorum)
        #expect(p.finalTally?.votedPower == 1_000 && p.finalTally?.totalBonded == 10_000)
        #expect(try f.burned() == burnedBefore.adding(1_500)!)
        #expect(try f.balance(f[0].address) == proposerBefore)
        #expect(try f.balance(f.escrow) == .zero)
    }

    @Test func aVetoedProposalBurnsItsDeposit() throws {
        let f = try GovFixture()
        f.bond(f[1], 4_000)
        f.bond(f[2], 6_000)
        let id = try f.submit(.text, by: f[0])
        try f.vote(id, [(f[1], .noWithVeto), (f[2], .yes)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight) - 1)
        let burnedBefore = try f.burned()
        try f.produce()
        #expect(try f.proposal(id).status == .vetoed)
        #expect(try f.burned() == burnedBefore.adding(1_000)!)
    }

    @Test func aRejectedProposalRefundsEveryDepositor() throws {
        let f = try GovFixture()
        f.bond(f[1], 4_000)
        f.bond(f[2], 6_000)
        let id = try f.submit(.text, by: f[0], deposit: 600)
        #expect(try f.proposal(id).status == .depositPeriod)
        let r = try f.send(f[3], MsgDeposit(proposalID: id, amount: 400))
        #expect(r.success)
        #expect(try f.proposal(id).status == .votingPeriod && f.proposal(id).totalDeposit == 1_000)
        #expect(try f.gov.deposits(of: id, state: f.state).map(\.amount).reduce(0) { $0 + $1.value } == 1_000)
        let proposerBefore = try f.balance(f[0].address)
        let depositorBefore = try f.balance(f[3].address)
        try f.vote(id, [(f[1], .yes), (f[2], .no)])
        try f.advance(to: try #require(try f.proposal(id).votingEndHeight))
        #expect(try f.proposal(id).status == .rejected)
        #expect(try f.balance(f[0].address) == proposerBefore.adding(600)!)
        #expect(try f.balance(f[3].address) == depositorBefore.adding(400)!)
        #expect(try f.balance(f.escrow) == .zero)
    }

    @Test func anUnfundedProposalExpiresAndTakesNoLaterDeposit() throws {
        let f = try GovFixture()
        let id = try f.submit(.text, by: f[0], deposit: 400)
        let p = try f.proposal(id)
        #expect(p.status == .depositPeriod && p.depositEndHeight == p.submitHeight + 3)
        let proposerBefore = try f.balance(f[0].address)
        try f.advance(to: p.depositEndHeight - 1)
        #expect(try f.proposal(id).status == .depositPeriod)
        try f.produce()
        #expect(try f.proposal(id).status == .expired)
        #expect(try f.balance(f[0].address) == proposerBefore.adding(400)!)
        let late = try f.send(f[3], MsgDeposit(proposalID: id, amount: 1_000))
        #expect(isGov(late.error, 5))
        #expect(late.error?.message.contains("expired") == true)
    }

    @Test func anExpiredProposalsDepositIsBurnedWhenTheParametersSaySo() throws {
        var params = GovFixture.shortParams
        params.burnDepositOnExpiry = true
        let f = try GovFixture(params: params)
        let id = try f.submit(.text, by: f[0], deposit: 400)
        try f.advance(to: try f.proposal(id).depositEndHeight - 1)
        let burnedBefore = try f.burned()
        let proposerBefore = try f.balance(f[0].address)
        let last = try f.produce()
        #expect(try f.proposal(id).status == .expired)
        #expect(try f.burned() == burnedBefore.adding(400)!)
        #expect(try f.balance(f[0].address) == proposerBefore)
        #expect(last.blockEvents.contains { $0.type == "gov.end" && $0["status"] == "expired" })
    }
}
