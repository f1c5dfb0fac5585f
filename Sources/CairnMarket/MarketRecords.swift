public import CairnPrimitives
import CairnLedger

/// A registered provider, at `market/prov/<address>`.
public struct ProviderRecord: Sendable, Equatable, CanonicalCodable {
    /// What the provider registered.
    public var spec: ProviderSpec
    /// The height of the registration.
    public var registeredHeight: UInt64
    /// The height of the last update (the registration's until one).
    public var updatedHeight: UInt64

    /// A registration of `spec` made at `registeredHeight` and last changed at `updatedHeight`.
    public init(spec: ProviderSpec, registeredHeight: UInt64, updatedHeight: UInt64) {
        self.spec = spec
        self.registeredHeight = registeredHeight
        self.updatedHeight = updatedHeight
    }

    /// The canonical encoding stored in state.
    public func encode(to w: inout CanonicalWriter) {
        spec.encode(to: &w)
        w.write(registeredHeight)
        w.write(updatedHeight)
    }

    /// Decodes the canonical encoding.
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        spec = try ProviderSpec(from: &r)
        registeredHeight = try r.readUInt64()
        updatedHeight = try r.readUInt64()
    }
}

/// Where a channel is in its life: open, closing (claims still accepted until the settle height), closed.
public enum ChannelState: UInt8, Sendable, Codable {
    /// Takes top-ups, claims and a close.
    case open = 0
    /// Takes claims until the end of its settle height.
    case closing = 1
    /// Refunded; takes nothing more.
    case closed = 2

    /// `open`, `closing` or `closed`, as the API and events show it.
    public var name: String {
        switch self {
        case .open: "open"
        case .closing: "closing"
        case .closed: "closed"
        }
    }
}

/// A payment channel, at `market/ch/<id, 8 bytes BE>`. The record stays after the channel is closed.
public struct ChannelRecord: Sendable, Equatable, CanonicalCodable {
    /// Who escrowed the deposit and may top up and close.
    public var client: Address
    /// Who may claim.
    public var provider: Address
    /// The 32-byte Ed25519 key that signs the channel's vouchers.
    public var voucherKey: [UInt8]
    /// Everything the client escrowed (opening deposit and top-ups).
    public var deposit: Amount
    /// The cumulative total claimed so far (never above `deposit`).
    public var claimed: Amount
    /// What was claimed per model, sorted by model id, no zero amounts; sums to `claimed`.
    public var claimedPerModel: [ModelAmount]
    /// The tokens and requests of the claimed vouchers per model, sorted by model id.
    public var claimedUsage: [ModelUsage]
    /// Open, closing or closed.
    public var state: ChannelState
    /// The height the channel was opened at.
    public var openedHeight: UInt64
    /// The height at whose end the rest is refunded, while closing or closed; 0 while open.
    public var settleHeight: UInt64

    /// A new open channel with nothing claimed.
    public init(client: Address, provider: Address, voucherKey: [UInt8], deposit: Amount, openedHeight: UInt64) {
        self.client = client
        self.provider = provider
        self.voucherKey = voucherKey
        self.deposit = deposit
        claimed = .zero
        claimedPerModel = []
        claimedUsage = []
        state = .open
        self.openedHeight = openedHeight
        settleHeight = 0
    }

    /// What is escrowed for the channel: the deposit not yet claimed (zero once closed and refunded).
    public var unclaimed: Amount { state == .closed ? .zero : Amount(deposit.value - claimed.value) }

    /// The amount claimed for `modelID` (zero when none was).
    public func claimed(for modelID: UInt64) -> Amount {
        claimedPerModel.first { $0.modelID == modelID }?.amount ?? .zero
    }

    /// The canonical encoding stored in state.
    public func encode(to w: inout CanonicalWriter) {
        w.write(client)
        w.write(provider)
        w.write(bytes: voucherKey)
        w.write(deposit)
        w.write(claimed)
        w.write(array: claimedPerModel) { w, p in
            w.write(p.modelID)
            w.write(p.amount)
        }
        w.write(state.rawValue)
        w.write(openedHeight)
        w.write(settleHeight)
        ModelUsage.write(claimedUsage, to: &w)
    }

    /// Decodes the canonical encoding.
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        client = try r.readAddress()
        provider = try r.readAddress()
        voucherKey = try r.readBytes(limit: 32)
        deposit = try r.readAmount()
        claimed = try r.readAmount()
        claimedPerModel = try r.readArray(limit: Voucher.maxModels) { (r: inout CanonicalReader) throws(DecodeError) in
            ModelAmount(modelID: try r.readUInt64(), amount: try r.readAmount())
        }
        guard let s = ChannelState(rawValue: try r.readUInt8()) else { throw DecodeError("unknown channel state") }
        state = s
        openedHeight = try r.readUInt64()
        settleHeight = try r.readUInt64()
        // Records written before usage was claimed end here.
        claimedUsage = r.isAtEnd ? [] : try ModelUsage.read(from: &r)
    }
}

/// The market module's state keys.
public enum MarketKeys {
    /// The module name and state prefix.
    public static let module = "market"
    /// `market/params`: `MarketParams`, sorted-key JSON.
    public static let params = StateKey.make(module, "params")
    /// `market/next-channel`: the id the next channel gets (8 bytes BE; absent means 1).
    public static let nextChannel = StateKey.make(module, "next-channel")
    static let providerPrefix = StateKey.make(module, "prov") + [UInt8(ascii: "/")]
    static let channelPrefix = StateKey.make(module, "ch") + [UInt8(ascii: "/")]
    static let byClientPrefix = StateKey.make(module, "chc") + [UInt8(ascii: "/")]
    static let byProviderPrefix = StateKey.make(module, "chp") + [UInt8(ascii: "/")]
    static let settlePrefix = StateKey.make(module, "settle") + [UInt8(ascii: "/")]

    /// `market/prov/<address>`.
    public static func provider(_ a: Address) -> [UInt8] { StateKey.make(prefix: providerPrefix, a.bytes) }

    /// `market/ch/<id>`.
    public static func channel(_ id: UInt64) -> [UInt8] { channelPrefix + StateKey.bigEndian(id) }

    /// `market/chc/<client>/`: the client's channels, in id order.
    static func channels(ofClient a: Address) -> [UInt8] { byClientPrefix + a.bytes + [UInt8(ascii: "/")] }

    /// `market/chp/<provider>/`: the provider's channels, in id order.
    static func channels(ofProvider a: Address) -> [UInt8] { byProviderPrefix + a.bytes + [UInt8(ascii: "/")] }

    /// `market/settle/<height>/`: the channels whose rest is refunded at the end of `height`.
    static func settleQueue(at height: UInt64) -> [UInt8] { settlePrefix + StateKey.bigEndian(height) + [UInt8(ascii: "/")] }
}
