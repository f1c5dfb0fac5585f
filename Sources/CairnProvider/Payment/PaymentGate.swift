public import CairnPrimitives
public import CairnMarket
public import CairnWire
import Foundation

/// The provider's side of the payment protocol as a pure state machine: no I/O, no clock.
///
/// Payment is postpaid with bounded credit. A request is served only if the client's voucher covers everything
/// delivered on the channel so far (in total and per model) and the deposit left after that covers the request's
/// highest cost; after the response the client's next voucher must cover it. So the provider is never owed more
/// than the one request in flight, and a client that stops paying is refused on its next request. Requests on one
/// channel go one at a time.
///
/// The driver (``PaymentDesk``) feeds it the chain's view of each channel, persists ``record(_:)`` after every
/// change it reports, and submits the claims ``claimsDue(now:policy:)`` lists.
public struct PaymentGate: Sendable {
    /// One channel's state: the chain's view, what it owes, and what is under way.
    public struct Account: Sendable, Equatable {
        public var chain: ChainChannel?
        public var record: ChannelTab
        public var inFlight: Authorization?
        /// The cumulative of a claim submitted and not yet seen on the chain.
        public var claimPending: Amount?
        /// The cumulative of a claim the chain refused; that voucher is not submitted again.
        public var claimRefused: Amount?
    }

    public let chainID: String
    /// The provider's address: only its channels are served.
    public let provider: Address
    public internal(set) var accounts: [UInt64: Account] = [:]
    /// The latest block height seen.
    public internal(set) var height: UInt64 = 0
    var nextSerial: UInt64 = 1
    var nextPeriodicClaim: UInt64?

    /// Starts from the durable records of an earlier run.
    public init(chainID: String, provider: Address, records: [ChannelTab] = []) {
        self.chainID = chainID
        self.provider = provider
        for r in records { accounts[r.channelID] = Account(chain: nil, record: r) }
    }

    /// The durable record of a channel.
    public func record(_ channelID: UInt64) -> ChannelTab? { accounts[channelID]?.record }

    /// Whether the chain's view of the channel is known.
    public func knowsChain(_ channelID: UInt64) -> Bool { accounts[channelID]?.chain != nil }

    /// Every channel with a record or a chain view.
    public var channelIDs: [UInt64] { accounts.keys.sorted() }

    /// Takes the chain's current view of a channel.
    public mutating func chainUpdated(_ channel: ChainChannel) {
        var account = accounts[channel.id] ?? Account(chain: nil, record: ChannelTab(channelID: channel.id))
        account.chain = channel
        if let pending = account.claimPending, channel.claimed >= pending { account.claimPending = nil }
        accounts[channel.id] = account
    }

    /// Notes the chain's latest height.
    public mutating func observe(height: UInt64) {
        self.height = max(self.height, height)
    }

    /// The channel a request names: the `X-Cairn-Channel` header, else the voucher's channel.
    public static func channelID(voucherHeader: String?, channelHeader: String?) -> UInt64? {
        if let channelHeader, let id = UInt64(channelHeader.trimmingCharacters(in: .whitespaces)) { return id }
        return voucherHeader.flatMap(SignedVoucher.init(headerValue:))?.voucher.channelID
    }

