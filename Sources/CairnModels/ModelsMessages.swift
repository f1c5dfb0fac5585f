public import CairnPrimitives
public import CairnLedger

/// Gas of each models message beyond a transaction's intrinsic gas.
public enum ModelsGas {
    public static let register: UInt64 = 40_000
    public static let transfer: UInt64 = 15_000
    public static let issueShares: UInt64 = 30_000
    public static let claimRoyalties: UInt64 = 20_000
}

/// The weight formats a model can be registered in.
public enum ModelFormat: String, Sendable, CaseIterable, Codable {
    case gguf
    case safetensors
    /// A classifier head trained on the chain over a base model's embeddings (the training module's canonical encoding).
    case head = "cairn-head"
}

/// What registering a model takes. The signer becomes the owner of the model's NFT.
public struct ModelSpec: Sendable, Equatable, Codable, CanonicalCodable {
    /// A short name (1 to 64 bytes of a-z, 0-9, '-', '.', '_'), unique on the chain.
    public var name: String
    /// SHA-256 of the weights file; unique on the chain (one NFT per artifact).
    public var weightsHash: Hash
    public var format: ModelFormat
    /// The architecture (`llama`, `bert`, ...), 1 to 64 bytes.
    public var architecture: String
    /// The licence (an SPDX id such as `Apache-2.0`), 1 to 64 bytes.
    public var licence: String
    /// The royalty on every use, in basis points of what is paid for the model (capped by `maxRoyaltyBps`).
    public var royaltyBps: UInt32

    public init(name: String, weightsHash: Hash, format: ModelFormat, architecture: String, licence: String, royaltyBps: UInt32) {
        self.name = name
        self.weightsHash = weightsHash
        self.format = format
        self.architecture = architecture
        self.licence = licence
        self.royaltyBps = royaltyBps
    }

    /// Whether `name` is a valid model name.
    public static func isValidName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (1...64).contains(u.count) else { return false }
        return u.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 || $0 == 95 }
    }

    public func validate() throws(LedgerError) {
        guard Self.isValidName(name) else { throw ModelsError.invalidMessage("model name must be 1 to 64 bytes of a-z, 0-9, '-', '.', '_'") }
        guard (1...64).contains(architecture.utf8.count) else { throw ModelsError.invalidMessage("architecture must be 1 to 64 bytes") }
        guard (1...64).contains(licence.utf8.count) else { throw ModelsError.invalidMessage("licence must be 1 to 64 bytes") }
        guard royaltyBps <= 10_000 else { throw ModelsError.invalidMessage("royalty of \(royaltyBps) basis points is above 10000") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(name)
        w.write(weightsHash)
        w.write(format.rawValue)
        w.write(architecture)
        w.write(licence)
        w.write(royaltyBps)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        name = try r.readString(limit: 256)
        weightsHash = try r.readHash()
        let f = try r.readString(limit: 32)
        guard let format = ModelFormat(rawValue: f) else { throw DecodeError("unknown model format \(f)") }
        self.format = format
        architecture = try r.readString(limit: 256)
        licence = try r.readString(limit: 256)
        royaltyBps = try r.readUInt32()
    }
}

/// `models/register`: registers a model; the signer owns it. Its id is in the `models.registered` event.
public struct MsgRegisterModel: LedgerMessage, Equatable {
    public static let typeName = "models/register"
    public var spec: ModelSpec
    public init(_ spec: ModelSpec) { self.spec = spec }
    public var gas: UInt64 { ModelsGas.register }
    public func validate() throws(LedgerError) {
        try spec.validate()
        guard spec.format != .head else { throw ModelsError.invalidMessage("cairn-head models are registered by the training jobs that train them") }
    }
    public func encode(to w: inout CanonicalWriter) { spec.encode(to: &w) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { spec = try ModelSpec(from: &r) }
}

/// `models/transfer`: the owner gives the model's NFT (and the royalties it earns from now on) to `to`.
public struct MsgTransferModel: LedgerMessage, Equatable {
    public static let typeName = "models/transfer"
    public var modelID: UInt64
    public var to: Address

    public init(modelID: UInt64, to: Address) {
        self.modelID = modelID
        self.to = to
    }

    public var gas: UInt64 { ModelsGas.transfer }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) {
        w.write(modelID)
        w.write(to)
    }
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        modelID = try r.readUInt64()
        to = try r.readAddress()
    }
}

/// `models/issue-shares`: the owner issues `shares` revenue shares of the model (denomination
/// `ModelShares.denom(id)`, minted to the owner, once); from then on royalties go to share holders pro rata.
public struct MsgIssueShares: LedgerMessage, Equatable {
    public static let typeName = "models/issue-shares"
    public var modelID: UInt64
    public var shares: Amount

    public init(modelID: UInt64, shares: Amount) {
        self.modelID = modelID
        self.shares = shares
    }

    public var gas: UInt64 { ModelsGas.issueShares }
    public func validate() throws(LedgerError) {
        guard shares > .zero, shares.value <= ModelShares.maxShares else {
            throw ModelsError.invalidMessage("shares must be 1 to \(ModelShares.maxShares)")
        }
    }
    public func encode(to w: inout CanonicalWriter) {
        w.write(modelID)
        w.write(shares)
    }
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        modelID = try r.readUInt64()
        shares = try r.readAmount()
    }
}

/// `models/claim-royalties`: pays the signer the royalties its shares of the model have earned.
public struct MsgClaimRoyalties: LedgerMessage, Equatable {
    public static let typeName = "models/claim-royalties"
    public var modelID: UInt64
    public init(modelID: UInt64) { self.modelID = modelID }
    public var gas: UInt64 { ModelsGas.claimRoyalties }
    public func validate() throws(LedgerError) {}
    public func encode(to w: inout CanonicalWriter) { w.write(modelID) }
    public init(from r: inout CanonicalReader) throws(DecodeError) { modelID = try r.readUInt64() }
}

/// Revenue shares of models.
public enum ModelShares {
    /// The denomination of model `id`'s shares.
    public static func denom(_ id: UInt64) -> String { "model/\(id)" }
    /// The model id of a share denomination, or nil.
    public static func modelID(ofDenom denom: String) -> UInt64? {
        guard denom.hasPrefix("model/") else { return nil }
        return UInt64(denom.dropFirst(6))
    }
    /// The most shares a model can have (keeps the per-share accumulator exact).
    public static let maxShares: UInt128 = 1_000_000_000_000_000_000
}
