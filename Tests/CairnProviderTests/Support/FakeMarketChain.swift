import Synchronization
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire

/// An in-memory chain for the provider: channels set by the test, blocks pushed by the test, claims applied to the
/// channels as the market module would (cumulative above claimed and within the deposit, else refused).
final class FakeMarketChain: MarketChain {
    struct State {
        var channels: [UInt64: ChannelView] = [:]
        var height: UInt64 = 1
        var claims: [SignedVoucher] = []
        var subscribers: [AsyncThrowingStream<ChainBlock, any Error>.Continuation] = []
        var channelReads = 0
    }

    let chainID: String
    let state = Mutex(State())

    init(chainID: String = "provider-test") {
        self.chainID = chainID
    }

    /// Opens (or replaces) a channel.
    func put(_ view: ChannelView) { state.withLock { $0.channels[view.id] = view } }

    /// Changes a channel in place.
    func update(_ id: UInt64, _ change: (inout ChannelView) -> Void) {
        state.withLock { s in
            if var v = s.channels[id] {
                change(&v)
                s.channels[id] = v
            }
        }
    }

    /// Commits a block with `events` to every follower.
    func commit(_ channels: [UInt64] = []) {
        let (block, subscribers) = state.withLock { s in
            s.height += 1
            return (ChainBlock(height: s.height, channels: channels), s.subscribers)
        }
        for c in subscribers { c.yield(block) }
    }

    /// Ends every follower's stream with an error (a dropped connection).
    func dropConnections() {
        let subscribers = state.withLock { s in
            defer { s.subscribers = [] }
            return s.subscribers
        }
        for c in subscribers { c.finish(throwing: ProviderError(.node, "connection dropped")) }
    }

    var claims: [SignedVoucher] { state.withLock { $0.claims } }
    var channelReads: Int { state.withLock { $0.channelReads } }
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    func view(_ id: UInt64) -> ChannelView? { state.withLock { $0.channels[id] } }
    func setHeight(_ height: UInt64) { state.withLock { $0.height = height } }

    func channel(_ id: UInt64) async throws -> ChannelView? {
        state.withLock { s in
            s.channelReads += 1
            return s.channels[id]
        }
    }

    func latestHeight() async throws -> UInt64 { state.withLock { $0.height } }

    func blocks() -> AsyncThrowingStream<ChainBlock, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChainBlock, any Error>.makeStream()
        state.withLock { $0.subscribers.append(continuation) }
        return stream
    }

    func claim(_ voucher: SignedVoucher) async throws {
        try state.withLock { s throws(ClaimFailure) in
            let v = voucher.voucher
            guard var channel = s.channels[v.channelID] else { throw ClaimFailure(refusedByChain: true, message: "no channel") }
            guard let key = [UInt8](hex: channel.voucherKey).flatMap({ PublicKey(rawRepresentation: $0) }),
                  voucher.isSigned(by: key, chainID: chainID) else { throw ClaimFailure(refusedByChain: true, message: "bad signature") }
            guard v.cumulative > channel.claimed else { throw ClaimFailure(refusedByChain: true, message: "nothing new to claim") }
            guard v.cumulative <= channel.deposit else { throw ClaimFailure(refusedByChain: true, message: "above deposit") }
            guard channel.state == "open" || (channel.state == "closing" && s.height <= channel.settleHeight) else {
                throw ClaimFailure(refusedByChain: true, message: "channel settled")
            }
            channel.claimed = v.cumulative
            channel.claimedPerModel = v.perModel
            s.channels[v.channelID] = channel
            s.claims.append(voucher)
        }
    }
}

/// A client of a channel: its keys, and vouchers built from receipts.
struct TestClient {
    static let chainID = "provider-test"
    let key = PrivateKey.deterministic("provider-test-client")
    let voucherKey = PrivateKey.deterministic("provider-test-voucher")

    /// A channel view of this client with `provider`.
    func channel(_ id: UInt64, provider: Address, deposit: Amount, state: String = "open", settleHeight: UInt64 = 0) -> ChannelView {
        ChannelView(id: id, client: key.publicKey.address, provider: provider, voucherKey: voucherKey.publicKey.rawRepresentation.hexString,
                    deposit: deposit, claimed: .zero, claimedPerModel: [], state: state, openedHeight: 1, settleHeight: settleHeight)
    }

    /// A voucher for `channel` promising `parts` (model id, amount) for `usage`, signed by the channel's voucher key.
    func voucher(_ channel: UInt64, _ parts: [(UInt64, Amount)], usage: [ModelUsage] = [], signer: PrivateKey? = nil,
                 chainID: String = TestClient.chainID) -> SignedVoucher {
        let perModel = parts.filter { $0.1 > .zero }.sorted { $0.0 < $1.0 }.map { ModelAmount(modelID: $0.0, amount: $0.1) }
        let total = perModel.reduce(Amount.zero) { $0.adding($1.amount)! }
        let counted = usage.filter { $0.tokens > 0 || $0.requests > 0 }.sorted { $0.modelID < $1.modelID }
        return Voucher(channelID: channel, cumulative: total, perModel: perModel, usage: counted).signed(by: signer ?? voucherKey, chainID: chainID)
    }
}
