public import CairnPrimitives
import Dispatch
import Foundation

/// A transaction checked once, from its bytes: the bytes, their hash, the decoded transaction, its decoded and
/// validated messages (or why they are not), and whether its signature verifies.
///
/// It travels from the node's precheck through the mempool to execution and storage (or from a stored block through a
/// replay) without being decoded, hashed or encoded again. The verdicts are what execution enforces: a transaction
/// whose messages or signature failed is dropped when proposing and invalidates a replayed block.
public struct CheckedTransaction: Sendable {
    /// The canonical bytes, as signed, submitted and stored.
    public let bytes: [UInt8]
    /// SHA-256 of `bytes`: the transaction's id.
    public let hash: Hash
    public let transaction: Transaction
    /// The messages decoded by their modules and validated, or the error that stopped them.
    public let messages: Result<[any LedgerMessage], LedgerError>
    /// Whether the signature verifies for the signer over the body.
    public let signatureValid: Bool

    public var body: TransactionBody { transaction.body }
}

extension CheckedTransaction: Equatable {
    /// Two checked transactions are equal when their bytes and signature verdicts are (the rest follows from the bytes).
    public static func == (a: CheckedTransaction, b: CheckedTransaction) -> Bool {
        a.hash == b.hash && a.bytes == b.bytes && a.signatureValid == b.signatureValid
    }
}

extension Ledger {
    /// Decodes `bytes` as a transaction and checks it once: its messages (decoded and validated) and its signature.
    ///
    /// - Throws: only when the bytes do not decode as a transaction; every other finding is a verdict in the result.
    public func check(bytes: [UInt8]) throws(DecodeError) -> CheckedTransaction {
        let transaction = try Transaction(canonicalBytes: bytes)
        return check(transaction, bytes: bytes)
    }

    /// Checks a transaction in hand (its canonical bytes are what is stored).
    public func check(_ transaction: Transaction) -> CheckedTransaction {
        check(transaction, bytes: transaction.canonicalBytes)
    }

    /// Checks `transaction` decoded from `bytes` (its canonical bytes, as received).
    public func check(_ transaction: Transaction, bytes: [UInt8]) -> CheckedTransaction {
        let messages: Result<[any LedgerMessage], LedgerError>
        do { messages = .success(try decodeMessages(transaction)) } catch { messages = .failure(error) }
        // The canonical bytes are the body's, then the signature (a 4-byte length and its bytes).
        let bodyBytes = Array(bytes.prefix(max(0, bytes.count - 4 - transaction.signature.count)))
        return CheckedTransaction(bytes: bytes, hash: Hash.sha256(bytes), transaction: transaction, messages: messages,
                                  signatureValid: transaction.hasValidSignature(bodyBytes: bodyBytes))
    }

    /// Checks many transactions' bytes, spread over all cores; the results are in order and the same whatever the core
    /// count.
    public func checkAll(_ bytes: [[UInt8]]) -> [Result<CheckedTransaction, DecodeError>] {
        var results = [Result<CheckedTransaction, DecodeError>](repeating: .failure(DecodeError("not checked")), count: bytes.count)
        let chunks = max(1, min(bytes.count / 64, ProcessInfo.processInfo.activeProcessorCount * 4))
        results.withUnsafeMutableBufferPointer { out in
            let buffer = UncheckedSendable(out)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = bytes.count * c / chunks
                let end = bytes.count * (c + 1) / chunks
                for i in start..<end {
                    do throws(DecodeError) { buffer.value[i] = .success(try check(bytes: bytes[i])) } catch { buffer.value[i] = .failure(error) }
                }
            }
        }
        return results
    }

    /// The checks that depend on the chain and its parameters, made again at execution (governance may have changed the
    /// parameters since the precheck): chain id, size, memo, fee fields and gas.
    public func checkLimits(_ tx: CheckedTransaction, chainID: String, params: ChainParams) throws(LedgerError) {
        try checkLimits(tx.body, byteCount: tx.bytes.count, chainID: chainID, params: params)
    }

    /// The same checks on a transaction's body and size, before anything costlier (a node checks a submission's
    /// limits before its messages and signature).
    public func checkLimits(_ body: TransactionBody, byteCount: Int, chainID: String, params: ChainParams) throws(LedgerError) {
        guard body.chainID == chainID else { throw CoreError.wrongChain(body.chainID, expected: chainID) }
        guard byteCount <= params.maxTxBytes else { throw CoreError.txTooLarge(byteCount, limit: params.maxTxBytes) }
        guard body.memo.utf8.count <= params.maxMemoBytes else {
            throw CoreError.memoTooLong(body.memo.utf8.count, limit: params.maxMemoBytes)
        }
        guard body.maxPriorityFeePerGas <= body.maxFeePerGas else { throw CoreError.priorityAboveMax() }
        guard body.gasLimit <= params.blockGasLimit else {
            throw CoreError.gasLimitTooHigh(body.gasLimit, blockLimit: params.blockGasLimit)
        }
        let intrinsic = Ledger.intrinsicGas(byteCount: byteCount)
        guard body.gasLimit >= intrinsic else { throw CoreError.gasLimitTooLow(body.gasLimit, intrinsic: intrinsic) }
        guard body.maxFeePerGas.multiplied(by: UInt128(body.gasLimit)) != nil else { throw CoreError.overflow("max fee") }
    }
}

/// Checks of a block's transactions started ahead of its execution, so that they run on the other cores while the
/// block before it executes and commits (execution and commit are sequential; checks are not).
public final class PendingChecks: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written once on the checking queue before `done` is signalled; read only after waiting on it.
    private var results: [Result<CheckedTransaction, DecodeError>] = []
    private var taken = false

    /// Starts checking `bytes` with `ledger` on a global queue.
    public init(_ bytes: [[UInt8]], ledger: Ledger) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.results = ledger.checkAll(bytes)
            self.done.signal()
        }
    }

    /// Waits for the checks to finish; the checked transactions in order. Call it once.
    /// - Throws: `DecodeError` naming the first one whose bytes do not decode.
    public func wait() throws(DecodeError) -> [CheckedTransaction] {
        precondition(!taken, "PendingChecks.wait() called twice")
        taken = true
        done.wait()
        var out: [CheckedTransaction] = []
        out.reserveCapacity(results.count)
        for (i, r) in results.enumerated() {
            switch r {
            case let .success(tx): out.append(tx)
            case let .failure(e): throw DecodeError("transaction \(i) does not decode: \(e.message)")
            }
        }
        return out
    }
}
