public import CairnPrimitives
public import CairnLedger
public import CairnMarket
public import CairnModels

/// One committed block as the provider follows it: its height and the payment channels its market events change.
public struct ChainBlock: Sendable, Equatable {
    public var height: UInt64
    /// The channels opened, topped up, claimed on, closing or closed in the block, in event order.
    public var channels: [UInt64]

    public init(height: UInt64, channels: [UInt64]) {
        self.height = height
        self.channels = channels
    }
}

/// What the provider reads from and sends to the chain while serving: channels, blocks, claims.
///
/// The node-backed implementation is ``NodeChain``; tests use a fake.
public protocol MarketChain: Sendable {
    /// The chain id vouchers and receipts are signed on.
    var chainID: String { get }
    /// The chain's view of a channel, or nil when there is none.
    func channel(_ id: UInt64) async throws -> ChannelView?
    /// The latest committed height.
    func latestHeight() async throws -> UInt64
    /// The blocks committed from now on, until the connection ends (the stream then finishes or throws).
    func blocks() -> AsyncThrowingStream<ChainBlock, any Error>
    /// Claims `voucher` with a `market/claim` signed by the provider's key and waits for its receipt.
    /// - Throws: ``ClaimFailure``.
    func claim(_ voucher: SignedVoucher) async throws
}

/// Why a claim failed: refused by the chain (its receipt carries the ledger error) or never included.
public struct ClaimFailure: Error, Sendable, CustomStringConvertible {
    /// Whether the chain refused it (as opposed to a failure to reach the chain).
    public var refusedByChain: Bool
    public var message: String

    public init(refusedByChain: Bool, message: String) {
        self.refusedByChain = refusedByChain
        self.message = message
    }

    public var description: String { message }
}

/// What the provider needs from the chain to start: the model registry, its staking operator and its listing.
public protocol ProviderRegistry: Sendable {
    /// The chain id transactions are signed on.
    var chainID: String { get }
    /// Registered models whose weights hash is `hash`.
    func models(weightsHash: Hash) async throws -> [ModelView]
    /// Registered models named `name` (at most one).
    func models(name: String) async throws -> [ModelView]
    /// The staking operator kind of `address` (`validator` or `provider`), or nil when it is not an operator.
    func operatorKind(_ address: Address) async throws -> String?
    /// The market's listing of `address`, or nil when it is not registered.
    func provider(_ address: Address) async throws -> ProviderView?
    /// Signs `messages` with the provider's key in one transaction, submits it and waits for its receipt (which
    /// carries the ledger error of a failed transaction).
    /// - Throws: `ProviderError` `.node` when the transaction cannot be sent.
    func send(_ messages: [any LedgerMessage]) async throws -> Receipt
}
