import Testing
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire

/// The payment gate's decisions, one table row per rule of the payment protocol.
@Suite struct PaymentGateTests {
    static let client = TestClient()
    static let provider = PrivateKey.deterministic("provider-test-provider").publicKey.address
    static let other = PrivateKey.deterministic("provider-test-other").publicKey.address
    static let model: UInt64 = 7

    static func chain(_ id: UInt64 = 1, deposit: Amount = 1000, state: ChainChannel.State = .open, provider: Address = provider) -> ChainChannel {
        ChainChannel(id: id, client: client.key.publicKey.address, provider: provider, voucherKey: client.voucherKey.publicKey,
                     deposit: deposit, state: state, settleHeight: state == .open ? 0 : 50)
    }

    static func delivered(_ amount: Amount, model: UInt64 = model) -> ChannelTab {
        ChannelTab(channelID: 1, delivered: amount, deliveredPerModel: amount > .zero ? [ModelAmount(modelID: model, amount: amount)] : [])
    }

    static func header(_ parts: [(UInt64, Amount)], usage: [ModelUsage] = [], channel: UInt64 = 1, signer: PrivateKey? = nil,
                       chainID: String = TestClient.chainID) -> String {
        client.voucher(channel, parts, usage: usage, signer: signer, chainID: chainID).headerValue
    }

    /// `requests` requests of `tokens` tokens in all on `model`.
    static func used(_ tokens: UInt64, _ requests: UInt64, model: UInt64 = model) -> [ModelUsage] {
        [ModelUsage(modelID: model, tokens: tokens, requests: requests)]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var chain: ChainChannel? = PaymentGateTests.chain()
        var record: ChannelTab?
        var voucher: String?
        var channelHeader: String? = "1"
        var maxCost: Amount = 100
        /// nil: accepted.
        var expected: PaymentRejection.Code?
        var testDescription: String { name }
    }

    static let malformed: String = {
        // Parts summing to 50 under a cumulative of 60.
        Voucher(channelID: 1, cumulative: 60, perModel: [ModelAmount(modelID: model, amount: 50)])
            .signed(by: client.voucherKey, chainID: TestClient.chainID).headerValue
    }()

    static let cases: [Case] = [
        Case(name: "no voucher", voucher: nil, expected: .voucherMissing),
        Case(name: "empty voucher header", voucher: "", expected: .voucherMissing),
        Case(name: "voucher not base64 of a signed voucher", voucher: "%%%not-a-voucher", expected: .voucherInvalid),
        Case(name: "voucher parts not summing to its total", voucher: malformed, expected: .voucherInvalid),
        Case(name: "channel header naming another channel", voucher: header([]), channelHeader: "2", expected: .voucherInvalid),
        Case(name: "channel header not a number", voucher: header([]), channelHeader: "one", expected: .voucherInvalid),
        Case(name: "channel not on the chain", chain: nil, voucher: header([]), expected: .channelUnknown),
        Case(name: "channel with another provider", chain: chain(provider: other), voucher: header([]), expected: .channelUnknown),
        Case(name: "voucher signed by another key", voucher: header([(model, 10)], signer: PrivateKey.deterministic("mallory")),
             expected: .voucherWrongKey),
        Case(name: "voucher signed for another chain", voucher: header([(model, 10)], chainID: "other-chain"), expected: .voucherWrongKey),
        Case(name: "voucher above the deposit", voucher: header([(model, 1001)]), maxCost: 0, expected: .voucherInvalid),
        Case(name: "voucher below what was delivered", record: delivered(100), voucher: header([(model, 99)]), expected: .voucherBelowDelivered),
        Case(name: "replayed first voucher after a delivery", record: delivered(30), voucher: header([]), expected: .voucherBelowDelivered),
        Case(name: "voucher moving a model's amount to another model", record: delivered(100), voucher: header([(model + 1, 100)]),
             expected: .voucherBelowDelivered),
        Case(name: "voucher counting fewer tokens than delivered",
             record: ChannelTab(channelID: 1, delivered: 100, deliveredPerModel: [ModelAmount(modelID: model, amount: 100)],
                                deliveredUsage: used(500, 2)),
             voucher: header([(model, 100)], usage: used(499, 2)), expected: .voucherBelowDelivered),
        Case(name: "voucher counting fewer requests than delivered",
             record: ChannelTab(channelID: 1, delivered: 100, deliveredPerModel: [ModelAmount(modelID: model, amount: 100)],
                                deliveredUsage: used(500, 2)),
             voucher: header([(model, 100)], usage: used(500, 1)), expected: .voucherBelowDelivered),
        Case(name: "voucher covering amounts and usage delivered",
             record: ChannelTab(channelID: 1, delivered: 100, deliveredPerModel: [ModelAmount(modelID: model, amount: 100)],
                                deliveredUsage: used(500, 2)),
             voucher: header([(model, 100)], usage: used(500, 2)), expected: nil),
        Case(name: "closing channel", chain: chain(state: .closing), voucher: header([]), expected: .channelClosing),
        Case(name: "closed channel", chain: chain(state: .closed), voucher: header([]), expected: .channelClosing),
        Case(name: "deposit left below the request's maximum cost", record: delivered(950), voucher: header([(model, 950)]), maxCost: 51,
             expected: .channelUnfunded),
        Case(name: "first request with an empty voucher", voucher: header([]), expected: nil),
        Case(name: "first request without the channel header", voucher: header([]), channelHeader: nil, expected: nil),
        Case(name: "voucher covering everything delivered", record: delivered(950), voucher: header([(model, 950)]), maxCost: 50, expected: nil),
        Case(name: "voucher paying ahead of delivery", record: delivered(100), voucher: header([(model, 300)]), expected: nil),
    ]

