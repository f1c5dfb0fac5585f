public import CairnPrimitives
public import CairnLedger
public import CairnStorage
public import CairnChain

/// A `Chain` on a SQLite file in a fresh temporary folder, wired as the node wires it, with a helper that produces
/// blocks as a lone validator does (header, the validator's precommit as the certificate, commit).
public final class TestChain {
    public let directory: TemporaryDirectory
    public let chain: Chain
    public let validator: DevAccount

    /// A block this helper produced and committed.
    public struct ProducedBlock {
        public let header: BlockHeader
        public let execution: BlockExecution
        public var receipts: [Receipt] { execution.receipts }
    }

    /// Opens a chain for `genesis` on `<directory>/chain.sqlite`, committing genesis into an empty store.
    public init(genesis: Genesis, validator: DevAccount = DevAccount("validator"), directory: TemporaryDirectory? = nil) throws {
        self.directory = try directory ?? TemporaryDirectory()
        self.validator = validator
        let store = try SQLiteStore(path: self.directory.path("chain.sqlite"))
        chain = Chain(store: store, ledger: TestGenesis.makeLedger(), genesis: genesis)
        _ = try chain.open()
    }

    /// A second chain on the same file, as after a restart of the node.
    public func reopen() throws -> TestChain {
        try TestChain(genesis: chain.genesis, validator: validator, directory: directory)
    }

    /// A fresh, empty chain with the same genesis in its own folder.
    public func fresh() throws -> TestChain {
        try TestChain(genesis: chain.genesis, validator: validator)
    }

    public var genesis: Genesis { chain.genesis }
    public var ledger: Ledger { chain.ledger }
    public var chainID: String { chain.genesis.chainID }

    public func head() throws -> StoredHead { try chain.head() }

    public func header(at height: UInt64) throws -> BlockHeader? { try chain.header(at: height) }

    /// Reads committed state.
    public func withState<T>(_ body: (any StateReader) throws -> T) throws -> T { try chain.withState(body) }

    /// Executes `transactions` as the next block without committing it.
    public func execute(_ transactions: [Transaction], mode: ExecutionMode, time: UInt64? = nil) throws -> BlockExecution {
        let head = try chain.head()
        return try chain.execute(height: head.height + 1, time: try nextTime(time), proposer: validator.address,
                                 transactions: transactions.map(chain.ledger.check), mode: mode,
                                 parentRoot: head.root, lastCommit: try chain.headCommit()).execution
    }

    /// Executes `transactions` as the next block, then signs and commits it as the Solo engine would.
    ///
    /// - Parameters:
    ///   - time: block time; one second after the parent's when nil.
    ///   - editHeader: changes the header before it is signed, to make a faulty block for tests.
    @discardableResult
    public func produceBlock(_ transactions: [Transaction], mode: ExecutionMode = .propose, time: UInt64? = nil,
                             editHeader: (inout BlockHeader) -> Void = { _ in }) throws -> ProducedBlock {
        let head = try chain.head()
        let height = head.height + 1
        let blockTime = try nextTime(time)
        let executed = try chain.execute(height: height, time: blockTime, proposer: validator.address,
                                         transactions: transactions.map(chain.ledger.check),
                                         mode: mode, parentRoot: head.root, lastCommit: try chain.headCommit())
        let exec = executed.execution
        var header = executed.header(chainID: chainID, height: height, time: blockTime, previousHash: head.blockHash,
                                     proposer: validator.address)
        editHeader(&header)
        let certificate = CommitCertificate.signed(height: height, blockHash: header.hash, by: [validator.key], chainID: chainID)
        try chain.commit(header: header, certificate: certificate, executed: executed)
        return ProducedBlock(header: header, execution: exec)
    }

    /// Re-executes every block of this chain into `target` (see `Chain.replay(into:)`).
    @discardableResult
    public func replay(into target: TestChain) throws -> UInt64 {
        try chain.replay(into: target.chain)
    }

    func nextTime(_ time: UInt64?) throws -> UInt64 {
        if let time { return time }
        let head = try chain.head()
        return (try chain.header(at: head.height)?.time ?? chain.genesis.genesisTime) + 1_000
    }
}
