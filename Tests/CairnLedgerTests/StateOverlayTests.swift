import CairnLedger
import CairnBank
import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct StateOverlayTests {
    func base() -> InMemoryState {
        let state = InMemoryState()
        state.apply([(key: [1], value: [10]), (key: [1, 1], value: [11]), (key: [2], value: [20])])
        return state
    }

    @Test func writesShadowTheBaseUntilCommittedAndChangesAreSorted() throws {
        let base = base()
        let overlay = StateOverlay(base: base)
        overlay.set([3], [30])
        overlay.delete([1])
        overlay.set([0], [0])
        #expect(try overlay.get([1]) == nil)
        #expect(try overlay.get([3]) == [30])
        #expect(try base.get([1]) == [10])
        #expect(try base.get([3]) == nil)
        #expect(overlay.changes.map(\.key) == [[0], [1], [3]])
        #expect(overlay.changes.map(\.value) == [[0], nil, [30]])
    }

    @Test func scanMergesTheBaseWithWritesAndDeletes() throws {
        let overlay = StateOverlay(base: base())
        overlay.set([1, 2], [12])
        overlay.delete([1, 1])
        overlay.set([2, 0], [1])
        #expect(try overlay.scan(prefix: [1]).map(\.key) == [[1], [1, 2]])
        #expect(try overlay.scan(prefix: []).map(\.key) == [[1], [1, 2], [2], [2, 0]])
        #expect(try overlay.scan(prefix: [9]).isEmpty)
    }

    @Test func revertingACheckpointRestoresEveryKeyItTouched() throws {
        let overlay = StateOverlay(base: base())
        overlay.set([1], [100])
        overlay.checkpoint()
        overlay.set([1], [101])
        overlay.set([1], [102])
        overlay.delete([2])
        overlay.set([5], [5])
        overlay.revertCheckpoint()
        #expect(try overlay.get([1]) == [100])
        #expect(try overlay.get([2]) == [20])
        #expect(try overlay.get([5]) == nil)
        #expect(overlay.changes.map(\.key) == [[1]])
    }

    @Test func nestedCheckpointsCommitIntoTheirParentAndRevertWithIt() throws {
        let overlay = StateOverlay(base: base())
        overlay.checkpoint()
        overlay.set([7], [1])
        overlay.checkpoint()
        overlay.set([7], [2])
        overlay.set([8], [2])
        overlay.commitCheckpoint()
        #expect(try overlay.get([7]) == [2])
        overlay.checkpoint()
        overlay.set([8], [3])
        overlay.revertCheckpoint()
        #expect(try overlay.get([8]) == [2])
        overlay.revertCheckpoint()
        #expect(try overlay.get([7]) == nil)
        #expect(try overlay.get([8]) == nil)
        #expect(overlay.changes.isEmpty)
    }

    @Test func stateKeysJoinTheModuleAndPartsWithSlashes() {
        #expect(StateKey.make("bank", [1, 2], [3]) == Array("bank/".utf8) + [1, 2] + Array("/".utf8) + [3])
        #expect(StateKey.make("ledger", "basefee") == Array("ledger/basefee".utf8))
    }

    /// The keys built in one allocation are the documented `module/part/part` keys.
    @Test func balanceAndNonceKeysKeepTheirLayout() throws {
        let address = try #require(Address(bytes: Array(0..<20)))
        #expect(BankKeys.balance(address, "ucairn") == StateKey.make("bank", Array("bal".utf8), address.bytes, Array("ucairn".utf8)))
        #expect(BankKeys.balance(address, "ucairn").starts(with: BankKeys.balancePrefix(address)))
        #expect(Ledger.nonceKey(address) == StateKey.make("ledger", Array("nonce".utf8), address.bytes))
    }

    @Test func changesAreInByteOrderWithPrefixesFirst() {
        let overlay = StateOverlay(base: InMemoryState())
        let keys: [[UInt8]] = [[2], [1, 0xff], [1], [0xff], [1, 0], [], [0, 5, 5]]
        for k in keys { overlay.set(k, [1]) }
        #expect(overlay.changes.map(\.key) == [[], [0, 5, 5], [1], [1, 0], [1, 0xff], [2], [0xff]])
    }
}
