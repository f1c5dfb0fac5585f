public import CairnPrimitives
public import CairnLedger

/// Gas of each market message beyond a transaction's intrinsic gas.
public enum MarketGas {
    public static let registerProvider: UInt64 = 40_000
    public static let deregisterProvider: UInt64 = 20_000
    public static let openChannel: UInt64 = 30_000
    public static let topUp: UInt64 = 15_000
    public static let closeChannel: UInt64 = 15_000
    /// A claim verifies a signature and pays each model's royalty.
    public static let claim: UInt64 = 40_000
    public static let claimPerModel: UInt64 = 10_000
}

/// What a provider registers: where it serves, on what machine, which registered models at what prices.
public struct ProviderSpec: Sendable, Equatable, Codable, CanonicalCodable {
    /// The provider's HTTP base URL (`http://` or `https://`, at most 256 bytes).
    public var endpoint: String
    public var hardware: Hardware
    /// Sorted by model id, no repeats, at most `maxModels`.
    public var models: [ModelPrice]

    public static let maxModels = 32

    public init(endpoint: String, hardware: Hardware, models: [ModelPrice]) {
        self.endpoint = endpoint
        self.hardware = hardware
        self.models = models
    }

    public func validate() throws(LedgerError) {
        guard endpoint.utf8.count <= 256, endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw MarketError.invalidMessage("endpoint must be an http:// or https:// URL of at most 256 bytes")
        }
        guard !models.isEmpty, models.count <= Self.maxModels else {
            throw MarketError.invalidMessage("a provider serves 1 to \(Self.maxModels) models")
        }
        for (i, m) in models.enumerated() {
            if i > 0, m.modelID <= models[i - 1].modelID { throw MarketError.invalidMessage("models must be sorted by id without repeats") }
            guard m.isWithinLimits else { throw MarketError.invalidMessage("price of model \(m.modelID) is above \(ModelPrice.maxPerMillion) per million") }
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(endpoint)
        hardware.encode(to: &w)
        w.write(array: models) { w, m in m.encode(to: &w) }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        endpoint = try r.readString(limit: 1024)
        hardware = try Hardware(from: &r)
        models = try r.readArray(limit: Self.maxModels) { (r: inout CanonicalReader) throws(DecodeError) in try ModelPrice(from: &r) }
    }
}

/// `market/register-provider`: lists the signer, a bonded provider operator of the staking module.
public struct MsgRegisterProvider: LedgerMessage, Equatable {
    public static let typeName = "market/register-provider"
    public var spec: ProviderSpec
    public init(_ spec: ProviderSpec) { self.spec = spec }
    public var gas: UInt64 { MarketGas.registerProvider }
    public func validate() throws(LedgerError) { try spec.validate() }
    public func encode(to w: inout CanonicalWriter) { spec.encode(to: &w) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { spec = try ProviderSpec(from: &r) }
}

/// `market/update-provider`: replaces the signer's registration.
public struct MsgUpdateProvider: LedgerMessage, Equatable {
    public static let typeName = "market/update-provider"
    public var spec: ProviderSpec
    public init(_ spec: ProviderSpec) { self.spec = spec }
    public var gas: UInt64 { MarketGas.registerProvider }
    public func validate() throws(LedgerError) { try spec.validate() }
    public func encode(to w: inout CanonicalWriter) { spec.encode(to: &w) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { spec = try ProviderSpec(from: &r) }
}

/// `market/deregister-provider`: removes the signer's registration (its open channels stay claimable).
public struct MsgDeregisterProvider: LedgerMessage, Equatable {
    public static let typeName = "market/deregister-provider"
    public init() {}
    public var gas: UInt64 { MarketGas.deregisterProvider }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) {}
    public init(from r: inout CanonicalReader) throws(DecodeError) {}
}

/// `market/open-channel`: the signer (the client) escrows `deposit` ucairn for `provider`; vouchers on the
/// channel must be signed by `voucherKey`. The new channel's id is in the `market.channel_opened` event.
public struct MsgOpenChannel: LedgerMessage, Equatable {
    public static let typeName = "market/open-channel"
    public var provider: Address
    public var deposit: Amount
    /// 32-byte Ed25519 public key that signs this channel's vouchers.
    public var voucherKey: [UInt8]

    public init(provider: Address, deposit: Amount, voucherKey: PublicKey) {
        self.provider = provider
        self.deposit = deposit
        self.voucherKey = voucherKey.rawRepresentation
    }

    public var gas: UInt64 { MarketGas.openChannel }

    public func validate() throws(LedgerError) {
        guard deposit > .zero else { throw MarketError.invalidMessage("a channel's deposit must be greater than zero") }
        guard PublicKey(rawRepresentation: voucherKey) != nil else { throw MarketError.invalidMessage("voucher key is not a 32-byte Ed25519 key") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(provider)
        w.write(deposit)
        w.write(bytes: voucherKey)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        provider = try r.readAddress()
        deposit = try r.readAmount()
        voucherKey = try r.readBytes(limit: 64)
    }
}

/// `market/top-up`: the channel's client adds to its deposit (an open channel only).
public struct MsgTopUpChannel: LedgerMessage, Equatable {
    public static let typeName = "market/top-up"
    public var channelID: UInt64
    public var amount: Amount

    public init(channelID: UInt64, amount: Amount) {
        self.channelID = channelID
        self.amount = amount
    }

    public var gas: UInt64 { MarketGas.topUp }
    public func validate() throws(LedgerError) {
        guard amount > .zero else { throw MarketError.invalidMessage("a top-up must be greater than zero") }
    }
    public func encode(to w: inout CanonicalWriter) {
        w.write(channelID)
        w.write(amount)
    }
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        channelID = try r.readUInt64()
        amount = try r.readAmount()
    }
}

/// `market/close-channel`: the client starts closing; the provider may still claim until the settle deadline,
/// when what is left returns to the client.
public struct MsgCloseChannel: LedgerMessage, Equatable {
    public static let typeName = "market/close-channel"
    public var channelID: UInt64
    public init(channelID: UInt64) { self.channelID = channelID }
    public var gas: UInt64 { MarketGas.closeChannel }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) { w.write(channelID) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { channelID = try r.readUInt64() }
}

/// `market/claim`: the channel's provider redeems the client's latest voucher; the increase over what was
/// claimed before is split into protocol fee, royalties and the provider's earnings.
public struct MsgClaim: LedgerMessage, Equatable {
    public static let typeName = "market/claim"
    public var voucher: SignedVoucher
    public init(voucher: SignedVoucher) { self.voucher = voucher }
    public var gas: UInt64 { MarketGas.claim + MarketGas.claimPerModel * UInt64(voucher.voucher.perModel.count) }
    public func validate() throws(LedgerError) {
        do { try voucher.voucher.validate() } catch { throw MarketError.invalidMessage("malformed voucher: \(error.message)") }
        guard voucher.signature.count == 64 else { throw MarketError.invalidMessage("a voucher signature is 64 bytes") }
    }
    public func encode(to w: inout CanonicalWriter) { voucher.encode(to: &w) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { voucher = try SignedVoucher(from: &r) }
}
