import CairnBank
import CairnGovernance
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Foundation
import Testing

@Suite struct GovQueryTests {
    @Test func decentralizationSeparatesValidatorsFromProvidersAndLeavesOutTheJailed() throws {
        var params = GovFixture.shortParams
        params.voterCapBps = 2_500
        let f = try GovFixture(params: params)
        f.bond(f[1], 500)
        f.bond(f[2], 300)
        f.stake.addOperator(f[3].address, tokens: 200, shares: 200, selfShares: 200, jailed: true)
        f.bond(f[4], 100, isValidator: false)
        f.bond(f[5], 100, isValidator: false)
        let d = try f.gov.decentralization(state: f.state)
        #expect(d.validators.stake.holders == 2 && d.validators.stake.total == 800)
        #expect(d.validators.stake.nakamotoOneThird == 1 && d.validators.stake.nakamotoHalf == 1)
        #expect(d.providers.stake.holders == 2 && d.providers.stake.total == 200)
        #expect(d.providers.stake.nakamotoHalf == 2)
        // All unjailed stake is 1000, so the cap is 250: both validators weigh 250 and are now equal.
        #expect(d.validators.votingPower.total == 500 && d.validators.votingPower.gini == 0)
        #expect(d.validators.votingPower.nakamotoHalf == 2)
        #expect(d.providers.votingPower == d.providers.stake)
        let json = String(decoding: try JSONEncoder().encode(d), as: UTF8.self)
        #expect(json.contains("\"total\":\"800\""))
    }

    @Test func proposalsAreListedNewestFirstAndPageByID() throws {
        let f = try GovFixture()
        for i in 0..<3 { _ = try f.submit(.text, by: f[0], title: "P\(i)") }
        #expect(try f.gov.proposals(state: f.state, limit: 2).map(\.id) == [3, 2])
        #expect(try f.gov.proposals(state: f.state, before: 2).map(\.id) == [1])
        #expect(try f.gov.proposals(state: f.state).map(\.title) == ["P2", "P1", "P0"])
        #expect(try f.gov.tally(of: 9, state: f.state) == nil)
    }

    @Test func genesisWithoutAGovSectionUsesTheDefaults() throws {
        let bank = BankModule()
        let gov = GovModule(bank: bank, stake: FakeStake())
        let ledger = Ledger(modules: [bank, gov], feeBank: bank)
        let exec = try ledger.initGenesis(try TestGenesis.make(funded: []))
        #expect(try gov.params(state: exec.state) == .default)
        var genesis = try TestGenesis.make(funded: [])
        var bad = GovParams.default
        bad.quorumBps = 0
        genesis.modules[GovKeys.module] = try JSONValue(encoding: GovGenesis(params: bad))
        let error = #expect(throws: LedgerError.self) { try ledger.initGenesis(genesis) }
        #expect(error?.module == "gov" && error?.code == 10)
    }

    @Test func messagesRoundTripAndRefuseNonCanonicalValues() throws {
        let change = ParameterChange(module: "gov", key: "quorumBps", value: .number(4_000))
        let m = MsgSubmitProposal(title: "t", description: "d", content: .parameterChange([change]), initialDeposit: 5)
        #expect(try MsgSubmitProposal(canonicalBytes: m.canonicalBytes) == m)
        #expect(change.valueText == "4000")
        var w = CanonicalWriter()
        // The same proposal with the value written as "4000.0 " rather than "4000".
        for text in ["t", "d"] { w.write(text) }
        w.write(UInt8(1))
        w.write(UInt32(1))
        for text in ["gov", "quorumBps", "4000.0 "] { w.write(text) }
        w.write(Amount(5))
        #expect(throws: DecodeError.self) { try MsgSubmitProposal(canonicalBytes: w.bytes) }
        #expect(throws: DecodeError.self) { try MsgVote(canonicalBytes: [0, 0, 0, 0, 0, 0, 0, 1, 9]) }
        #expect(try MsgVote(canonicalBytes: MsgVote(proposalID: 1, option: .noWithVeto).canonicalBytes).option == .noWithVeto)
    }

    @Test(arguments: [
        MsgSubmitProposal(title: "", description: "", content: .text, initialDeposit: 0),
        MsgSubmitProposal(title: String(repeating: "x", count: 141), description: "", content: .text, initialDeposit: 0),
        MsgSubmitProposal(title: "t", description: String(repeating: "x", count: 10_001), content: .text, initialDeposit: 0),
        MsgSubmitProposal(title: "t", description: "", content: .parameterChange([]), initialDeposit: 0),
        MsgSubmitProposal(title: "t", description: "", content: .parameterChange([
            ParameterChange(module: "gov", key: "quorumBps", value: .number(1)),
            ParameterChange(module: "gov", key: "quorumBps", value: .number(2)),
        ]), initialDeposit: 0),
    ])
    func malformedProposalsFailStatelessChecks(_ m: MsgSubmitProposal) {
        let error = #expect(throws: LedgerError.self) { try m.validate() }
        #expect(error?.module == "gov" && error?.code == 2)
    }

    @Test func aTreasurySpendOfNothingFailsStatelessChecks() {
        let m = MsgSubmitProposal(title: "t", description: "", content: .treasurySpend(recipient: ModuleAccount.treasury, amount: 0),
                                  initialDeposit: 0)
        #expect(#expect(throws: LedgerError.self) { try m.validate() }?.code == 4)
        #expect(#expect(throws: LedgerError.self) { try MsgDeposit(proposalID: 1, amount: 0).validate() }?.code == 4)
    }
}
