public import CairnPrimitives

/// Chain-wide parameters of the ledger core, set in genesis and changed by governance; stored at `ledger/params` in the
/// canonical parameter encoding (`ParameterSet`).
public struct ChainParams: Sendable, Equatable, Codable, ParameterSet {
    /// Most gas all transactions of a block may use.
    public var blockGasLimit: UInt64
    /// Base fee per gas of the first block (ucairn).
    public var initialBaseFee: Amount
    /// The base fee never falls below this (ucairn per gas).
    public var minBaseFee: Amount
    /// The base fee changes by at most 1/denominator per block (EIP-1559: 8).
    public var baseFeeChangeDenominator: UInt64
    /// Largest encoded transaction accepted, in bytes.
    public var maxTxBytes: Int
    /// Largest memo, in bytes.
    public var maxMemoBytes: Int

    public static let `default` = ChainParams(
        blockGasLimit: 60_000_000, initialBaseFee: 10, minBaseFee: 10, baseFeeChangeDenominator: 8,
        maxTxBytes: 64 * 1024, maxMemoBytes: 256
    )

    public init(blockGasLimit: UInt64, initialBaseFee: Amount, minBaseFee: Amount, baseFeeChangeDenominator: UInt64,
                maxTxBytes: Int, maxMemoBytes: Int) {
        self.blockGasLimit = blockGasLimit
        self.initialBaseFee = initialBaseFee
        self.minBaseFee = minBaseFee
        self.baseFeeChangeDenominator = baseFeeChangeDenominator
        self.maxTxBytes = maxTxBytes
        self.maxMemoBytes = maxMemoBytes
    }

    public static var defaults: ChainParams { .default }

    /// In encoding order; never reorder.
    public static var fields: [ParameterField<ChainParams>] {
        [.init("blockGasLimit", .uint64(\.blockGasLimit)), .init("initialBaseFee", .amount(\.initialBaseFee)),
         .init("minBaseFee", .amount(\.minBaseFee)), .init("baseFeeChangeDenominator", .uint64(\.baseFeeChangeDenominator)),
         .init("maxTxBytes", .int(\.maxTxBytes)), .init("maxMemoBytes", .int(\.maxMemoBytes))]
    }

    /// The gas target: half the block gas limit.
    public var gasTarget: UInt64 { blockGasLimit / 2 }

    /// The EIP-1559 rule: the next block's base fee from this block's base fee and gas used.
    public func nextBaseFee(current: Amount, gasUsed: UInt64) -> Amount {
        let target = UInt128(max(gasTarget, 1))
        let base = current.value
        let d = UInt128(baseFeeChangeDenominator)
        var next: UInt128
        if UInt128(gasUsed) == target {
            next = base
        } else if UInt128(gasUsed) > target {
            let delta = max(base * (UInt128(gasUsed) - target) / target / d, 1)
            next = base + delta
        } else {
            let delta = base * (target - UInt128(gasUsed)) / target / d
            next = base - delta
        }
        return Amount(max(next, minBaseFee.value))
    }
}

/// Gas charged by the core for every transaction, before its messages.
public enum CoreGas {
    /// Flat cost of any transaction, covering its signature check and nonce update.
    public static let base: UInt64 = 1_000
    /// Per byte of the encoded transaction.
    public static let perByte: UInt64 = 10
}
