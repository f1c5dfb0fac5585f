public import CairnPrimitives
public import CairnLedger

/// `bank/send`: move coins from the signer to `to`.
public struct MsgSend: LedgerMessage, Equatable {
    public static let typeName = "bank/send"
    /// Most coins one send may carry.
    public static let maxCoins = 16

    public var to: Address
    public var coins: [Coin]

    public init(to: Address, coins: [Coin]) {
        self.to = to
        self.coins = coins
    }

    /// 2,000 gas plus 500 per coin.
    public var gas: UInt64 { BankGas.send + BankGas.perCoin * UInt64(coins.count) }

    public func validate() throws(LedgerError) {
        guard !coins.isEmpty, coins.count <= MsgSend.maxCoins else {
            throw BankError.badCoins("a send carries 1 to \(MsgSend.maxCoins) coins")
        }
        var seen = Set<String>()
        for c in coins {
            guard Denom.isValid(c.denom) else { throw BankError.invalidDenom(c.denom) }
            guard c.amount > .zero else { throw BankError.zeroAmount() }
            guard seen.insert(c.denom).inserted else { throw BankError.badCoins("denomination \(c.denom) appears twice") }
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(to)
        w.write(array: coins) { w, c in
            w.write(c.denom)
            w.write(c.amount)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        to = try r.readAddress()
        coins = try r.readArray(limit: 64) { (r: inout CanonicalReader) throws(DecodeError) in
            Coin(denom: try r.readString(limit: 64), amount: try r.readAmount())
        }
    }
}

/// The bank's gas costs (see README).
public enum BankGas {
    public static let send: UInt64 = 2_000
    public static let perCoin: UInt64 = 500
}
