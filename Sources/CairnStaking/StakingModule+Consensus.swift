public import CairnPrimitives
public import CairnLedger

extension StakingModule {
    /// Voting power per whole CAIRN bonded: power counts 10^6 ucairn as one, as CometBFT's power reduction does, so the
    /// set's total stays far below its limit.
    public static let powerReduction: UInt128 = 1_000_000

    /// The validator set staking ranks now: validators that are not jailed, by power (bonded tokens over
    /// `powerReduction`) and then by address, the first `maxValidators` with power above zero.
    public func validatorPowers(state: any StateReader) throws -> [(key: PublicKey, power: UInt64)] {
        let params = try params(state: state)
        var ranked: [(address: Address, key: PublicKey, power: UInt64)] = []
        for (op, record) in try operatorRecords(state: state) where record.kind == .validator && !record.jailed {
            let power = record.tokens.value / Self.powerReduction
            guard power > 0, let key = PublicKey(rawRepresentation: record.publicKey) else { continue }
            ranked.append((op, key, UInt64(min(power, UInt128(UInt64.max >> 8)))))
        }
        ranked.sort { $0.power != $1.power ? $0.power > $1.power : $0.address < $1.address }
        return ranked.prefix(Int(params.maxValidators)).map { (key: $0.key, power: $0.power) }
    }

    /// Evidence older than the `maxEvidenceAgeBlocks` parameter is refused.
    public func maxEvidenceAge(state: any StateReader) throws -> UInt64 {
        try params(state: state).maxEvidenceAgeBlocks
    }
}
