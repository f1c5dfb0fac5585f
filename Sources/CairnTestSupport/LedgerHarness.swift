public import CairnPrimitives
public import CairnLedger
public import CairnBank
import CairnApp

/// The node's ledger over an in-memory state, block after block, with the proposer chosen per block and
/// every module's invariants checked after each block: module tests drive it with signed transactions.
public final class LedgerHarness {
    public let ledger: Ledger
    public let state = InMemoryState()
    public private(set) var height: UInt64 = 0
    public private(set) var time: UInt64
    public let chainID: String
    private var nonces: [Address: UInt64] = [:]
    /// Invariant violations seen so far, with the height they were seen at.
    public private(set) var violations: [String] = []

    /// Runs `genesis` through `ledger` (the node's wiring by default).
    public init(genesis: Genesis, ledger: Ledger = TestGenesis.makeLedger()) throws {
        self.ledger = ledger
        chainID = genesis.chainID
        time = genesis.genesisTime
        let execution = try ledger.initGenesis(genesis)
        state.apply(execution.state.changes)
        try audit()
    }

    /// A signed transaction from `account` with its next nonce.
    public func tx(_ account: DevAccount, _ messages: [RawMessage], gasLimit: UInt64 = 200_000) -> Transaction {
        let nonce = nonces[account.address, default: 0]
        nonces[account.address] = nonce + 1
        return account.transaction(messages, nonce: nonce, chainID: chainID, gasLimit: gasLimit, maxFee: 100, tip: 2)
    }

    /// Executes and commits one block; returns its execution. Transactions (and evidence) that cannot be included are
    /// dropped (their nonces are given back). The block's last commit is signed by `signers` of the set that decided the
    /// block before (by the proposer alone when nil, as with a lone validator).
    @discardableResult
    public func block(_ txs: [Transaction] = [], proposer: Address, signers: Set<Address>? = nil,
                      evidence: [DuplicateVoteEvidence] = []) throws -> BlockExecution {
        height += 1
        time += 1_000
        let lastCommit = try ledger.validatorSets(state: state).last.map { LastCommitInfo(validators: $0, signers: signers ?? [proposer]) }
        let execution = try ledger.executeBlock(base: state, height: height, time: time, proposer: proposer,
                                                transactions: txs.map(ledger.check), mode: .propose, lastCommit: lastCommit,
                                                evidence: evidence, previousHash: Hash.sha256(parts: [Array("harness".utf8), StateKey.bigEndian(height - 1)]))
        for (tx, _) in execution.dropped { nonces[tx.body.sender] = min(nonces[tx.body.sender, default: 0], tx.body.nonce) }
        state.apply(execution.state.changes)
        try audit()
        return execution
    }

    /// Runs `count` empty blocks.
    public func blocks(_ count: Int, proposer: Address) throws {
        for _ in 0..<count { try block(proposer: proposer) }
    }

    /// Runs one transaction in its own block and returns its receipt (nil when it was dropped).
    public func run(_ tx: Transaction, proposer: Address) throws -> Receipt? {
        try block([tx], proposer: proposer).receipts.first
    }

    /// Runs `body` on an execution context over the current state and commits its writes, as if a module
    /// hook ran inside a block (for hooks that other modules call, such as a slash).
    public func withContext<T>(proposer: Address, _ body: (ExecutionContext) throws -> T) throws -> T {
        let overlay = StateOverlay(base: state)
        let context = ExecutionContext(state: overlay, chainID: chainID, height: height, time: time, proposer: proposer)
        let result = try body(context)
        state.apply(overlay.changes)
        try audit()
        return result
    }

    private func audit() throws {
        for m in ledger.modules {
            violations += try m.checkInvariants(state: state).map { "height \(height), \(m.name): \($0)" }
        }
        violations += try LedgerAudit.bankViolations(state: state).map { "height \(height): \($0)" }
    }

    /// The native balance of `address`.
    public func balance(_ address: Address) throws -> Amount {
        try BankModule().balance(of: address, denom: Denom.native, state: state)
    }
}
