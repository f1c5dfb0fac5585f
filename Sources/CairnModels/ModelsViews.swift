public import CairnPrimitives

/// A registered model as the API shows it.
public struct ModelView: Sendable, Equatable, Codable {
    public var id: UInt64
    public var name: String
    public var weightsHash: Hash
    public var format: ModelFormat
    public var architecture: String
    public var licence: String
    public var royaltyBps: UInt32
    public var owner: Address
    /// The share denomination once shares are issued, else nil.
    public var sharesDenom: String?
    /// Shares issued (zero before).
    public var shares: Amount
    /// Every royalty the model has earned.
    public var royaltiesEarned: Amount
    public var registeredHeight: UInt64

    public init(id: UInt64, name: String, weightsHash: Hash, format: ModelFormat, architecture: String, licence: String,
                royaltyBps: UInt32, owner: Address, sharesDenom: String?, shares: Amount, royaltiesEarned: Amount,
                registeredHeight: UInt64) {
        self.id = id
        self.name = name
        self.weightsHash = weightsHash
        self.format = format
        self.architecture = architecture
        self.licence = licence
        self.royaltyBps = royaltyBps
        self.owner = owner
        self.sharesDenom = sharesDenom
        self.shares = shares
        self.royaltiesEarned = royaltiesEarned
        self.registeredHeight = registeredHeight
    }
}
