public import CairnPrimitives
import CairnBank
import CairnLedger
import Foundation

/// A load generator: signed native transfers from one key with consecutive nonces, sent round-robin to a set of
/// nodes with a bound on how many are in flight, each followed until a node returns its receipt or it is given up.
///
/// Every loop ends by itself: the run stops signing after `count` transfers or `duration`, and each transfer is given
/// up after one `timeout` window per node (`TransferTracker`).
public struct TransferLoad: Sendable {
    /// What to send and how hard.
    public struct Config: Sendable {
        public var key: PrivateKey
        public var to: Address
        public var amount: Amount
        public var count: Int
        public var duration: Duration?
        public var concurrency: Int
        public var timeout: Duration
        public var pollInterval: Duration
        public var tip: Amount

        public init(key: PrivateKey, to: Address, amount: Amount, count: Int, duration: Duration?, concurrency: Int,
                    timeout: Duration, pollInterval: Duration = .milliseconds(50), tip: Amount = 1) {
            self.key = key
            self.to = to
            self.amount = amount
            self.count = count
            self.duration = duration
            self.concurrency = concurrency
            self.timeout = timeout
            self.pollInterval = pollInterval
            self.tip = tip
        }
    }

    /// Where the run starts: the chain, the sender's next nonce and the base fee, from the first node that answered.
    public struct Start: Sendable {
        public var node: Int
        public var chainID: String
        public var nonce: UInt64
        public var baseFee: Amount
        public var height: UInt64
    }

    public let nodes: [NodeClient]
    public let config: Config

    public init(nodes: [NodeClient], config: Config) {
        precondition(!nodes.isEmpty, "a load run needs a node")
        self.nodes = nodes
        self.config = config
    }

    /// The chain id, base fee and the sender's nonce from the first node that answers; an error naming the last
    /// failure when none does.
    public func start() async throws(ClientError) -> Start {
        var problems: [String] = []
        for (i, client) in nodes.enumerated() {
            do {
                let status = try await client.status()
                let account = try await client.account(config.key.publicKey.address)
                return Start(node: i, chainID: status.chainID, nonce: account.nonce, baseFee: status.baseFee, height: status.height)
            } catch {
                problems.append(error.description)
            }
        }
        throw ClientError("no node answered (\(nodes.count) tried): \(problems.last ?? "-")")
    }

    /// Sends the transfers from `start`; `onFinal` is called once per transfer, as soon as it is final (from
    /// concurrent tasks). Returns every record, in nonce order.
    public func run(from start: Start, onFinal: @escaping @Sendable (TransferRecord) -> Void) async -> [TransferRecord] {
        let clock = ContinuousClock()
        let origin = clock.now
        let builder = TxBuilder(chainID: start.chainID, tip: config.tip)
        // Headroom over the base fee of the start: a busy chain raises it by at most an eighth per block.
        let feeBasis = start.baseFee.multiplied(by: 2) ?? start.baseFee
        let message = MsgSend(to: config.to, coins: [Coin(denom: Denom.native, amount: config.amount)])
        var records: [TransferRecord] = []
        await withTaskGroup(of: TransferRecord.self) { group in
            var inFlight = 0
            for i in 0..<config.count {
                if inFlight >= config.concurrency, let done = await group.next() {
                    records.append(done)
                    inFlight -= 1
                }
                if let duration = config.duration, clock.now - origin >= duration { break }
                let tx = builder.build(messages: [message], key: config.key, nonce: start.nonce + UInt64(i), baseFee: feeBasis)
                let firstNode = i % nodes.count
                var transfer = InFlight(tx: tx, hash: tx.hash, firstNode: firstNode, submittedMs: Int64(Date().timeIntervalSince1970 * 1000),
                                        began: clock.now - origin,
                                        tracker: TransferTracker(firstNode: firstNode, nodes: nodes.count, timeout: config.timeout,
                                                                 pollInterval: config.pollInterval, now: clock.now - origin))
                // The first submission is made here, in nonce order, so one node sees the nonces in sequence.
                var action = transfer.tracker.start()
                if case let .submit(node, _) = action {
                    action = transfer.tracker.handle(.answered(await submit(tx, to: node)), now: clock.now - origin)
                }
                let (started, next) = (transfer, action)
                inFlight += 1
                group.addTask {
                    let done = await follow(started, from: next, origin: origin)
                    onFinal(done)
                    return done
                }
            }
            for await done in group { records.append(done) }
        }
        return records.sorted { $0.nonce < $1.nonce }
    }

    /// A transfer on its way: its signed bytes and its tracker.
    struct InFlight: Sendable {
        let tx: Transaction
        let hash: Hash
        let firstNode: Int
        let submittedMs: Int64
        let began: Duration
        var tracker: TransferTracker
    }

    /// Performs the tracker's actions until the transfer is final.
    func follow(_ transfer: InFlight, from first: TransferTracker.Action, origin: ContinuousClock.Instant) async -> TransferRecord {
        var transfer = transfer
        var action = first
        let hash = transfer.hash
        while true {
            switch action {
            case let .submit(node, wait):
                if wait > .zero { try? await Task.sleep(for: wait) }
                let answer = await submit(transfer.tx, to: node)
                action = transfer.tracker.handle(.answered(answer), now: ContinuousClock.now - origin)
            case let .checkReceipt(node, wait):
                if wait > .zero { try? await Task.sleep(for: wait) }
                let event: TransferTracker.Event
                if let receipt = try? await nodes[node].receipt(hash) {
                    event = .receipt(height: receipt.height, error: receipt.error.map { "\($0.module)/\($0.code): \($0.message)" })
                } else {
                    event = .noReceipt
                }
                action = transfer.tracker.handle(event, now: ContinuousClock.now - origin)
            case let .finish(outcome):
                return record(of: transfer, outcome, seenAt: ContinuousClock.now - origin)
            }
        }
    }

    /// Submits `tx`, sorting a refusal by what it means.
    func submit(_ tx: Transaction, to node: Int) async -> SubmitAnswer {
        do {
            _ = try await nodes[node].submit(tx)
            return .accepted
        } catch {
            return SubmitAnswer(error)
        }
    }

    func record(of transfer: InFlight, _ outcome: TransferTracker.Outcome, seenAt: Duration) -> TransferRecord {
        let body = transfer.tx.body
        var r = TransferRecord(hash: transfer.hash, nonce: body.nonce, from: body.sender, to: config.to, amount: config.amount,
                               firstNode: nodes[transfer.firstNode].baseURL.absoluteString, submittedMs: transfer.submittedMs,
                               committed: false, height: nil, latencyMs: nil, attempts: transfer.tracker.attempts, error: nil)
        switch outcome {
        case let .committed(height, error):
            r.committed = true
            r.height = height
            let elapsed = (seenAt - transfer.began).components
            r.latencyMs = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
            r.error = error
        case let .notCommitted(why):
            r.error = why
        }
        return r
    }
}
