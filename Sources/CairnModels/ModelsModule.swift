public import CairnPrimitives
public import CairnLedger

/// The models module: a registry of models as NFTs (weights hash, format, licence, royalty, owner),
/// transferable; royalties paid for a model's use go to its owner, or, once the owner has issued revenue
/// shares, to the share holders pro rata through a reward-per-share accumulator.
///
/// Shares are an ordinary bank denomination (`model/<id>`) moved by `bank/send`; the bank tells
/// `ModelsShareObserver` before any share balance changes, which settles the holder's royalties first.
public struct ModelsModule: LedgerModule {
    public let name = ModelsKeys.module
    let bank: any ModelsBank

    /// The module over `bank`.
    public init(bank: any ModelsBank) {
        self.bank = bank
    }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgRegisterModel.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRegisterModel(canonicalBytes: b) },
            MsgTransferModel.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgTransferModel(canonicalBytes: b) },
            MsgIssueShares.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgIssueShares(canonicalBytes: b) },
            MsgClaimRoyalties.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgClaimRoyalties(canonicalBytes: b) },
        ]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgRegisterModel: _ = try register(m.spec, owner: signer, context: context)
        case let m as MsgTransferModel: try transfer(m, signer: signer, context: context)
        case let m as MsgIssueShares: try issueShares(m, signer: signer, context: context)
        case let m as MsgClaimRoyalties: try claimRoyalties(m, signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    /// Native coins.
    static func native(_ amount: Amount) -> Coin { Coin(denom: Denom.native, amount: amount) }
}
