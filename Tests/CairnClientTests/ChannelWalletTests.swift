import CairnClient
import CairnMarket
import CairnPrimitives
import CairnTestSupport
import Foundation
import Testing

/// The wallet's receipt checks and durable state, on channels adopted from chain views (no node needed).
@Suite struct ChannelWalletTests {
    static let chainID = "cairn-wallet-test"
    let client = PrivateKey.deterministic("wallet-client")
    let provider = PrivateKey.deterministic("wallet-provider")
    let price = ModelPrice(modelID: 7, promptPerMillion: 2_000_000, completionPerMillion: 4_000_000, embeddingPerMillion: 500_000)
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    var path: String { directory.path("wallet.json") }

    func wallet(key: PrivateKey? = nil, chainID: String = Self.chainID) throws -> ChannelWallet {
        try ChannelWallet(node: try NodeClient(url: "http://127.0.0.1:9"), key: key ?? client, chainID: chainID, path: path)
    }

    func view(id: UInt64 = 1, deposit: Amount = 1_000_000, claimed: Amount = .zero) -> ChannelView {
        ChannelView(id: id, client: client.publicKey.address, provider: provider.publicKey.address,
                    voucherKey: client.publicKey.rawRepresentation.hexString, deposit: deposit, claimed: claimed,
                    claimedPerModel: claimed > .zero ? [ModelAmount(modelID: 7, amount: claimed)] : [], state: "open",
                    openedHeight: 3, settleHeight: 0)
    }

    /// A receipt as an honest provider signs it after `delivered` (and `tokensBefore` in `requestsBefore` requests) for a
    /// request of the given token counts.
    func receipt(channel: UInt64 = 1, delivered: Amount, tokensBefore: UInt64 = 0, requestsBefore: UInt64 = 0, prompt: UInt32 = 100,
                 completion: UInt32 = 50, signer: PrivateKey? = nil, cost: Amount? = nil, cumulative: Amount? = nil,
                 price: ModelPrice? = nil, modelTokens: UInt64? = nil) -> SignedReceipt {
        let p = price ?? self.price
        let c = cost ?? p.cost(promptTokens: prompt, completionTokens: completion, embeddingTokens: 0)
        let total = cumulative ?? Amount(delivered.value + c.value)
        let r = ServiceReceipt(provider: (signer ?? provider).publicKey.address, channelID: channel, requestHash: Hash.sha256([1]),
                               outputHash: Hash.sha256([2]), modelID: p.modelID, model: "smollm2", promptTokens: prompt,
                               completionTokens: completion, embeddingTokens: 0, price: p, cost: c, cumulative: total,
                               modelCumulative: total, modelTokens: modelTokens ?? tokensBefore + UInt64(prompt) + UInt64(completion),
                               modelRequests: requestsBefore + 1)
        return r.signed(by: signer ?? provider, chainID: Self.chainID)
    }