    @Test(arguments: cases)
    func authorization(_ c: Case) {
        var gate = PaymentGate(chainID: TestClient.chainID, provider: Self.provider, records: c.record.map { [$0] } ?? [])
        if let chain = c.chain { gate.chainUpdated(chain) }
        let result = gate.authorize(voucherHeader: c.voucher, channelHeader: c.channelHeader, modelID: Self.model, maxCost: c.maxCost)
        switch result {
        case .success(let ticket):
            #expect(c.expected == nil, "accepted, expected \(c.expected?.rawValue ?? "")")
            #expect(ticket.maxCost == c.maxCost)
        case .failure(let rejection):
            #expect(rejection.code == c.expected, "\(rejection)")
            #expect(!rejection.message.isEmpty)
        }
    }

    @Test func aClientThatStopsPayingIsServedOnceMoreThenRefused() throws {
        var gate = PaymentGate(chainID: TestClient.chainID, provider: Self.provider)
        gate.chainUpdated(Self.chain())
        let first = Self.header([])
        let ticket = try gate.authorize(voucherHeader: first, channelHeader: "1", modelID: Self.model, maxCost: 100).get()
        let deliveryResult = gate.delivered(ticket, cost: 40, tokens: 12)
        let delivery = try #require(deliveryResult)
        #expect(delivery == PaymentGate.Delivery(cost: 40, cumulative: 40, modelCumulative: 40, modelUsage: Self.used(12, 1)[0]))
        // The same voucher again no longer covers what was delivered, nor one that pays without counting the request.
        let again = gate.authorize(voucherHeader: first, channelHeader: "1", modelID: Self.model, maxCost: 100)
        #expect(again.failureCode == .voucherBelowDelivered)
        let uncounted = gate.authorize(voucherHeader: Self.header([(Self.model, 40)]), channelHeader: "1", modelID: Self.model, maxCost: 100)
        #expect(uncounted.failureCode == .voucherBelowDelivered)
        // The voucher of the receipt's cumulative and usage does.
        let paid = try gate.authorize(voucherHeader: Self.header([(Self.model, 40)], usage: Self.used(12, 1)), channelHeader: "1",
                                      modelID: Self.model, maxCost: 100).get()
        #expect(gate.record(1)?.voucher?.voucher.cumulative == 40)
        gate.release(paid)
        #expect(gate.record(1)?.delivered == 40)
    }