    /// Decides whether a request is served.
    /// - Parameters:
    ///   - voucherHeader: the `X-Cairn-Voucher` header, if any.
    ///   - channelHeader: the `X-Cairn-Channel` header, if any; it must name the voucher's channel.
    ///   - modelID: the registry id of the model asked for.
    ///   - maxCost: the highest cost the request can reach.
    public mutating func authorize(voucherHeader: String?, channelHeader: String?, modelID: UInt64,
                                   maxCost: Amount) -> Result<Authorization, PaymentRejection> {
        let signed: SignedVoucher
        switch check(voucherHeader: voucherHeader, channelHeader: channelHeader, closingAccepted: false) {
        case .success(let s): signed = s
        case .failure(let rejection): return .failure(rejection)
        }
        let id = signed.voucher.channelID
        guard var account = accounts[id], let chain = account.chain else { return .failure(.init(.channelUnknown, "channel \(id) is not on the chain")) }
        guard account.inFlight == nil else {
            return .failure(.init(.channelBusy, "a request on channel \(id) is still being served; send the next one after its receipt"))
        }
        // The maximum cost is checked against what the deposit has left after everything delivered.
        let left = chain.deposit.subtracting(account.record.delivered) ?? .zero
        guard left >= maxCost else {
            return .failure(.init(.channelUnfunded, "channel \(id) has \(left) left of its deposit; this request may cost up to \(maxCost); top it up"))
        }
        if Self.dominates(signed, account.record.voucher) { account.record.voucher = signed }
        let ticket = Authorization(channelID: id, modelID: modelID, maxCost: maxCost, serial: nextSerial)
        nextSerial += 1
        account.inFlight = ticket
        accounts[id] = account
        return .success(ticket)
    }

    /// Takes a voucher that pays for what was delivered without asking for more: how a client pays for its last
    /// request, also while the channel is closing (the provider can claim until the settle height).
    /// - Returns: the channel's record after it (the voucher kept is the best one so far), or why it is refused.
    public mutating func settle(voucherHeader: String?, channelHeader: String?) -> Result<ChannelTab, PaymentRejection> {
        switch check(voucherHeader: voucherHeader, channelHeader: channelHeader, closingAccepted: true) {
        case .success(let signed):
            let id = signed.voucher.channelID
            guard var account = accounts[id] else { return .failure(.init(.channelUnknown, "channel \(id) is not on the chain")) }
            if Self.dominates(signed, account.record.voucher) { account.record.voucher = signed }
            accounts[id] = account
            return .success(account.record)
        case .failure(let rejection):
            return .failure(rejection)
        }
    }

    /// The checks every voucher passes: well formed, for a channel of this provider that is open (or closing, when
    /// `closingAccepted`), signed by the channel's voucher key on this chain, within the deposit, and covering
    /// everything delivered on the channel, in total and per model.
    func check(voucherHeader: String?, channelHeader: String?, closingAccepted: Bool) -> Result<SignedVoucher, PaymentRejection> {
        guard let header = voucherHeader, !header.isEmpty else {
            return .failure(.init(.voucherMissing, "paid requests carry a voucher in the \(CairnHeader.voucher) header"))
        }
        guard let signed = SignedVoucher(headerValue: header) else {
            return .failure(.init(.voucherInvalid, "\(CairnHeader.voucher) is not base64 of a signed voucher"))
        }
        let voucher = signed.voucher
        do { try voucher.validate() } catch {
            return .failure(.init(.voucherInvalid, "malformed voucher: \(error.message)"))
        }
        if let channelHeader {
            guard let named = UInt64(channelHeader.trimmingCharacters(in: .whitespaces)) else {
                return .failure(.init(.voucherInvalid, "X-Cairn-Channel must be a channel id, got '\(channelHeader.prefix(40))'"))
            }
            guard named == voucher.channelID else {
                return .failure(.init(.voucherInvalid, "the voucher is for channel \(voucher.channelID), not channel \(named)"))
            }
        }
        let id = voucher.channelID
        guard let account = accounts[id], let chain = account.chain else {
            return .failure(.init(.channelUnknown, "channel \(id) is not on the chain"))
        }
        guard chain.provider == provider else {
            return .failure(.init(.channelUnknown, "channel \(id) is with provider \(chain.provider), not this one"))
        }
        guard chain.state == .open || (closingAccepted && chain.state == .closing) else {
            return .failure(.init(.channelClosing, "channel \(id) is \(chain.state.rawValue); open a new channel"))
        }
        guard let key = chain.voucherKey, signed.isSigned(by: key, chainID: chainID) else {
            return .failure(.init(.voucherWrongKey, "the voucher is not signed by channel \(id)'s voucher key on chain \(chainID)"))
        }
        guard voucher.cumulative <= chain.deposit else {
            return .failure(.init(.voucherInvalid, "the voucher's cumulative \(voucher.cumulative) is above the deposit \(chain.deposit)"))
        }
        let record = account.record
        guard voucher.cumulative >= record.delivered else {
            return .failure(.init(.voucherBelowDelivered,
                                  "the voucher's cumulative \(voucher.cumulative) is below the \(record.delivered) delivered on channel \(id)"))
        }
        for part in record.deliveredPerModel where voucher.amount(for: part.modelID) < part.amount {
            return .failure(.init(.voucherBelowDelivered, "the voucher gives model \(part.modelID) \(voucher.amount(for: part.modelID)), "
                                  + "below the \(part.amount) delivered for it"))
        }
        if let (got, part) = voucher.usage.shortfall(against: record.deliveredUsage) {
            return .failure(.init(.voucherBelowDelivered, "the voucher counts \(got.tokens) tokens and \(got.requests) requests for model "
                                  + "\(part.modelID), below the \(part.tokens) tokens and \(part.requests) requests delivered"))
        }
        return .success(signed)
    }

