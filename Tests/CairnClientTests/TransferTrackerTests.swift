import CairnClient
import CairnPrimitives
import Foundation
import Testing

/// One transfer's path through a set of nodes: the same bytes go on to the next node on a connection error, a
/// timeout or a node that cannot take them yet, and every path ends.
@Suite struct TransferTrackerTests {
    let poll = Duration.milliseconds(50)

    func tracker(nodes: Int, first: Int = 0) -> TransferTracker {
        TransferTracker(firstNode: first, nodes: nodes, timeout: .seconds(10), pollInterval: poll, now: .zero)
    }

    @Test func acceptedThenReceiptIsCommitted() {
        var t = tracker(nodes: 1)
        #expect(t.start() == .submit(node: 0, after: .zero))
        #expect(t.handle(.answered(.accepted), now: .milliseconds(5)) == .checkReceipt(node: 0, after: poll))
        #expect(t.handle(.noReceipt, now: .milliseconds(60)) == .checkReceipt(node: 0, after: poll))
        #expect(t.handle(.receipt(height: 7, error: nil), now: .milliseconds(210)) == .finish(.committed(height: 7, error: nil)))
        #expect(t.attempts == 1)
    }

    @Test func aConnectionErrorSendsTheSameBytesToTheNextNodeAndAllDownEndsIt() {
        var t = tracker(nodes: 3, first: 2)
        _ = t.start()
        #expect(t.handle(.answered(.unreachable("refused")), now: .zero) == .submit(node: 0, after: .zero))
        #expect(t.handle(.answered(.unreachable("HTTP 503")), now: .zero) == .submit(node: 1, after: .zero))
        #expect(t.handle(.answered(.unreachable("refused")), now: .zero) == .finish(.notCommitted("no node reachable: refused")))
        #expect(t.attempts == 3)
    }

    @Test func aTimeoutResubmitsToTheNextNodeOnceEachThenGivesUp() {
        var t = tracker(nodes: 2)
        _ = t.start()
        _ = t.handle(.answered(.accepted), now: .zero)
        #expect(t.handle(.noReceipt, now: .seconds(10)) == .submit(node: 1, after: .zero))
        #expect(t.handle(.answered(.duplicate), now: .seconds(10)) == .checkReceipt(node: 1, after: poll))
        #expect(t.handle(.noReceipt, now: .seconds(19)) == .checkReceipt(node: 1, after: poll))
        guard case .finish(.notCommitted) = t.handle(.noReceipt, now: .seconds(20)) else {
            Issue.record("the last window's end gives the transfer up")
            return
        }
        #expect(t.attempts == 2)
    }

    @Test func aNonceGapMovesOnAndWaitsAfterAFullRound() {
        var t = tracker(nodes: 2)
        _ = t.start()
        #expect(t.handle(.answered(.notYet("nonce_gap")), now: .zero) == .submit(node: 1, after: .zero))
        #expect(t.handle(.answered(.notYet("nonce_gap")), now: .zero) == .submit(node: 0, after: poll))
        #expect(t.handle(.answered(.accepted), now: .milliseconds(60)) == .checkReceipt(node: 0, after: poll))
        // Held by node 0 now: another node's gap is no reason to stop polling.
        #expect(t.handle(.noReceipt, now: .seconds(10)) == .submit(node: 1, after: .zero))
        #expect(t.handle(.answered(.notYet("nonce_gap")), now: .seconds(10)) == .checkReceipt(node: 1, after: poll))
    }

    @Test func aUsedNonceIsCommittedWhenItsReceiptAppearsAndOtherwiseNot() {
        var t = tracker(nodes: 2)
        _ = t.start()
        #expect(t.handle(.answered(.nonceUsed), now: .zero) == .checkReceipt(node: 0, after: .zero))
        #expect(t.handle(.receipt(height: 3, error: nil), now: .zero) == .finish(.committed(height: 3, error: nil)))

        var other = tracker(nodes: 2)
        _ = other.start()
        _ = other.handle(.answered(.nonceUsed), now: .zero)
        #expect(other.handle(.noReceipt, now: .seconds(1)) == .checkReceipt(node: 0, after: poll))
        guard case .finish(.notCommitted) = other.handle(.noReceipt, now: .seconds(10)) else {
            Issue.record("a used nonce without a receipt is not committed, without a resubmission")
            return
        }
        #expect(other.attempts == 1)
    }

    @Test func aRefusalEndsATransferNoNodeHeld() {
        var t = tracker(nodes: 2)
        _ = t.start()
        #expect(t.handle(.answered(.refused("insufficient_balance")), now: .zero) == .finish(.notCommitted("insufficient_balance")))
    }

    @Test(arguments: [
        (ClientError("down"), SubmitAnswer.unreachable("down")),
        (ClientError("boom", code: "internal", status: 500), .unreachable("boom [internal]")),
        (ClientError("dup", code: "mempool_duplicate", status: 400), .duplicate),
        (ClientError("low", code: "nonce_too_low", status: 400), .nonceUsed),
        (ClientError("gap", code: "nonce_gap", status: 400), .notYet("gap [nonce_gap]")),
        (ClientError("sig", code: "ledger/2", status: 400), .refused("sig [ledger/2]")),
    ])
    func nodeErrorsAreSortedByCodeAndStatus(error: ClientError, answer: SubmitAnswer) {
        #expect(SubmitAnswer(error) == answer)
    }

    @Test func summaryPercentilesAndRate() {
        let key = PrivateKey.deterministic("summary")
        func record(_ nonce: UInt64, committed: Bool, latency: Double?, height: UInt64?) -> TransferRecord {
            TransferRecord(hash: Hash.sha256([UInt8(nonce)]), nonce: nonce, from: key.publicKey.address, to: key.publicKey.address, amount: 1,
                           firstNode: "http://n", submittedMs: 1_000 + Int64(nonce) * 10, committed: committed, height: height,
                           latencyMs: latency, attempts: 1, error: committed ? nil : "lost")
        }
        let records = (0..<10).map { record($0, committed: true, latency: Double($0 + 1) * 100, height: 5 + $0 / 4) }
            + [record(10, committed: false, latency: nil, height: nil)]
        let s = TransferLoadSummary(records)
        #expect(s.submitted == 11 && s.committed == 10 && s.notCommitted == 1)
        #expect(s.latency?.p50 == 500 && s.latency?.p90 == 900 && s.latency?.p99 == 1000 && s.latency?.max == 1000)
        #expect(s.firstHeight == 5 && s.lastHeight == 7)
        // From 1,000 ms (first submission) to 1,090 + 1,000 ms (the last sighting).
        #expect(abs(s.wallSeconds - 1.09) < 1e-9)
        #expect(abs(s.tps - 10 / 1.09) < 1e-9)
    }
}
