public import CairnPrimitives
public import CairnLedger

/// Errors of the market module (codespace `market`). Codes are stable; never renumber.
public enum MarketError {
    /// The codespace of every market error.
    public static let codespace = "market"

    /// A malformed message (endpoint, models, prices, voucher shape, zero amount, a channel to oneself).
    public static func invalidMessage(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 1, message: why)
    }
    /// The signer is not an operator of kind provider in staking.
    public static func notProvider(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 2, message: "\(what) is not a provider operator in staking (register one with staking/create-provider)")
    }
    /// A model id that the models module does not know.
    public static func unknownModel(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 3, message: "model \(id) is not registered")
    }
    /// The signer registered before.
    public static func providerExists(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 4, message: "provider \(what) is already registered (use update-provider)")
    }
    /// An address that is not a registered provider.
    public static func unknownProvider(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 5, message: "\(what) is not a registered provider")
    }
    /// A channel id that does not exist.
    public static func unknownChannel(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 6, message: "no channel \(id)")
    }
    /// Only the channel's client may top it up or close it.
    public static func notClient(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 7, message: "only the client of channel \(id) may do this")
    }
    /// Only the channel's provider may claim on it.
    public static func notChannelProvider(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 8, message: "only the provider of channel \(id) may claim on it")
    }
    /// A top-up or close of a channel that is closing or closed.
    public static func channelNotOpen(_ id: UInt64, state: String) -> LedgerError {
        LedgerError(module: codespace, code: 9, message: "channel \(id) is \(state), not open")
    }
    /// A claim on a closed channel or after its settle deadline.
    public static func settlePassed(_ id: UInt64, _ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 10, message: "channel \(id) takes no more claims: \(why)")
    }
    /// The voucher's signature is not the channel voucher key's on this chain.
    public static func badVoucherSignature(_ id: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 11, message: "the voucher for channel \(id) is not signed by the channel's voucher key on this chain")
    }
    /// A voucher whose cumulative equals what was claimed: a double claim or a replay.
    public static func nothingToClaim(_ id: UInt64, claimed: Amount) -> LedgerError {
        LedgerError(module: codespace, code: 12, message: "nothing new to claim on channel \(id): \(claimed) was already claimed")
    }
    /// A voucher below what was claimed, in total or for one model: claims only ever increase.
    public static func voucherBelowClaimed(_ id: UInt64, _ what: String, got: Amount, claimed: Amount) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "voucher for channel \(id): \(what) \(got) is below the \(claimed) already claimed")
    }
    /// A voucher whose tokens or requests for a model are below what was claimed for it (the same code: a voucher below
    /// what was claimed).
    public static func voucherUsageBelowClaimed(_ id: UInt64, model: UInt64, got: ModelUsage, claimed: ModelUsage) -> LedgerError {
        LedgerError(module: codespace, code: 13, message: "voucher for channel \(id): model \(model)'s usage (\(got.tokens) tokens, "
                    + "\(got.requests) requests) is below the \(claimed.tokens) tokens and \(claimed.requests) requests already claimed")
    }
    /// A voucher whose cumulative is above the channel's deposit.
    public static func voucherAboveDeposit(_ id: UInt64, cumulative: Amount, deposit: Amount) -> LedgerError {
        LedgerError(module: codespace, code: 14, message: "voucher for channel \(id): cumulative \(cumulative) is above the deposit \(deposit)")
    }
    /// An amount or id past its type's range.
    public static func overflow(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 15, message: "arithmetic overflow in \(what)")
    }
    /// A state record that does not decode.
    public static func corrupt(_ what: String) -> LedgerError {
        LedgerError(module: codespace, code: 16, message: "corrupt market record: \(what)")
    }
    /// A genesis section that does not decode or validate.
    public static func badGenesis(_ why: String) -> LedgerError {
        LedgerError(module: codespace, code: 17, message: "invalid market genesis: \(why)")
    }
    /// A claim of a provider with an undecided challenge against it: it waits for the verdict.
    public static func challengePending(_ provider: Address, challenge: UInt64) -> LedgerError {
        LedgerError(module: codespace, code: 18, message: "claims of \(provider) wait: challenge \(challenge) against it is not decided yet")
    }
}
