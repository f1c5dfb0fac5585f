import Testing
@testable import CairnP2P

@Suite struct SendQueueTests {
    /// `queue.enqueue` (a mutating call cannot sit inside `#expect`).
    func push(_ queue: inout SendQueue, _ bytes: [UInt8], on channel: UInt8) -> Bool {
        queue.enqueue(bytes, on: channel)
    }

    /// Drains the queue, returning each frame as (channel, payload size, isLast).
    func drain(_ queue: inout SendQueue, limit: Int = 10_000) -> [(UInt8, Int, Bool)] {
        var out = [(UInt8, Int, Bool)]()
        for _ in 0..<limit {
            guard case let (frame, _)? = queue.nextFrame() else { break }
            guard case .data(let channel, let payload, let isLast) = frame else { Issue.record("not a data frame"); break }
            out.append((channel, payload.count, isLast))
        }
        return out
    }

    @Test func aConsensusMessageQueuedAfterAFullMempoolQueueGoesFirst() {
        var queue = SendQueue(channels: P2PChannel.standard, capacity: 4)
        for i in 0..<4 { #expect(push(&queue, [UInt8(i)], on: P2PChannel.mempool.id)) }
        #expect(!push(&queue, [9], on: P2PChannel.mempool.id), "the mempool queue is full")
        #expect(push(&queue, [0xc0], on: P2PChannel.consensus.id), "another channel still has room")
        let order = drain(&queue).map(\.0)
        #expect(order == [0x20, 0x30, 0x30, 0x30, 0x30])
        #expect(queue.isEmpty)
    }

    @Test func channelsAreServedByPriority() {
        var queue = SendQueue(channels: P2PChannel.standard, capacity: 8)
        for channel in [P2PChannel.mempool, .blocks, .evidence, .consensus, .mempool, .consensus] {
            #expect(push(&queue, [channel.id], on: channel.id))
        }
        #expect(drain(&queue).map(\.0) == [0x20, 0x20, 0x38, 0x40, 0x30, 0x30])
    }

    @Test func aLongMessageIsSplitAndHigherChannelsCutIn() {
        var queue = SendQueue(channels: P2PChannel.standard, capacity: 8)
        let big = [UInt8](repeating: 1, count: 2 * Frame.maxPayload + 5)
        #expect(push(&queue, big, on: P2PChannel.blocks.id))
        guard case let (first, finished)? = queue.nextFrame() else { Issue.record("no frame"); return }
        #expect(finished == nil)
        #expect(first == .data(channel: 0x40, payload: big[0..<Frame.maxPayload], isLast: false))
        #expect(push(&queue, [7], on: P2PChannel.consensus.id))
        let rest = drain(&queue)
        #expect(rest.map(\.0) == [0x20, 0x40, 0x40])
        #expect(rest.map(\.1) == [1, Frame.maxPayload, 5])
        #expect(rest.map(\.2) == [true, false, true])
    }

    @Test func anEmptyMessageIsOneLastFrameAndFreesItsSlot() {
        var queue = SendQueue(channels: [.mempool], capacity: 1)
        #expect(push(&queue, [], on: P2PChannel.mempool.id))
        #expect(!push(&queue, [], on: P2PChannel.mempool.id))
        let next = queue.nextFrame()
        #expect(next?.frame == .data(channel: 0x30, payload: [], isLast: true))
        #expect(next?.finished == 0x30)
        #expect(push(&queue, [], on: P2PChannel.mempool.id))
    }

    @Test func manyMessagesKeepTheirOrderThroughCompaction() {
        var queue = SendQueue(channels: [.mempool], capacity: 1_000)
        var sent = [UInt8]()
        for round in 0..<5 {
            for i in 0..<100 { #expect(push(&queue, [UInt8((round * 100 + i) % 256)], on: 0x30)) }
            for _ in 0..<70 {
                if case .data(_, let payload, _)? = queue.nextFrame()?.frame { sent.append(contentsOf: payload) }
            }
        }
        for _ in 0..<1_000 {
            guard case .data(_, let payload, _)? = queue.nextFrame()?.frame else { break }
            sent.append(contentsOf: payload)
        }
        #expect(sent == (0..<500).map { UInt8($0 % 256) })
    }
}
