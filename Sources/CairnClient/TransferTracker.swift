/// What a node answered to one submission of a transaction's signed bytes, sorted by what it means for the sender.
public enum SubmitAnswer: Sendable, Equatable {
    /// The mempool took it.
    case accepted
    /// The mempool already holds these bytes (`mempool_duplicate`).
    case duplicate
    /// The account's committed nonce is already past this one (`nonce_too_low`): this transaction or another one
    /// with the same nonce was committed.
    case nonceUsed
    /// The node cannot take it yet but may later (`nonce_gap`: it has not seen the earlier nonces; `sender_limit`,
    /// `mempool_full`).
    case notYet(String)
    /// A connection error or an HTTP 5xx: the node did not judge it.
    case unreachable(String)
    /// Any other refusal, final for this node (`CODE: message`).
    case refused(String)

    /// Sorts a failed submission by the node's error code and HTTP status.
    public init(_ error: ClientError) {
        guard let status = error.status, status < 500, status != 429 else {
            self = .unreachable(error.description)
            return
        }
        switch error.code {
        case "mempool_duplicate": self = .duplicate
        case "nonce_too_low": self = .nonceUsed
        case "nonce_gap", "sender_limit", "mempool_full": self = .notYet(error.description)
        default: self = .refused(error.description)
        }
    }
}

/// The life of one signed transfer sent to a set of nodes until it is seen committed or given up.
///
/// A pure state machine: the driver performs each `Action` and feeds back what happened, with the time elapsed on
/// one clock. The same signed bytes are all it ever submits, so one nonce can never commit twice.
///
/// - A connection error or 5xx sends the bytes to the next node at once; every node unreachable in a row ends it.
/// - `notYet` answers move to the next node too; after a full round of them it waits `pollInterval` before the next.
/// - Once a node holds it, its receipt is polled every `pollInterval` until the window ends: each node gets one
///   window of `timeout`, after which the bytes go to the next node; after the last window it is not committed.
/// - `nonceUsed` means its receipt is looked for until the window ends; none means another transaction took the nonce.
public struct TransferTracker: Sendable {
    /// What the driver does next.
    public enum Action: Sendable, Equatable {
        /// Submit the bytes to node `node` after waiting `after`.
        case submit(node: Int, after: Duration)
        /// Ask node `node` for the receipt after waiting `after`.
        case checkReceipt(node: Int, after: Duration)
        /// The transfer is final.
        case finish(Outcome)
    }

    /// How a transfer ended.
    public enum Outcome: Sendable, Equatable {
        /// A node returned its receipt: the block height and the receipt's error (`MODULE/CODE: message`), if it failed.
        case committed(height: UInt64, error: String?)
        /// Not seen committed, and why.
        case notCommitted(String)
    }

    /// What happened since the last action.
    public enum Event: Sendable, Equatable {
        /// The node of the last `submit` answered.
        case answered(SubmitAnswer)
        /// The node of the last `checkReceipt` returned the receipt (height and error, if it failed).
        case receipt(height: UInt64, error: String?)
        /// The node of the last `checkReceipt` has no receipt for it, or did not answer.
        case noReceipt
    }

    public let nodes: Int
    public let timeout: Duration
    public let pollInterval: Duration
    /// The node the bytes went to last.
    public private(set) var node: Int
    /// Submissions asked for so far.
    public private(set) var attempts = 0
    var deadline: Duration
    var windowsLeft: Int
    /// Some node held it at some point: a later refusal elsewhere does not end it.
    var held = false
    var nonceUsed = false
    var unreachableInRow = 0
    var notYetInRow = 0
    var lastProblem: String?

    /// A transfer first sent to `firstNode` of `nodes` at `now` (time elapsed on the driver's clock).
    public init(firstNode: Int, nodes: Int, timeout: Duration, pollInterval: Duration = .milliseconds(50), now: Duration) {
        precondition(nodes > 0 && (0..<nodes).contains(firstNode), "a transfer needs a node to go to")
        self.nodes = nodes
        self.timeout = timeout
        self.pollInterval = pollInterval
        self.node = firstNode
        self.deadline = now + timeout
        self.windowsLeft = nodes - 1
    }

    /// The first action: submit to the first node.
    public mutating func start() -> Action { submit(to: node, after: .zero) }

    /// The next action after `event`, at `now`.
    public mutating func handle(_ event: Event, now: Duration) -> Action {
        switch event {
        case let .receipt(height, error):
            return .finish(.committed(height: height, error: error))
        case .noReceipt:
            return now >= deadline ? windowEnded(now: now) : .checkReceipt(node: node, after: pollInterval)
        case let .answered(answer):
            return answered(answer, now: now)
        }
    }

    mutating func answered(_ answer: SubmitAnswer, now: Duration) -> Action {
        switch answer {
        case .accepted, .duplicate:
            held = true
            unreachableInRow = 0
            notYetInRow = 0
            return .checkReceipt(node: node, after: pollInterval)
        case .nonceUsed:
            nonceUsed = true
            unreachableInRow = 0
            return .checkReceipt(node: node, after: .zero)
        case let .unreachable(problem):
            lastProblem = problem
            unreachableInRow += 1
            if unreachableInRow >= nodes { return .finish(.notCommitted("no node reachable: \(problem)")) }
            if now >= deadline { return windowEnded(now: now) }
            return submit(to: (node + 1) % nodes, after: .zero)
        case let .notYet(problem):
            lastProblem = problem
            if held { return .checkReceipt(node: node, after: pollInterval) }
            if now >= deadline { return windowEnded(now: now) }
            notYetInRow += 1
            return submit(to: (node + 1) % nodes, after: notYetInRow % nodes == 0 ? pollInterval : .zero)
        case let .refused(problem):
            lastProblem = problem
            if held { return .checkReceipt(node: node, after: pollInterval) }
            return .finish(.notCommitted(problem))
        }
    }

    /// The current node's window is over without a receipt.
    mutating func windowEnded(now: Duration) -> Action {
        if nonceUsed { return .finish(.notCommitted("its nonce was used, but no node returned its receipt: another transaction took the nonce")) }
        guard windowsLeft > 0 else {
            let why = lastProblem.map { " (last answer: \($0))" } ?? ""
            return .finish(.notCommitted("not seen committed within \(nodes) × \(timeout)\(why)"))
        }
        windowsLeft -= 1
        deadline = now + timeout
        unreachableInRow = 0
        notYetInRow = 0
        return submit(to: (node + 1) % nodes, after: .zero)
    }

    mutating func submit(to next: Int, after wait: Duration) -> Action {
        node = next
        attempts += 1
        return .submit(node: next, after: wait)
    }
}
