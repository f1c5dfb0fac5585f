import CairnMarket
import CairnPrimitives
import Testing

/// The wire forms of vouchers and receipts: headers round-trip, shapes are checked, signatures bind the chain.
@Suite struct VoucherWireTests {
    let key = PrivateKey.deterministic("voucher-wire")

    @Test func voucherHeaderRoundTrips() throws {
        let v = Voucher(channelID: 9, cumulative: 30, perModel: [ModelAmount(modelID: 1, amount: 10), ModelAmount(modelID: 4, amount: 20)])
        let signed = v.signed(by: key, chainID: "c")
        let parsed = try #require(SignedVoucher(headerValue: signed.headerValue))
        #expect(parsed == signed)
        #expect(parsed.isSigned(by: key.publicKey, chainID: "c"))
        #expect(!parsed.isSigned(by: PrivateKey.deterministic("other").publicKey, chainID: "c"))
    }

    @Test(arguments: ["", "not base64!", "AAAA", String(repeating: "A", count: 400)])
    func malformedVoucherHeaderIsNil(_ header: String) {
        #expect(SignedVoucher(headerValue: header) == nil)
    }

    @Test func voucherShapeIsChecked() {
        let unsorted = Voucher(channelID: 1, cumulative: 3, perModel: [ModelAmount(modelID: 2, amount: 1), ModelAmount(modelID: 1, amount: 2)])
        #expect(throws: PaymentShapeError.self) { try unsorted.validate() }
        let wrongSum = Voucher(channelID: 1, cumulative: 4, perModel: [ModelAmount(modelID: 1, amount: 3)])
        #expect(throws: PaymentShapeError.self) { try wrongSum.validate() }
        let zeroPart = Voucher(channelID: 1, cumulative: 0, perModel: [ModelAmount(modelID: 1, amount: 0)])
        #expect(throws: PaymentShapeError.self) { try zeroPart.validate() }
        #expect(throws: Never.self) { try Voucher(channelID: 1, cumulative: 0, perModel: []).validate() }
    }

    @Test func costRoundsUpToWholeUcairn() {
        let p = ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 3_000_000, embeddingPerMillion: 0)
        #expect(p.cost(promptTokens: 1, completionTokens: 0, embeddingTokens: 0) == 1)
        #expect(p.cost(promptTokens: 0, completionTokens: 2, embeddingTokens: 0) == 6)
        #expect(p.cost(promptTokens: 0, completionTokens: 0, embeddingTokens: 1_000) == 0)
        let max = ModelPrice(modelID: 1, promptPerMillion: ModelPrice.maxPerMillion, completionPerMillion: ModelPrice.maxPerMillion,
                             embeddingPerMillion: ModelPrice.maxPerMillion)
        #expect(max.cost(promptTokens: .max, completionTokens: .max, embeddingTokens: .max).value == 3 * UInt128(UInt32.max) * 1_000_000_000_000)
    }

    @Test func receiptSignatureBindsProviderAndChain() throws {
        let r = ServiceReceipt(provider: key.publicKey.address, channelID: 1, requestHash: Hash.sha256([1]), outputHash: Hash.sha256([2]),
                               modelID: 1, model: "m", promptTokens: 1, completionTokens: 2, embeddingTokens: 0,
                               price: ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 1, embeddingPerMillion: 1),
                               cost: 1, cumulative: 1, modelCumulative: 1)
        let signed = r.signed(by: key, chainID: "c")
        #expect(signed.isValid(chainID: "c"))
        #expect(!signed.isValid(chainID: "d"))
        var other = r
        other.provider = PrivateKey.deterministic("x").publicKey.address
        #expect(!other.signed(by: key, chainID: "c").isValid(chainID: "c"))
        #expect(SignedReceipt(headerValue: signed.headerValue) == signed)
    }

    @Test func theReceiptCommitsToWeightsTokenIdsAndFinishReason() throws {
        let r = ServiceReceipt(provider: key.publicKey.address, channelID: 1, requestHash: Hash.sha256([1]), outputHash: Hash.sha256([2]),
                               modelID: 1, model: "m", promptTokens: 1, completionTokens: 2, embeddingTokens: 0,
                               price: ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 1, embeddingPerMillion: 1),
                               cost: 1, cumulative: 1, modelCumulative: 1, weightsHash: Hash.sha256([3]),
                               outputTokensHash: ServiceReceipt.tokensHash([5, 700, -1]), finishReason: "length")
        let signed = r.signed(by: key, chainID: "c")
        let back = try #require(SignedReceipt(headerValue: signed.headerValue))
        #expect(back == signed && back.isValid(chainID: "c"))
        #expect(back.receipt.finishReason == "length" && back.receipt.weightsHash == Hash.sha256([3]))
        // The ids as little-endian 32-bit words.
        #expect(ServiceReceipt.tokensHash([5, 700, -1]) == Hash.sha256([5, 0, 0, 0, 0xBC, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]))
        // Changing any of them breaks the signature.
        for change in [{ (x: inout ServiceReceipt) in x.finishReason = "stop" }, { $0.weightsHash = .zero },
                       { $0.outputTokensHash = ServiceReceipt.tokensHash([5, 700]) }] {
            var forged = signed
            change(&forged.receipt)
            #expect(!forged.isValid(chainID: "c"))
        }
    }
}
