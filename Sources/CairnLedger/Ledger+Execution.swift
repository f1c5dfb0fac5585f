public import CairnPrimitives
import Foundation

/// How `executeBlock` treats a transaction that cannot be included (bad nonce, fee or signature).
public enum ExecutionMode: Sendable {
    /// Building a block: drop the transaction and report it.
    case propose
    /// Replaying a committed block: such a transaction makes the whole block invalid.
    case replay
}

/// The result of executing a block on top of a state.
public struct BlockExecution {
    /// Every write of the block, not yet committed.
    public let state: StateOverlay
    /// The transactions included, in order.
    public let included: [CheckedTransaction]
    public let receipts: [Receipt]
    /// Transactions dropped while proposing, with why.
    public let dropped: [(tx: CheckedTransaction, error: LedgerError)]
    /// Events of the block's start and end (evidence, end-of-block work; not tied to a transaction).
    public let blockEvents: [Event]
    /// The evidence applied (proposing: what checked out of what was offered).
    public let evidence: [DuplicateVoteEvidence]
    public let gasUsed: UInt64
    public let baseFee: Amount
}

/// A block replay that failed: the block is invalid.
public struct InvalidBlock: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

extension Ledger {
    /// Writes the genesis state and returns it as a block execution at height 0.
    public func initGenesis(_ genesis: Genesis) throws -> BlockExecution {
        try genesis.params.validate()
        let state = StateOverlay(base: EmptyState())
        state.set(Ledger.paramsKey, genesis.params.canonicalBytes)
        state.set(Ledger.chainKey, Array(genesis.chainID.utf8))
        var w = CanonicalWriter()
        w.write(genesis.params.initialBaseFee)
        state.set(Ledger.baseFeeKey, w.bytes)
        let context = ExecutionContext(state: state, chainID: genesis.chainID, height: 0, time: genesis.genesisTime,
                                       proposer: Address(bytes: [UInt8](repeating: 0, count: 20))!)
        context.parameters = self
        for m in modules {
            try m.initGenesis(genesis.modules[m.name], context: context)
        }
        try initValidators(genesis, state: state)
        return BlockExecution(state: state, included: [], receipts: [], dropped: [], blockEvents: context.takeEvents(), evidence: [],
                              gasUsed: 0, baseFee: genesis.params.initialBaseFee)
    }

    /// Executes `txs` as block `height` on top of `base`, after the block's `evidence`; `lastCommit` says who signed the
    /// previous block (checked by the caller against the block before), `previousHash` is that block's hash.
    ///
    /// Each transaction comes checked (decoded, hashed, its messages decoded and its signature verified, apart from
    /// execution and on all cores); execution enforces those verdicts and makes again the checks that depend on the
    /// parameters in force.
    public func executeBlock(base: any StateReader, height: UInt64, time: UInt64, proposer: Address,
                             transactions txs: [CheckedTransaction], mode: ExecutionMode, lastCommit: LastCommitInfo? = nil,
                             evidence: [DuplicateVoteEvidence] = [], previousHash: Hash? = nil) throws -> BlockExecution {
        let state = StateOverlay(base: base)
        let params = try params(state: state)
        guard let chainID = try chainID(state: state) else { throw InvalidBlock(message: "state has no chain id: genesis missing") }
        let baseFee = try baseFee(state: state)
        let context = ExecutionContext(state: state, chainID: chainID, height: height, time: time, proposer: proposer)
        context.parameters = self
        context.lastCommit = lastCommit
        context.previousBlockHash = previousHash
        let appliedEvidence = try applyEvidence(evidence, mode: mode, context: context)
        let evidenceEvents = context.takeEvents()
        var included = [CheckedTransaction]()
        var receipts = [Receipt]()
        var dropped = [(tx: CheckedTransaction, error: LedgerError)]()
        var gasUsed: UInt64 = 0
        for (i, tx) in txs.enumerated() {
            do {
                guard tx.signatureValid else { throw CoreError.badSignature() }
                try checkLimits(tx, chainID: chainID, params: params)
                let messages = try tx.messages.get()
                guard tx.body.gasLimit <= params.blockGasLimit - gasUsed else {
                    throw CoreError.gasLimitTooHigh(tx.body.gasLimit, blockLimit: params.blockGasLimit - gasUsed)
                }
                let receipt = try apply(tx.transaction, hash: tx.hash, byteCount: tx.bytes.count, messages: messages,
                                        index: UInt32(included.count), baseFee: baseFee, context: context)
                gasUsed += receipt.gasUsed
                included.append(tx)
                receipts.append(receipt)
            } catch let error as LedgerError {
                if mode == .replay {
                    throw InvalidBlock(message: "transaction \(i) of block \(height) is invalid: \(error)")
                }
                dropped.append((tx, error))
            }
        }
        let txEventCount = context.events.count
        for m in modules {
            do {
                try m.endBlock(context: context)
            } catch {
                throw InvalidBlock(message: "end of block \(height) failed in \(m.name): \(error)")
            }
        }
        try rotateValidators(height: height, state: state)
        let next = params.nextBaseFee(current: baseFee, gasUsed: gasUsed)
        var w = CanonicalWriter()
        w.write(next)
        state.set(Ledger.baseFeeKey, w.bytes)
        return BlockExecution(state: state, included: included, receipts: receipts, dropped: dropped,
                              blockEvents: evidenceEvents + context.takeEvents()[txEventCount...], evidence: appliedEvidence,
                              gasUsed: gasUsed, baseFee: baseFee)
    }

