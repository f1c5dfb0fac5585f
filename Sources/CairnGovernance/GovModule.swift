public import CairnPrimitives
public import CairnLedger

/// The governance module: proposals (text, parameter change, treasury spend), deposits, stake-weighted
/// votes, tally and execution; the treasury's spending; decentralization figures.
public struct GovModule: LedgerModule {
    public let name = GovKeys.module
    let bank: any GovBank
    let stake: any GovStake

    /// The escrow account that holds deposits while a proposal is open.
    public static let escrow = ModuleAccount.address(GovKeys.module)

    public init(bank: any GovBank, stake: any GovStake) {
        self.bank = bank
        self.stake = stake
    }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgSubmitProposal.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgSubmitProposal(canonicalBytes: b) },
            MsgDeposit.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgDeposit(canonicalBytes: b) },
            MsgVote.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgVote(canonicalBytes: b) },
        ]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgSubmitProposal: try submit(m, signer: signer, context: context)
        case let m as MsgDeposit: try deposit(m, signer: signer, context: context)
        case let m as MsgVote: try vote(m, signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    public func endBlock(context: ExecutionContext) throws(LedgerError) {
        let store = GovStore(state: context.state)
        for id in try store.read.queued(.deposit, at: context.height) {
            try expire(id, store: store, context: context)
        }
        for id in try store.read.queued(.voting, at: context.height) {
            try finish(id, store: store, context: context)
        }
    }

    /// Native coins.
    static func native(_ amount: Amount) -> Coin { Coin(denom: Denom.native, amount: amount) }
}
