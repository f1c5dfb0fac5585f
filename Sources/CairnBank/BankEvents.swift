public import CairnPrimitives
public import CairnLedger

/// Events the bank emits.
public enum BankEvents {
    /// `bank.transfer`: sender, recipient, amount (coins as `12ucairn,3foo`).
    public static func transfer(from: Address, to: Address, coins: [Coin]) -> Event {
        Event(type: "bank.transfer", [("sender", from.bech32), ("recipient", to.bech32),
                                      ("amount", coins.map { "\($0.amount)\($0.denom)" }.joined(separator: ","))])
    }

    /// `bank.mint`: recipient, amount.
    public static func mint(to: Address, coin: Coin) -> Event {
        Event(type: "bank.mint", [("recipient", to.bech32), ("amount", "\(coin.amount)\(coin.denom)")])
    }

    /// `bank.burn`: from, amount (slashed stake, burned deposits).
    public static func burn(from: Address, coin: Coin) -> Event {
        Event(type: "bank.burn", [("from", from.bech32), ("amount", "\(coin.amount)\(coin.denom)")])
    }
}
