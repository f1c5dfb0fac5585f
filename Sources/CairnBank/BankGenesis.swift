public import CairnPrimitives
public import CairnLedger

/// The bank's section of the genesis file: initial balances (minted into the supply).
public struct BankGenesis: Sendable, Equatable, Codable {
    public struct Balance: Sendable, Equatable, Codable {
        public var address: Address
        public var coins: [Coin]

        public init(address: Address, coins: [Coin]) {
            self.address = address
            self.coins = coins
        }
    }

    public var balances: [Balance]

    public init(balances: [Balance]) { self.balances = balances }
}

extension BankModule {
    public func initGenesis(_ section: JSONValue?, context: ExecutionContext) throws(LedgerError) {
        guard let section else { return }
        let genesis: BankGenesis
        do { genesis = try section.decode(as: BankGenesis.self) } catch { throw BankError.badGenesis("\(error)") }
        for b in genesis.balances {
            for c in b.coins {
                guard Denom.isValid(c.denom) else { throw BankError.invalidDenom(c.denom) }
                try mint(c, to: b.address, context: context)
            }
        }
    }
}