    /// Charges the fee, bumps the nonce and runs the messages atomically. Throws when the transaction
    /// cannot be included at all; a failing message gives a failed receipt instead.
    func apply(_ tx: Transaction, hash: Hash, byteCount: Int, messages: [any LedgerMessage], index: UInt32,
               baseFee: Amount, context: ExecutionContext) throws(LedgerError) -> Receipt {
        let body = tx.body
        let sender = body.sender
        guard body.maxFeePerGas >= baseFee else { throw CoreError.feeTooLow(maxFee: body.maxFeePerGas, baseFee: baseFee) }
        let expected: UInt64
        do { expected = try nonce(of: sender, state: context.state) } catch { throw CoreError.overflow("nonce read: \(error)") }
        guard body.nonce == expected else { throw CoreError.badNonce(got: body.nonce, expected: expected) }
        guard let reserve = body.maxFeePerGas.multiplied(by: UInt128(body.gasLimit)) else { throw CoreError.overflow("max fee") }
        let balance: Amount
        do { balance = try feeBank.nativeBalance(of: sender, state: context.state) } catch { throw CoreError.overflow("balance read: \(error)") }
        guard balance >= reserve else { throw CoreError.insufficientFee(needed: reserve, available: balance) }

        let eventStart = context.events.count
        try feeBank.debitFee(reserve, from: sender, context: context)
        var w = CanonicalWriter()
        w.write(expected + 1)
        context.state.set(Ledger.nonceKey(sender), w.bytes)

        let intrinsic = Ledger.intrinsicGas(byteCount: byteCount)
        let needed = messages.reduce(intrinsic) { $0 &+ $1.gas }
        var gasUsed = needed
        var failed: UInt32? = nil
        var failure: LedgerError? = nil
        let feeEvents = context.events.count
        if needed > body.gasLimit {
            gasUsed = body.gasLimit
            failure = CoreError.outOfGas(limit: body.gasLimit, needed: needed)
        } else {
            context.state.checkpoint()
            for (i, m) in messages.enumerated() {
                do {
                    try modules[owners[type(of: m).typeName]!].execute(m, signer: sender, context: context)
                } catch {
                    failed = UInt32(i)
                    failure = error
                    break
                }
            }
            if failure == nil {
                context.state.commitCheckpoint()
            } else {
                context.state.revertCheckpoint()
                context.truncateEvents(to: feeEvents)
            }
        }

        let tipPerGas = min(body.maxPriorityFeePerGas, body.maxFeePerGas.subtracting(baseFee)!)
        let gas = UInt128(gasUsed)
        // Cannot overflow: both are at most maxFeePerGas * gasLimit, checked above.
        let burned = baseFee.multiplied(by: gas)!
        let tip = tipPerGas.multiplied(by: gas)!
        let fee = burned.adding(tip)!
        try feeBank.burnFee(burned, context: context)
        if tip > .zero { try feeBank.creditTip(tip, proposer: context.proposer, context: context) }
        let refund = reserve.subtracting(fee)!
        if refund > .zero { try feeBank.creditFee(refund, to: sender, context: context) }
        context.emit(CoreEvents.feePaid(payer: sender, fee: fee, burned: burned, tip: tip, proposer: context.proposerBech32))
        let events = Array(context.events[eventStart...])
        return Receipt(txHash: hash, height: context.height, index: index, success: failure == nil, gasUsed: gasUsed,
                       fee: fee, burned: burned, tip: tip, failedMessage: failed, error: failure, events: events)
    }
}
