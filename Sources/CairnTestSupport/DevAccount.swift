public import CairnPrimitives
public import CairnLedger
public import CairnBank
import CairnApp

/// A deterministic key pair for tests and devnets: the same name always gives the same key.
public struct DevAccount: Sendable, Hashable {
    public let name: String
    public let key: PrivateKey

    /// The key derived from `name` (never use such keys for real funds).
    public init(_ name: String) {
        self.name = name
        self.key = PrivateKey.deterministic("cairn-test/\(name)")
    }

    public var publicKey: PublicKey { key.publicKey }
    public var address: Address { publicKey.address }

    /// `count` accounts named `<prefix>-0`, `<prefix>-1`, ...
    public static func make(_ count: Int, prefix: String = "account") -> [DevAccount] {
        (0..<count).map { DevAccount("\(prefix)-\($0)") }
    }

    public static func == (a: DevAccount, b: DevAccount) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension DevAccount {
    /// A signed transaction carrying `messages`.
    public func transaction(_ messages: [RawMessage], nonce: UInt64, chainID: String = TestGenesis.chainID,
                            gasLimit: UInt64 = 50_000, maxFee: Amount = 20, tip: Amount = 2, memo: String = "") -> Transaction {
        TransactionBody(chainID: chainID, signer: publicKey, nonce: nonce, gasLimit: gasLimit, maxFeePerGas: maxFee,
                        maxPriorityFeePerGas: tip, messages: messages, memo: memo).signed(with: key)
    }

    /// A signed `bank/send` of `amount` ucairn to `to`.
    public func send(_ amount: Amount, to: Address, nonce: UInt64, chainID: String = TestGenesis.chainID,
                     gasLimit: UInt64 = 50_000, maxFee: Amount = 20, tip: Amount = 2) -> Transaction {
        transaction([RawMessage(MsgSend(to: to, coins: [Coin(denom: Denom.native, amount: amount)]))], nonce: nonce,
                    chainID: chainID, gasLimit: gasLimit, maxFee: maxFee, tip: tip)
    }
}

/// Builds genesis files for tests: one validator and funded accounts, through the bank's real genesis section.
public enum TestGenesis {
    /// The chain id tests use unless they say otherwise.
    public static let chainID = "cairn-test"
    /// 2023-11-14T22:13:20Z in milliseconds.
    public static let defaultTime: UInt64 = 1_700_000_000_000

    /// A genesis giving each of `funded` its coins.
    public static func make(chainID: String = TestGenesis.chainID, time: UInt64 = defaultTime, params: ChainParams = .default,
                            validator: DevAccount = DevAccount("validator"),
                            funded: [(address: Address, coins: [Coin])]) throws -> Genesis {
        let bank = BankGenesis(balances: funded.map { BankGenesis.Balance(address: $0.address, coins: $0.coins) })
        return Genesis(chainID: chainID, genesisTime: time, params: params,
                       validators: [GenesisValidator(name: validator.name, publicKey: validator.publicKey)],
                       modules: [BankKeys.module: try JSONValue(encoding: bank)])
    }

    /// A genesis giving each account `balance` ucairn.
    public static func make(chainID: String = TestGenesis.chainID, time: UInt64 = defaultTime, params: ChainParams = .default,
                            validator: DevAccount = DevAccount("validator"), accounts: [DevAccount],
                            balance: Amount) throws -> Genesis {
        try make(chainID: chainID, time: time, params: params, validator: validator,
                 funded: accounts.map { (address: $0.address, coins: [Coin(denom: Denom.native, amount: balance)]) })
    }

    /// The ledger wired as the node wires it.
    public static func makeLedger() -> Ledger { LedgerWiring.makeLedger() }
}