    /// Whether `new` should replace `old` as the voucher to claim: a higher total, and no model lower, in amount or usage.
    static func dominates(_ new: SignedVoucher, _ old: SignedVoucher?) -> Bool {
        guard let old else { return true }
        guard new.voucher.cumulative > old.voucher.cumulative else { return false }
        return old.voucher.perModel.allSatisfy { new.voucher.amount(for: $0.modelID) >= $0.amount }
            && new.voucher.usage.covers(old.voucher.usage)
    }

    /// What one delivery charged and the channel's totals after it.
    public struct Delivery: Sendable, Equatable {
        /// The cost charged: the metered cost, capped at the authorized maximum.
        public var cost: Amount
        public var cumulative: Amount
        public var modelCumulative: Amount
        /// The model's tokens and requests on the channel after it.
        public var modelUsage: ModelUsage

        public init(cost: Amount, cumulative: Amount, modelCumulative: Amount, modelUsage: ModelUsage) {
            self.cost = cost
            self.cumulative = cumulative
            self.modelCumulative = modelCumulative
            self.modelUsage = modelUsage
        }
    }

    /// Records that an authorized request was served at `cost` (capped at its maximum), counting `tokens`; nil for a
    /// ticket that is not the channel's request in flight.
    public mutating func delivered(_ ticket: Authorization, cost: Amount, tokens: UInt64 = 0) -> Delivery? {
        guard var account = accounts[ticket.channelID], account.inFlight == ticket else { return nil }
        let charged = min(cost, ticket.maxCost)
        var record = account.record
        // Cannot overflow: the deposit bounds delivered plus the authorized maximum.
        record.delivered = record.delivered.adding(charged) ?? record.delivered
        let modelTotal = record.delivered(for: ticket.modelID).adding(charged) ?? .zero
        record.deliveredPerModel.removeAll { $0.modelID == ticket.modelID }
        if modelTotal > .zero { record.deliveredPerModel.append(ModelAmount(modelID: ticket.modelID, amount: modelTotal)) }
        record.deliveredPerModel.sort { $0.modelID < $1.modelID }
        // A channel's count cannot reach 2^64 tokens: a client could only get there through a voucher it signed.
        record.deliveredUsage = record.deliveredUsage.adding(tokens: tokens, to: ticket.modelID) ?? record.deliveredUsage
        account.record = record
        account.inFlight = nil
        accounts[ticket.channelID] = account
        return Delivery(cost: charged, cumulative: record.delivered, modelCumulative: modelTotal,
                        modelUsage: record.deliveredUsage.usage(for: ticket.modelID))
    }

    /// Ends an authorized request that delivered nothing (it failed, or the client left before the end).
    public mutating func release(_ ticket: Authorization) {
        guard accounts[ticket.channelID]?.inFlight == ticket else { return }
        accounts[ticket.channelID]?.inFlight = nil
    }
}
