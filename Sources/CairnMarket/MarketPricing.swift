public import CairnPrimitives

/// What a provider charges for one model, in ucairn per million tokens of each kind.
public struct ModelPrice: Sendable, Equatable, Codable, CanonicalCodable {
    public var modelID: UInt64
    public var promptPerMillion: Amount
    public var completionPerMillion: Amount
    public var embeddingPerMillion: Amount

    /// The highest price per million tokens accepted (keeps every cost computation far from overflow).
    public static let maxPerMillion = Amount(1_000_000_000_000_000_000)

    public init(modelID: UInt64, promptPerMillion: Amount, completionPerMillion: Amount, embeddingPerMillion: Amount) {
        self.modelID = modelID
        self.promptPerMillion = promptPerMillion
        self.completionPerMillion = completionPerMillion
        self.embeddingPerMillion = embeddingPerMillion
    }

    /// The cost of a request: the token counts times their prices, divided by a million and rounded up, so a
    /// request that uses tokens never costs zero at a non-zero price.
    public func cost(promptTokens: UInt32, completionTokens: UInt32, embeddingTokens: UInt32) -> Amount {
        // Prices are at most 1e18 and counts below 2^32, so each product is below 4.3e27 and the sum fits.
        let micro = UInt128(promptTokens) * promptPerMillion.value
            + UInt128(completionTokens) * completionPerMillion.value
            + UInt128(embeddingTokens) * embeddingPerMillion.value
        return Amount((micro + 999_999) / 1_000_000)
    }

    /// Whether every price is within `maxPerMillion`.
    public var isWithinLimits: Bool {
        promptPerMillion <= Self.maxPerMillion && completionPerMillion <= Self.maxPerMillion && embeddingPerMillion <= Self.maxPerMillion
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(modelID)
        w.write(promptPerMillion)
        w.write(completionPerMillion)
        w.write(embeddingPerMillion)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        modelID = try r.readUInt64()
        promptPerMillion = try r.readAmount()
        completionPerMillion = try r.readAmount()
        embeddingPerMillion = try r.readAmount()
    }
}

/// A provider's machine, as it declares it.
public struct Hardware: Sendable, Equatable, Codable, CanonicalCodable {
    public var cpuCores: UInt32
    public var memoryBytes: UInt64
    public var gpus: UInt32
    /// The GPU model ("" when there are none).
    public var gpuModel: String

    public init(cpuCores: UInt32, memoryBytes: UInt64, gpus: UInt32 = 0, gpuModel: String = "") {
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
        self.gpus = gpus
        self.gpuModel = gpuModel
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(cpuCores)
        w.write(memoryBytes)
        w.write(gpus)
        w.write(gpuModel)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        cpuCores = try r.readUInt32()
        memoryBytes = try r.readUInt64()
        gpus = try r.readUInt32()
        gpuModel = try r.readString(limit: 128)
    }
}
