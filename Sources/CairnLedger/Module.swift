public import CairnPrimitives

/// A message a module executes; its canonical bytes travel inside `RawMessage`.
public protocol LedgerMessage: CanonicalCodable, Encodable {
    /// `module/name`, stable forever.
    static var typeName: String { get }
    /// Gas this message costs beyond the transaction's intrinsic gas (documented in the module README).
    var gas: UInt64 { get }
    /// Stateless checks (well-formed amounts, denominations, limits).
    func validate() throws(LedgerError)
}

/// A module of the ledger: it owns a state prefix, its messages, queries, genesis and invariants.
///
/// Adding a module is registering it with `Ledger`; nothing else in the core changes.
public protocol LedgerModule: Sendable {
    /// The module's name, its state prefix and its error codespace.
    var name: String { get }
    /// The message types it handles, by `typeName`, with their decoders.
    var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] { get }
    /// Executes one message signed by `signer`.
    func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError)
    /// Runs after the block's transactions.
    func endBlock(context: ExecutionContext) throws(LedgerError)
    /// Writes the module's genesis state from its section of the genesis file (nil: none given).
    func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError)
    /// Checks the module's invariants; returns a description of each violation.
    func checkInvariants(state: any StateReader) throws -> [String]
    /// Whether the module has parameters that governance can change.
    var hasParameters: Bool { get }
    /// The module's parameters as a JSON object (nil: it has none).
    func parameters(state: any StateReader) throws -> JSONValue?
    /// Validates and sets one parameter; throws `CoreError.unknownParameter` or `.invalidParameter` (or a
    /// module error naming the rule) and writes nothing when the change is refused.
    func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError)
}

extension LedgerModule {
    public func endBlock(context: ExecutionContext) throws(LedgerError) {}
    public var hasParameters: Bool { false }
    public func parameters(state: any StateReader) throws -> JSONValue? { nil }
    public func setParameter(_ key: String, to value: JSONValue, context: ExecutionContext) throws(LedgerError) {
        throw CoreError.unknownParameter(name, key, known: [])
    }
}

/// What a module sees while executing: the state overlay, the block it runs in, and an event log.
public final class ExecutionContext {
    public let state: StateOverlay
    public let chainID: String
    public let height: UInt64
    /// Block time in milliseconds since 1970, set by the proposer (the ledger never reads a clock).
    public let time: UInt64
    public let proposer: Address
    /// The proposer's bech32 form, for the events of every transaction's fee.
    public private(set) lazy var proposerBech32 = proposer.bech32
    public private(set) var events: [Event] = []
    /// Every module's parameters, by module name (set by the ledger before any module runs).
    public internal(set) var parameters: (any ParameterRouter)?
    /// Who signed the previous block's commit (nil in block 1 and at genesis).
    public internal(set) var lastCommit: LastCommitInfo?
    /// The hash of the previous block, where the caller knows it (nil at genesis, in block 1 and where blocks are not
    /// hashed, as in the simulator): the entropy a module draws from (committees), known to nobody before that block.
    public internal(set) var previousBlockHash: Hash?

    public init(state: StateOverlay, chainID: String, height: UInt64, time: UInt64, proposer: Address) {
        self.state = state
        self.chainID = chainID
        self.height = height
        self.time = time
        self.proposer = proposer
    }

    public func emit(_ event: Event) { events.append(event) }

    /// Drops the events emitted after `count` (used when a transaction's messages revert).
    public func truncateEvents(to count: Int) { events.removeLast(events.count - count) }

    /// Takes the events emitted so far, leaving none.
    public func takeEvents() -> [Event] {
        defer { events = [] }
        return events
    }
}
