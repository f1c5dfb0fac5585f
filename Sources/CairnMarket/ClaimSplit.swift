public import CairnPrimitives

/// How one claim is divided: per model a protocol fee and the model's royalty, the provider the rest; the
/// summed fee is divided between burn and treasury.
///
/// Rounding, in integers, every division rounded down:
/// - per model part `d`: `fee = d × protocolFeeBps / 10000`, `royalty = min(d × royaltyBps / 10000, d − fee)`,
///   `provider = d − fee − royalty`;
/// - of the summed fee `F`: `burned = F × feeBurnBps / 10000`, `treasury = F − burned`.
///
/// So the provider gets every unit the floors leave, and `fee + royalties + provider = amount` exactly.
public struct ClaimSplit: Sendable, Equatable {
    /// One model's part of a claim.
    public struct Part: Sendable, Equatable {
        /// The model.
        public var modelID: UInt64
        /// The increase claimed for this model.
        public var amount: Amount
        /// The protocol fee taken from it.
        public var fee: Amount
        /// The model's royalty.
        public var royalty: Amount
        /// What the provider keeps.
        public var provider: Amount
    }

    /// Each model with an increase, in the order given.
    public private(set) var parts: [Part] = []
    /// The whole claim: Σ parts' amounts.
    public private(set) var amount = Amount.zero
    /// The protocol fee: Σ parts' fees = `burned + treasury`.
    public private(set) var fee = Amount.zero
    /// The fee's burned part.
    public private(set) var burned = Amount.zero
    /// The fee's treasury part.
    public private(set) var treasury = Amount.zero
    /// Σ parts' royalties.
    public private(set) var royalties = Amount.zero
    /// Σ parts' provider amounts.
    public private(set) var provider = Amount.zero

    /// Splits `parts` (each model's increase and royalty rate; zero increases are skipped).
    ///
    /// - Precondition: the amounts sum below 2^128 (they are parts of a deposit).
    public init(parts input: [(modelID: UInt64, amount: Amount, royaltyBps: UInt32)], protocolFeeBps: UInt32, feeBurnBps: UInt32) {
        for p in input where p.amount > .zero {
            let fee = Self.basisPoints(protocolFeeBps, of: p.amount)
            let afterFee = p.amount.value - fee.value
            let royalty = Amount(min(Self.basisPoints(p.royaltyBps, of: p.amount).value, afterFee))
            let part = Part(modelID: p.modelID, amount: p.amount, fee: fee, royalty: royalty, provider: Amount(afterFee - royalty.value))
            parts.append(part)
            amount = Amount(amount.value + part.amount.value)
            self.fee = Amount(self.fee.value + part.fee.value)
            royalties = Amount(royalties.value + part.royalty.value)
            provider = Amount(provider.value + part.provider.value)
        }
        burned = Self.basisPoints(feeBurnBps, of: fee)
        treasury = Amount(fee.value - burned.value)
    }

    /// `amount × bps / 10000`, rounded down; exact for any amount (the product is taken in 256 bits), and
    /// never above `amount` (basis points above 10000 count as 10000).
    public static func basisPoints(_ bps: UInt32, of amount: Amount) -> Amount {
        let clamped = UInt128(min(bps, 10_000))
        let product = amount.value.multipliedFullWidth(by: clamped)
        return Amount(UInt128(10_000).dividingFullWidth(product).quotient)
    }
}
