public import CairnPrimitives
public import CairnLedger

extension BankModule {
    /// Every non-zero balance of `address`, by denomination.
    public func balances(of address: Address, state: any StateReader) throws -> [Coin] {
        let prefix = BankKeys.balancePrefix(address)
        return try state.scan(prefix: prefix).map { entry in
            Coin(denom: String(decoding: entry.key[prefix.count...], as: UTF8.self), amount: try BankKeys.decode(entry.value))
        }
    }

    /// Everything ever minted of `denom`.
    public func supply(_ denom: String, state: any StateReader) throws -> Amount {
        try BankKeys.decode(try state.get(BankKeys.supply(denom)))
    }

    /// Everything burned of `denom`.
    public func burned(_ denom: String, state: any StateReader) throws -> Amount {
        try BankKeys.decode(try state.get(BankKeys.burned(denom)))
    }
}
