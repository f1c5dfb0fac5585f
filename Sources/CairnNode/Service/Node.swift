public import CairnPrimitives
public import CairnLedger
public import CairnConsensus
public import CairnStorage
public import CairnChain
import Foundation
import Synchronization

/// The single owner of the mempool and of the blocks consensus decides (it is the consensus engine's application); reads go to the chain (`ChainReader`), not through the actor.
public actor Node {
    public nonisolated let chain: Chain
    public nonisolated let hub: EventHub
    public nonisolated let metrics: NodeMetrics
    /// Peers, the driver and block sync, once the node runs them.
    public nonisolated let network = NetworkStatus()
    public nonisolated let chainID: String
    /// The chain parameters in force at the head (governance can change them), for checks made outside the actor.
    public nonisolated var params: ChainParams { currentParams.withLock { $0 } }
    nonisolated let currentParams: Mutex<ChainParams>
    var mempool: Mempool
    public internal(set) var head: StoredHead
    var headHeader: BlockHeader

    /// Opens the chain (committing genesis into an empty store, or checking the stored head). `clockOffsetMilliseconds`
    /// shifts the clock block times come from (a test-only fault, see `TestHooks`).
    public init(chain: Chain, mempool: Mempool = Mempool(), clockOffsetMilliseconds: Int64 = 0) throws {
        self.clock = { UInt64(max(0, Int64(Date().timeIntervalSince1970 * 1000) + clockOffsetMilliseconds)) }
        self.chain = chain
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

    /// Admits a prechecked transaction to the mempool after the stateful checks, and passes it on to the peers.
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
        network.transactionAdmitted(tx.bytes)
    }

    public var mempoolCount: Int { mempool.count }

    /// Blocks this node executed while proposing or checking proposals at the height being decided, by hash: the
    /// decided one commits without executing again.
    var executedBlocks: [Hash: (header: BlockHeader, executed: Chain.Executed)] = [:]
    /// The clock block times come from (milliseconds since 1970).
    let clock: @Sendable () -> UInt64
}
