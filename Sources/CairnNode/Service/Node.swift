public import CairnPrimitives
public import CairnLedger
public import CairnConsensus
public import CairnStorage
public import CairnChain
import Foundation
import Synchronization

/// The single owner of the mempool and of block production; reads go to the chain (`ChainReader`), not through the actor.
public actor Node {
    public nonisolated let chain: Chain
    public nonisolated let hub: EventHub
    public nonisolated let metrics: NodeMetrics
    public nonisolated let chainID: String
    /// The chain parameters in force at the head (governance can change them), for checks made outside the actor.
    public nonisolated var params: ChainParams { currentParams.withLock { $0 } }
    nonisolated let currentParams: Mutex<ChainParams>
    let engine: any ConsensusEngine
    var mempool: Mempool
    public private(set) var head: StoredHead
    var headHeader: BlockHeader

    /// Opens the chain (committing genesis into an empty store, or checking the stored head).
    public init(chain: Chain, engine: any ConsensusEngine, mempool: Mempool = Mempool()) throws {
        self.chain = chain
        self.engine = engine
        self.mempool = mempool
        self.hub = EventHub()
        self.metrics = NodeMetrics()
        self.chainID = chain.genesis.chainID
        let head = try chain.open()
        self.currentParams = Mutex(try chain.withState { try chain.ledger.params(state: $0) })
        self.head = head
        self.headHeader = try chain.header(at: head.height)!
        metrics.blockCommitted(height: head.height, txs: 0, commitSeconds: 0, now: Date().timeIntervalSince1970)
    }

    /// Checks a submitted transaction once, without touching state: size, encoding, chain id, fields, messages,
    /// signature. The checked value goes on to the mempool, execution and storage as it is.
    /// Runs outside the actor so signature checks of concurrent submissions use every core.
    public nonisolated func precheck(_ bytes: [UInt8]) throws(SubmitError) -> CheckedTransaction {
        let params = self.params
        guard bytes.count <= params.maxTxBytes else {
            throw SubmitError(CoreError.txTooLarge(bytes.count, limit: params.maxTxBytes))
        }
        let transaction: Transaction
        do { transaction = try Transaction(canonicalBytes: bytes) } catch {
            throw SubmitError(.malformedTx, "transaction bytes do not decode: \(error.message)")
        }
        let ledger = chain.ledger
        // The cheap checks first: a flood of transactions for another chain or beyond the limits costs no signature check.
        do { try ledger.checkLimits(transaction.body, byteCount: bytes.count, chainID: chainID, params: params) } catch {
            throw SubmitError(error)
        }
        let checked = ledger.check(transaction, bytes: bytes)
        do { _ = try checked.messages.get() } catch { throw SubmitError(error) }
        guard checked.signatureValid else { throw SubmitError(CoreError.badSignature()) }
        return checked
    }

    /// Admits a prechecked transaction to the mempool after the stateful checks.
    public func admit(_ tx: CheckedTransaction) throws(SubmitError) {
        let sender = tx.body.sender
        let nonce: UInt64
        let balance: Amount
        do {
            (nonce, balance) = try chain.withState { state in
                (try chain.ledger.nonce(of: sender, state: state), try chain.ledger.feeBank.nativeBalance(of: sender, state: state))
            }
        } catch {
            throw SubmitError(.internal, "state read failed: \(error)")
        }
        if let rejection = mempool.insert(tx, nonce: nonce, balance: balance) {
            metrics.rejectedTransaction()
            throw SubmitError(rejection)
        }
        metrics.setMempoolSize(mempool.count)
    }

    public var mempoolCount: Int { mempool.count }

    /// A block this node produced: its header and how many transactions it included.
    public struct ProducedBlock: Sendable {
        public let header: BlockHeader
        public let transactions: Int
    }

    /// Builds, finalizes and commits the next block from the mempool (possibly empty).
    @discardableResult
    public func produceBlock(now: UInt64) async throws -> ProducedBlock {
        let started = Date()
        let height = head.height + 1
        guard engine.isLocalProposer(height: height) else { throw ConsensusError("this node is not the proposer of block \(height)") }
        let txs = mempool.select(gasLimit: params.blockGasLimit)
        let proposer = engine.proposer(forHeight: height)
        let time = max(now, headHeader.time)
        let executed = try chain.execute(height: height, time: time, proposer: proposer, transactions: txs, mode: .propose,
                                         parentRoot: head.root)
        let exec = executed.execution
        let header = executed.header(chainID: chainID, height: height, time: time, previousHash: head.blockHash, proposer: proposer)
        let certificate = try await engine.finalize(header)
        try chain.commit(header: header, certificate: certificate, executed: executed)
        head = try chain.head()
        headHeader = header
        let updated = try chain.withState { try chain.ledger.params(state: $0) }
        currentParams.withLock { $0 = updated }
        for d in exec.dropped { mempool.remove(d.tx.hash) }
        var touched = Set(exec.included.map(\.body.sender))
        touched.formUnion(exec.dropped.map(\.tx.body.sender))
        try chain.withState { state in
            for sender in touched { mempool.prune(sender: sender, committedNonce: try chain.ledger.nonce(of: sender, state: state)) }
        }
        let seconds = Date().timeIntervalSince(started)
        metrics.blockCommitted(height: height, txs: exec.included.count, commitSeconds: seconds, now: Date().timeIntervalSince1970)
        metrics.setMempoolSize(mempool.count)
        hub.publish(BlockRecord(header: header, receipts: exec.receipts, blockEvents: exec.blockEvents).json)
        return ProducedBlock(header: header, transactions: exec.included.count)
    }
}
