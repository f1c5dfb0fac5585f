import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Foundation
import Testing

@Suite struct GenesisTests {
    @Test func genesisMintsTheBalancesIntoTheSupplyAndStoresTheParameters() throws {
        var params = ChainParams.default
        params.initialBaseFee = 25
        let accounts = DevAccount.make(3)
        let genesis = try TestGenesis.make(params: params, accounts: accounts, balance: 7_000)
        let ledger = TestGenesis.makeLedger()
        let state = InMemoryState()
        let execution = try ledger.initGenesis(genesis)
        state.apply(execution.state.changes)

        #expect(try ledger.params(state: state) == params)
        #expect(try ledger.chainID(state: state) == TestGenesis.chainID)
        #expect(try ledger.baseFee(state: state) == 25)
        #expect(try BankModule().supply(Denom.native, state: state) == 21_000)
        #expect(try BankModule().burned(Denom.native, state: state) == .zero)
        for a in accounts {
            #expect(try BankModule().balances(of: a.address, state: state) == [ucairn(7_000)])
            #expect(try ledger.nonce(of: a.address, state: state) == 0)
        }
        #expect(try LedgerAudit.bankViolations(state: state) == [])
        #expect(execution.blockEvents.filter { $0.type == "bank.mint" }.count == 3)
    }

    @Test func genesisSurvivesAJSONRoundTrip() throws {
        let genesis = try TestGenesis.make(accounts: DevAccount.make(2), balance: 5)
        let decoded = try JSONDecoder().decode(Genesis.self, from: JSONEncoder().encode(genesis))
        #expect(decoded == genesis)
        #expect(decoded.validators.first?.key == DevAccount("validator").publicKey)
    }

    @Test func aBankGenesisWithAnInvalidDenominationIsRefused() throws {
        let genesis = try TestGenesis.make(funded: [(address: DevAccount("a").address, coins: [Coin(denom: "X", amount: 1)])])
        let error = #expect(throws: LedgerError.self) { try TestGenesis.makeLedger().initGenesis(genesis) }
        #expect(error?.matches(BankError.invalidDenom("")) == true)
    }

    @Test func aMalformedBankSectionIsRefused() throws {
        var genesis = try TestGenesis.make(funded: [])
        genesis.modules["bank"] = .object(["balances": .string("lots")])
        let error = #expect(throws: LedgerError.self) { try TestGenesis.makeLedger().initGenesis(genesis) }
        #expect(error?.matches(BankError.badGenesis("")) == true)
    }

    @Test func invariantsCatchABalanceThatWasNotMinted() throws {
        let genesis = try TestGenesis.make(accounts: DevAccount.make(1), balance: 100)
        let state = InMemoryState()
        state.apply(try TestGenesis.makeLedger().initGenesis(genesis).state.changes)
        state.apply([(key: BankKeys.balance(DevAccount("thief").address, Denom.native), value: Amount(5).canonicalAmountBytes)])
        #expect(try LedgerAudit.bankViolations(state: state).count == 1)
        state.apply([(key: BankKeys.balance(DevAccount("thief").address, Denom.native), value: [1, 2, 3])])
        #expect(try LedgerAudit.bankViolations(state: state).count >= 1)
    }
}

extension Amount {
    /// The 16-byte big-endian form the bank stores.
    var canonicalAmountBytes: [UInt8] {
        var w = CanonicalWriter()
        w.write(self)
        return w.bytes
    }
}
