public import CairnPrimitives
public import CairnLedger

/// Events the bank emits, and their typed views for readers.
public enum BankEvents {
    /// `bank.transfer`: sender, recipient, amount (coins as `12ucairn,3foo`).
    public static func transfer(from: Address, to: Address, coins: [Coin]) -> Event {
        Event(type: Transfer.type, [("sender", from.bech32), ("recipient", to.bech32), ("amount", coinList(coins))])
    }

    /// `bank.mint`: recipient, amount.
    public static func mint(to: Address, coin: Coin) -> Event {
        Event(type: Mint.type, [("recipient", to.bech32), ("amount", coinList([coin]))])
    }

    /// `bank.burn`: from, amount (slashed stake, burned deposits).
    public static func burn(from: Address, coin: Coin) -> Event {
        Event(type: Burn.type, [("from", from.bech32), ("amount", coinList([coin]))])
    }

    /// Coins as an attribute: `AMOUNTDENOM` joined by commas.
    static func coinList(_ coins: [Coin]) -> String { coins.map { "\($0.amount)\($0.denom)" }.joined(separator: ",") }

    /// The coins of an attribute written by `coinList`, or nil when one does not read.
    static func coins(_ text: String?) -> [Coin]? {
        guard let text, !text.isEmpty else { return nil }
        var out: [Coin] = []
        for part in text.split(separator: ",") {
            let digits = part.prefix { $0.isASCII && $0.isNumber }
            guard let amount = Amount(decimal: String(digits)), digits.count < part.count else { return nil }
            out.append(Coin(denom: String(part.dropFirst(digits.count)), amount: amount))
        }
        return out
    }

    /// Coins moved from one account to another.
    public struct Transfer: TypedEvent {
        public static let type = "bank.transfer"
        public var sender: Address
        public var recipient: Address
        public var coins: [Coin]

        public init?(_ event: Event) {
            guard event.type == Self.type, let sender = event.address("sender"), let recipient = event.address("recipient"),
                  let coins = BankEvents.coins(event["amount"]) else { return nil }
            (self.sender, self.recipient, self.coins) = (sender, recipient, coins)
        }
    }

    /// Coins created (emission, genesis balances).
    public struct Mint: TypedEvent {
        public static let type = "bank.mint"
        public var recipient: Address
        public var coin: Coin

        public init?(_ event: Event) {
            guard event.type == Self.type, let recipient = event.address("recipient"), let coins = BankEvents.coins(event["amount"]),
                  coins.count == 1 else { return nil }
            (self.recipient, self.coin) = (recipient, coins[0])
        }
    }

    /// Coins destroyed (slashed stake, burned deposits, the market's burn).
    public struct Burn: TypedEvent {
        public static let type = "bank.burn"
        public var from: Address
        public var coin: Coin

        public init?(_ event: Event) {
            guard event.type == Self.type, let from = event.address("from"), let coins = BankEvents.coins(event["amount"]),
                  coins.count == 1 else { return nil }
            (self.from, self.coin) = (from, coins[0])
        }
    }
}
