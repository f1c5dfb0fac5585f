import Testing
import CairnPrimitives
import CairnLedger
import CairnNode
import CairnP2P

/// Which blocks a node behind asks of whom, and in what order it commits them.
@Suite struct BlockSyncSchedulerTests {
    let a = NodeKey().id
    let b = NodeKey().id
    let c = NodeKey().id

    func certificate(_ height: UInt64) -> CommitCertificate {
        CommitCertificate(height: height, round: 0, blockHash: Hash.sha256(Array("block \(height)".utf8)), signatures: [])
    }

    func settings(window: UInt64 = 8, perPeer: Int = 16, gap: UInt64 = 50) -> BlockSyncScheduler.Settings {
        var s = BlockSyncScheduler.Settings()
        s.window = window
        s.perPeer = perPeer
        s.catchUpGap = gap
        return s
    }

    @Test func theWindowAboveTheHeadIsSpreadOverThePeersThatHaveIt() {
        var s = BlockSyncScheduler(settings: settings(window: 8))
        s.peer(a, reports: 100)
        s.peer(b, reports: 100)
        s.peer(c, reports: 3)
        let asked = s.requests(head: 0, connected: [a, b, c], stalled: false)
        #expect(asked.map(\.height) == Array(1...8))
        let byPeer = Dictionary(grouping: asked, by: \.peer).mapValues(\.count)
        #expect(asked.filter { $0.peer == c }.allSatisfy { $0.height <= 3 }, "a peer is asked only for heights it has")
        #expect(byPeer[c] == 1, "the short peer gets one of the three heights it has, the least loaded first")
        #expect(byPeer[a, default: 0] + byPeer[b, default: 0] == 7 && abs(byPeer[a, default: 0] - byPeer[b, default: 0]) <= 1, "the load is spread: \(byPeer)")
        let r1 = s.requests(head: 0, connected: [a, b, c], stalled: false)
        #expect(r1.isEmpty, "nothing is asked twice while the requests are fresh")
    }

    @Test func perPeerLimitsAndDisconnectedPeersBoundTheRequests() {
        var s = BlockSyncScheduler(settings: settings(window: 64, perPeer: 4))
        s.peer(a, reports: 100)
        s.peer(b, reports: 100)
        let r2 = s.requests(head: 0, connected: [a], stalled: false)
        #expect(r2.count == 4, "only the connected peer, at most 4 open")
        s.remove(a)
        let r3 = s.requests(head: 0, connected: [b], stalled: false)
        #expect(r3.count == 4, "a peer gone: its heights go to another")
    }

    @Test func anUnansweredRequestGoesToAnotherPeerAfterTheTimeout() {
        var s = BlockSyncScheduler(settings: settings(window: 1))
        s.peer(a, reports: 10)
        s.peer(b, reports: 10)
        let t0 = ContinuousClock.now
        let first = s.requests(head: 0, connected: [a, b], stalled: false, now: t0)
        #expect(first.count == 1)
        let r4 = s.requests(head: 0, connected: [a, b], stalled: false, now: t0 + .seconds(1))
        #expect(r4.isEmpty)
        let again = s.requests(head: 0, connected: [a, b], stalled: false, now: t0 + .seconds(4))
        #expect(again.count == 1 && again[0].peer != first[0].peer && again[0].height == 1)
    }

    @Test func blocksAreHandedOverInOrderOneAtATimeAndOnlyFromThePeerAsked() {
        var s = BlockSyncScheduler(settings: settings(window: 3))
        s.peer(a, reports: 10)
        let asked = s.requests(head: 0, connected: [a], stalled: false)
        #expect(asked.count == 3)
        let fromB = s.receive([2], certificate: certificate(2), from: b)
        #expect(!fromB, "a block from a peer not asked is ignored")
        let fromA = s.receive([2], certificate: certificate(2), from: a)
        #expect(fromA)
        let early = s.nextToCommit(head: 0)
        #expect(early == nil, "block 1 has not arrived")
        let one = s.receive([1], certificate: certificate(1), from: a)
        #expect(one)
        let first = s.nextToCommit(head: 0)
        #expect(first?.certificate.height == 1)
        let meanwhile = s.nextToCommit(head: 0)
        #expect(meanwhile == nil, "one block at a time")
        s.settled(height: 1)
        let second = s.nextToCommit(head: 1)
        #expect(second?.certificate.height == 2)
    }

    @Test func aBlockThatDoesNotCommitIsAskedOfAnotherPeer() {
        var s = BlockSyncScheduler(settings: settings(window: 1))
        s.peer(a, reports: 10)
        s.peer(b, reports: 10)
        let first = s.requests(head: 0, connected: [a, b], stalled: false)[0]
        let received = s.receive([1], certificate: certificate(1), from: first.peer)
        let handed = s.nextToCommit(head: 0)
        #expect(received && handed != nil)
        s.failed(height: 1)
        let again = s.requests(head: 0, connected: [a, b], stalled: false)
        #expect(again.count == 1 && again[0].peer != first.peer)
        // With only the peer that failed left, the height is not asked of it again.
        s.remove(again[0].peer)
        let r5 = s.requests(head: 0, connected: [first.peer], stalled: false)
        #expect(r5.isEmpty)
    }

    @Test func oneBlockBehindTheNodeAsksOnlyWhenItsHeightStalls() {
        var s = BlockSyncScheduler(settings: settings())
        s.peer(a, reports: 5)
        let r6 = s.requests(head: 4, connected: [a], stalled: false)
        #expect(r6.isEmpty, "one behind is the normal race of deciding")
        let r7 = s.requests(head: 4, connected: [a], stalled: true)
        #expect(r7.map(\.height) == [5])
        var t = BlockSyncScheduler(settings: settings())
        t.peer(a, reports: 6)
        let r8 = t.requests(head: 4, connected: [a], stalled: false)
        #expect(r8.map(\.height) == [5, 6])
    }

    @Test func catchingUpStartsBeyondTheGapAndEndsWithinOneBlock() {
        var s = BlockSyncScheduler(settings: settings(gap: 50))
        s.peer(a, reports: 40)
        s.update(head: 0)
        #expect(!s.catchingUp, "40 behind is within the gap")
        s.peer(a, reports: 51)
        s.update(head: 0)
        #expect(s.catchingUp)
        s.update(head: 30)
        #expect(s.catchingUp, "still behind")
        s.update(head: 50)
        #expect(!s.catchingUp, "within one block of the best peer")
    }
}
