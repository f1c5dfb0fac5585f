public import CairnPrimitives
import Dispatch
import Foundation

/// The deterministic state machine: given the same state and blocks it writes the same bytes everywhere.
///
/// It never does I/O, never reads a clock and never uses randomness; the block's time comes from its header.
public struct Ledger: Sendable {
    public let modules: [any LedgerModule]
    public let feeBank: any FeeBank
    /// Staking as consensus sees it: the validator ranking and the punishment of equivocation (nil: the genesis
    /// validators stay the set for good and evidence punishes nobody).
    public let stake: (any ConsensusStake)?
    let decoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage]
    let owners: [String: Int]

    /// Registers `modules`; `feeBank` is the module that holds balances (the bank), `stake` ranks the validators.
    public init(modules: [any LedgerModule], feeBank: any FeeBank, stake: (any ConsensusStake)? = nil) {
        self.modules = modules
        self.feeBank = feeBank
        self.stake = stake
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
}

/// Lets a buffer cross into `concurrentPerform`, where each iteration writes disjoint indices.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
