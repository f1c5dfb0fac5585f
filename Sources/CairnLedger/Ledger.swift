public import CairnPrimitives
import Dispatch
import Foundation

/// The deterministic state machine: given the same state and blocks it writes the same bytes everywhere.
///
/// It never does I/O, never reads a clock and never uses randomness; the block's time comes from its header.
public struct Ledger: Sendable {
    public let modules: [any LedgerModule]
    public let feeBank: any FeeBank
    let decoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage]
    let owners: [String: Int]

    /// Registers `modules`; `feeBank` is the module that holds balances (the bank).
    public init(modules: [any LedgerModule], feeBank: any FeeBank) {
        self.modules = modules
        self.feeBank = feeBank
        var decoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] = [:]
        var owners: [String: Int] = [:]
        for (i, m) in modules.enumerated() {
            for (type, decode) in m.messageDecoders {
                precondition(decoders[type] == nil, "message type \(type) registered twice")
                decoders[type] = decode
                owners[type] = i
            }
        }
        self.decoders = decoders
        self.owners = owners
    }

    // MARK: Core state

    public static func nonceKey(_ a: Address) -> [UInt8] { StateKey.make(prefix: noncePrefix, a.bytes) }
    static let noncePrefix = StateKey.make("ledger", "nonce") + [UInt8(ascii: "/")]
    static let baseFeeKey = StateKey.make("ledger", "basefee")
    static let paramsKey = StateKey.make("ledger", "params")
    static let chainKey = StateKey.make("ledger", "chain")

    /// The next nonce `address` must use.
    public func nonce(of address: Address, state: any StateReader) throws -> UInt64 {
        guard let raw = try state.get(Ledger.nonceKey(address)) else { return 0 }
        var r = CanonicalReader(raw)
        return try r.readUInt64()
    }

    /// The base fee per gas the next block pays.
    public func baseFee(state: any StateReader) throws -> Amount {
        guard let raw = try state.get(Ledger.baseFeeKey) else { return try params(state: state).initialBaseFee }
        var r = CanonicalReader(raw)
        return try r.readAmount()
    }

    /// The chain parameters in force (stored at genesis, changed by governance).
    public func params(state: any StateReader) throws -> ChainParams {
        try ChainParams.stored(try state.get(Ledger.paramsKey))
    }

    /// Whether `state` was written by a version that stored parameters as JSON text: such a store's roots differ from
    /// what this version computes, so it must be migrated (re-executed) before it is used.
    public func hasLegacyParameterEncoding(state: any StateReader) throws -> Bool {
        try state.get(Ledger.paramsKey)?.first == ParameterEncoding.legacyJSONMarker
    }

    /// The chain id stored at genesis.
    public func chainID(state: any StateReader) throws -> String? {
        try state.get(Ledger.chainKey).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Checks

    /// Decodes every message of `tx` with the module that owns its type.
    public func decodeMessages(_ tx: Transaction) throws(LedgerError) -> [any LedgerMessage] {
        guard !tx.body.messages.isEmpty else { throw CoreError.noMessages() }
        var out = [any LedgerMessage]()
        for raw in tx.body.messages {
            guard let decode = decoders[raw.type] else { throw CoreError.unknownMessage(raw.type) }
            do {
                let m = try decode(raw.body)
                try m.validate()
                out.append(m)
            } catch let e as DecodeError {
                throw CoreError.malformedMessage(raw.type, e.message)
            } catch let e as LedgerError {
                throw e
            } catch {
                throw CoreError.malformedMessage(raw.type, "\(error)")
            }
        }
        return out
    }

    /// Gas a transaction of `byteCount` bytes needs before its messages.
    public static func intrinsicGas(byteCount: Int) -> UInt64 { CoreGas.base + CoreGas.perByte * UInt64(byteCount) }

    /// Checks that need no state: chain id, size, fee fields, messages. The signature is checked separately.
    public func checkStateless(_ tx: Transaction, byteCount: Int, chainID: String, params: ChainParams) throws(LedgerError) -> [any LedgerMessage] {
        guard tx.body.chainID == chainID else { throw CoreError.wrongChain(tx.body.chainID, expected: chainID) }
        guard byteCount <= params.maxTxBytes else { throw CoreError.txTooLarge(byteCount, limit: params.maxTxBytes) }
        guard tx.body.memo.utf8.count <= params.maxMemoBytes else {
            throw CoreError.memoTooLong(tx.body.memo.utf8.count, limit: params.maxMemoBytes)
        }
        guard tx.body.maxPriorityFeePerGas <= tx.body.maxFeePerGas else { throw CoreError.priorityAboveMax() }
        guard tx.body.gasLimit <= params.blockGasLimit else {
            throw CoreError.gasLimitTooHigh(tx.body.gasLimit, blockLimit: params.blockGasLimit)
        }
        let intrinsic = Ledger.intrinsicGas(byteCount: byteCount)
        guard tx.body.gasLimit >= intrinsic else { throw CoreError.gasLimitTooLow(tx.body.gasLimit, intrinsic: intrinsic) }
        guard tx.body.maxFeePerGas.multiplied(by: UInt128(tx.body.gasLimit)) != nil else { throw CoreError.overflow("max fee") }
        return try decodeMessages(tx)
    }

    /// Checks every signature, spread over all cores; the result is the same whatever the core count.
    public static func verifySignatures(_ txs: [Transaction]) -> [Bool] {
        var results = [Bool](repeating: false, count: txs.count)
        let chunks = max(1, min(txs.count / 64, ProcessInfo.processInfo.activeProcessorCount * 4))
        results.withUnsafeMutableBufferPointer { out in
            let buffer = UncheckedSendable(out)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = txs.count * c / chunks
                let end = txs.count * (c + 1) / chunks
                for i in start..<end { buffer.value[i] = txs[i].hasValidSignature }
            }
        }
        return results
    }
}

/// Signature checks of a block started ahead of its execution, so that they run on the other cores while
/// the block before it executes and commits (execution and commit are sequential; checks are not).
public final class PendingSignatures: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written once on the verifying queue before `done` is signalled; read only after waiting on it.
    private var results: [Bool] = []
    private var taken = false

    /// Starts checking `txs` on a global queue.
    public init(_ txs: [Transaction]) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.results = Ledger.verifySignatures(txs)
            self.done.signal()
        }
    }

    /// Waits for the checks to finish; one result per transaction, in order. Call it once.
    public func wait() -> [Bool] {
        precondition(!taken, "PendingSignatures.wait() called twice")
        taken = true
        done.wait()
        return results
    }
}

/// Lets a buffer cross into `concurrentPerform`, where each iteration writes disjoint indices.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