    @Test func acceptedReceiptsRaiseTheVoucherByExactlyTheirCost() async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        #expect(try await w.voucher(for: 1).voucher.cumulative == .zero)
        // 100 prompt tokens at 2 ucairn each plus 50 completion tokens at 4 ucairn each.
        let first = try await w.accept(receipt(delivered: .zero), channel: 1, price: price)
        #expect(first.delivered == 400)
        let second = try await w.accept(receipt(delivered: 400, tokensBefore: 150, requestsBefore: 1, prompt: 1, completion: 0),
                                        channel: 1, price: price)
        // 1 token at 2 ucairn per token.
        #expect(second.delivered == 402)
        let voucher = try await w.voucher(for: 1)
        // The voucher also counts the receipts' tokens (150 + 1) and requests (2).
        #expect(voucher.voucher == Voucher(channelID: 1, cumulative: 402, perModel: [ModelAmount(modelID: 7, amount: 402)],
                                           usage: [ModelUsage(modelID: 7, tokens: 151, requests: 2)]))
        #expect(voucher.isSigned(by: client.publicKey, chainID: Self.chainID))
        #expect(!voucher.isSigned(by: client.publicKey, chainID: "other-chain"))
    }

    @Test func receiptFromAnotherKeyIsRefused() async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        let forged = receipt(delivered: .zero, signer: PrivateKey.deterministic("someone-else"))
        await #expect(throws: ClientError.self) { try await w.accept(forged, channel: 1, price: price) }
        #expect(try await w.channel(1)?.delivered == .zero)
    }

    @Test func tamperedReceiptIsRefused() async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        var signed = receipt(delivered: .zero)
        signed.receipt.completionTokens = 10
        await #expect(throws: ClientError.self) { try await w.accept(signed, channel: 1, price: price) }
    }

    @Test(arguments: [
        ("overcharged cost", Amount(401) as Amount?, nil as Amount?),
        ("cumulative beyond delivered plus cost", nil as Amount?, Amount(500) as Amount?),
        ("cumulative that forgets earlier requests", nil as Amount?, Amount(399) as Amount?),
    ] as [(String, Amount?, Amount?)])
    func receiptThatChargesWronglyIsRefused(_ label: String, cost: Amount?, cumulative: Amount?) async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        let bad = receipt(delivered: .zero, cost: cost, cumulative: cumulative)
        await #expect(throws: ClientError.self, "\(label)") { try await w.accept(bad, channel: 1, price: price) }
        #expect(try await w.channel(1)?.delivered == .zero)
    }

    @Test(arguments: [UInt64(149), 151, 0])
    func receiptThatMiscountsTheModelsTokensIsRefused(_ modelTokens: UInt64) async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        let bad = receipt(delivered: .zero, modelTokens: modelTokens)
        await #expect(throws: ClientError.self) { try await w.accept(bad, channel: 1, price: price) }
        #expect(try await w.voucher(for: 1).voucher.usage.isEmpty)
    }

    @Test func usageSurvivesReopeningAndAWalletWrittenWithoutItLoads() async throws {
        do {
            let w = try wallet()
            _ = try await w.adopt(view())
            _ = try await w.accept(receipt(delivered: .zero), channel: 1, price: price)
        }
        #expect(try #require(await wallet().channel(1)).usage == [ModelUsage(modelID: 7, tokens: 150, requests: 1)])
        // A wallet file from before usage was counted: the channel loads with none.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var channels = try #require(json["channels"] as? [[String: Any]])
        channels[0].removeValue(forKey: "usage")
        var old = json
        old["channels"] = channels
        try JSONSerialization.data(withJSONObject: old).write(to: URL(fileURLWithPath: path))
        let reopened = try #require(await wallet().channel(1))
        #expect(reopened.usage.isEmpty && reopened.delivered == 400)
    }

    @Test func receiptAtAnotherPriceIsRefused() async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        var dearer = price
        dearer.completionPerMillion = 40_000_000
        await #expect(throws: ClientError.self) { try await w.accept(receipt(delivered: .zero, price: dearer), channel: 1, price: price) }
    }

    @Test func receiptBeyondTheDepositIsRefused() async throws {
        let w = try wallet()
        _ = try await w.adopt(view(deposit: 300))
        await #expect(throws: ClientError.self) { try await w.accept(receipt(delivered: .zero), channel: 1, price: price) }
    }

    @Test func receiptForAnotherChannelIsRefused() async throws {
        let w = try wallet()
        _ = try await w.adopt(view(id: 1))
        _ = try await w.adopt(view(id: 2))
        await #expect(throws: ClientError.self) { try await w.accept(receipt(channel: 2, delivered: .zero), channel: 1, price: price) }
    }

    @Test func stateSurvivesReopening() async throws {
        do {
            let w = try wallet()
            _ = try await w.adopt(view(claimed: 100))
            _ = try await w.accept(receipt(delivered: 100), channel: 1, price: price)
        }
        let reopened = try wallet()
        let channel = try #require(await reopened.channel(1))
        #expect(channel.delivered == 500)
        #expect(channel.receipts == 1)
        #expect(channel.available == 999_500)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test func receiptsAcceptedWithoutPersistingAreWrittenByTheNextFlush() async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        _ = try await w.accept(receipt(delivered: .zero), channel: 1, price: price, persist: false)
        #expect(try await w.voucher(for: 1).voucher.cumulative == 400, "the next voucher pays for it at once")
        // Not written yet: a process dying now would reopen the wallet without it.
        #expect(try #require(await wallet().channel(1)).delivered == .zero)
        try await w.flush()
        #expect(try #require(await wallet().channel(1)).delivered == 400)
    }

    @Test func walletOfAnotherClientOrChainIsRefused() async throws {
        let w = try wallet()
        _ = try await w.adopt(view())
        #expect(throws: ClientError.self) { _ = try wallet(key: PrivateKey.deterministic("intruder")) }
        #expect(throws: ClientError.self) { _ = try wallet(chainID: "another-chain") }
    }

    @Test func corruptWalletFileIsReportedAndLeftAlone() throws {
        let garbage = Data("{\"version\": 1, \"chan".utf8)
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try wallet()
        } throws: { error in
            (error as? ClientError)?.message.contains("corrupt") == true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test func channelOfAnotherClientCannotBeAdopted() async throws {
        let w = try wallet()
        var foreign = view()
        foreign.client = provider.publicKey.address
        await #expect(throws: ClientError.self) { _ = try await w.adopt(foreign) }
    }
}