    @Test func aVoucherAlonePaysForTheLastRequestAlsoWhileClosing() throws {
        var gate = PaymentGate(chainID: TestClient.chainID, provider: Self.provider)
        gate.chainUpdated(Self.chain())
        let ticket = try gate.authorize(voucherHeader: Self.header([]), channelHeader: "1", modelID: Self.model, maxCost: 100).get()
        _ = gate.delivered(ticket, cost: 30)
        // Below what was delivered, from another key, or for another provider's channel: refused, nothing kept.
        #expect(gate.settle(voucherHeader: Self.header([(Self.model, 20)]), channelHeader: "1").failureCode == .voucherBelowDelivered)
        #expect(gate.settle(voucherHeader: Self.header([(Self.model, 30)], signer: PrivateKey.deterministic("forger")), channelHeader: "1")
            .failureCode == .voucherWrongKey)
        #expect(gate.settle(voucherHeader: nil, channelHeader: "1").failureCode == .voucherMissing)
        #expect(gate.record(1)?.voucher?.voucher.cumulative == 0)
        // The client closes the channel; its voucher for the last request is still taken and kept for the claim.
        gate.chainUpdated(Self.chain(state: .closing))
        let record = try gate.settle(voucherHeader: Self.header([(Self.model, 30)], usage: Self.used(0, 1)), channelHeader: "1").get()
        #expect(record.voucher?.voucher.cumulative == 30 && record.delivered == 30)
        // A closing channel serves no new request, and a closed one takes no voucher.
        #expect(gate.authorize(voucherHeader: Self.header([(Self.model, 30)], usage: Self.used(0, 1)), channelHeader: "1", modelID: Self.model,
                               maxCost: 1).failureCode == .channelClosing)
        gate.chainUpdated(Self.chain(state: .closed))
        #expect(gate.settle(voucherHeader: Self.header([(Self.model, 30)], usage: Self.used(0, 1)), channelHeader: "1").failureCode == .channelClosing)
    }

    @Test func oneRequestAtATimePerChannel() throws {
        var gate = PaymentGate(chainID: TestClient.chainID, provider: Self.provider)
        gate.chainUpdated(Self.chain())
        let ticket = try gate.authorize(voucherHeader: Self.header([]), channelHeader: "1", modelID: Self.model, maxCost: 10).get()
        #expect(gate.authorize(voucherHeader: Self.header([]), channelHeader: "1", modelID: Self.model, maxCost: 10).failureCode == .channelBusy)
        gate.release(ticket)
        #expect(gate.delivered(ticket, cost: 5) == nil, "a released ticket delivers nothing")
        _ = try gate.authorize(voucherHeader: Self.header([]), channelHeader: "1", modelID: Self.model, maxCost: 10).get()
    }

    @Test func chargeIsCappedAtTheAuthorizedMaximum() throws {
        var gate = PaymentGate(chainID: TestClient.chainID, provider: Self.provider)
        gate.chainUpdated(Self.chain(deposit: 100))
        let ticket = try gate.authorize(voucherHeader: Self.header([]), channelHeader: "1", modelID: Self.model, maxCost: 60).get()
        let deliveryResult = gate.delivered(ticket, cost: 500)
        let delivery = try #require(deliveryResult)
        #expect(delivery.cost == 60)
        #expect(gate.record(1)?.delivered == 60)
        // 40 left: a request that may cost 41 is refused.
        let next = gate.authorize(voucherHeader: Self.header([(Self.model, 60)], usage: Self.used(0, 1)), channelHeader: "1", modelID: Self.model,
                                  maxCost: 41)
        #expect(next.failureCode == .channelUnfunded)
    }

    @Test func deliveriesAreKeptPerModel() throws {
        var gate = PaymentGate(chainID: TestClient.chainID, provider: Self.provider)
        gate.chainUpdated(Self.chain())
        let a = try gate.authorize(voucherHeader: Self.header([]), channelHeader: "1", modelID: 9, maxCost: 50).get()
        _ = gate.delivered(a, cost: 20, tokens: 7)
        let b = try gate.authorize(voucherHeader: Self.header([(9, 20)], usage: Self.used(7, 1, model: 9)), channelHeader: "1", modelID: 3,
                                   maxCost: 50).get()
        let deliveryResult = gate.delivered(b, cost: 15, tokens: 5)
        let delivery = try #require(deliveryResult)
        #expect(delivery.cumulative == 35)
        #expect(delivery.modelCumulative == 15)
        let record = try #require(gate.record(1))
        #expect(record.deliveredPerModel == [ModelAmount(modelID: 3, amount: 15), ModelAmount(modelID: 9, amount: 20)])
        #expect(record.deliveredUsage == [ModelUsage(modelID: 3, tokens: 5, requests: 1), ModelUsage(modelID: 9, tokens: 7, requests: 1)])
        try record.validate()
    }
}

extension Result where Failure == PaymentRejection {
    var failureCode: PaymentRejection.Code? {
        if case .failure(let r) = self { return r.code }
        return nil
    }
}
