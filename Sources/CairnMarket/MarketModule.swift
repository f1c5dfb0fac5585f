public import CairnPrimitives
public import CairnLedger

/// The market module: a registry of providers (endpoint, hardware, models and prices) backed by their
/// stake, and payment channels from clients to providers, claimed with client-signed cumulative vouchers
/// and split between the protocol fee, the models' royalties and the provider.
public struct MarketModule: LedgerModule {
    /// `market`: the state prefix and error codespace.
    public let name = MarketKeys.module
    let bank: any MarketBank
    let stake: any MarketStake
    let models: any MarketModels
    let challenges: (any MarketChallenges)?

    /// The market over the bank (escrow, payouts, burn), staking (providers' stake), the models registry
    /// (royalty terms and payments) and, where verification runs, its challenges (a provider's claims wait while one
    /// against it is undecided).
    public init(bank: any MarketBank, stake: any MarketStake, models: any MarketModels, challenges: (any MarketChallenges)? = nil) {
        self.bank = bank
        self.stake = stake
        self.models = models
        self.challenges = challenges
    }

    /// The seven market messages by type name.
    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgRegisterProvider.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRegisterProvider(canonicalBytes: b) },
            MsgUpdateProvider.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgUpdateProvider(canonicalBytes: b) },
            MsgDeregisterProvider.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgDeregisterProvider(canonicalBytes: b) },
            MsgOpenChannel.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgOpenChannel(canonicalBytes: b) },
            MsgTopUpChannel.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgTopUpChannel(canonicalBytes: b) },
            MsgCloseChannel.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgCloseChannel(canonicalBytes: b) },
            MsgClaim.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgClaim(canonicalBytes: b) },
        ]
    }

    /// Executes one market message signed by `signer`.
    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgRegisterProvider: try register(m.spec, signer: signer, context: context)
        case let m as MsgUpdateProvider: try update(m.spec, signer: signer, context: context)
        case is MsgDeregisterProvider: try deregister(signer: signer, context: context)
        case let m as MsgOpenChannel: try open(m, signer: signer, context: context)
        case let m as MsgTopUpChannel: try topUp(m, signer: signer, context: context)
        case let m as MsgCloseChannel: try close(m, signer: signer, context: context)
        case let m as MsgClaim: try claim(m.voucher, signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    // MARK: Helpers

    static func native(_ amount: Amount) -> Coin { Coin(denom: Denom.native, amount: amount) }

    /// Runs a read through another module's protocol, keeping its ledger errors and calling anything else corrupt.
    func read<T>(_ body: () throws -> T) throws(LedgerError) -> T {
        do { return try body() } catch let e as LedgerError { throw e } catch { throw MarketError.corrupt("\(error)") }
    }
}
