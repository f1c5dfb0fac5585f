import Foundation
import Testing
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnTrainer
import CairnWire
import NIOHTTP1

/// `POST /v1/cairn/classify` on the provider's server: a trained head over the fake embedding model (whose vector of a
/// text is its length in characters, its words, and 1), priced and receipted as the head.
@Suite struct ClassifyRouteTests {
    typealias H = ProviderHarness

    /// "short" while a text has fewer than 10 characters, "long" from then on: logits (10 − characters, 0).
    static let head: ServedHead = {
        let served = ServedModel(name: "train-job-1", price: ModelPrice(modelID: 9, promptPerMillion: 0, completionPerMillion: 0,
                                                                        embeddingPerMillion: 5_000_000),
                                 contextLength: 512, generates: false, embeds: false)
        let classifier = Head(shape: HeadShape(inputs: 3, hidden: 0, labels: 2), parameters: [-1, 0, 0, 0, 0, 0, 10, 0])
        return ServedHead(served: served, head: classifier, labels: ["short", "long"], base: H.embeddingModel)
    }()

    @Test func textsAreLabelledAndPaidAsTheHead() async throws {
        try await H.with(heads: [Self.head]) { h in
            let r = try await h.request("/v1/cairn/classify", body: #"{"model":"train-job-1","input":["hi","a much longer text"]}"#,
                                        voucher: h.voucher(after: nil))
            #expect(r.status == 200, "\(r.body)")
            let body = try JSONDecoder().decode(ClassifyBody.self, from: Data(r.body.utf8))
            #expect(body.data.map(\.label) == ["short", "long"])
            #expect(body.data[0].probabilities.map(\.label) == ["short", "long"])
            #expect(abs(body.data[0].probabilities.map(\.probability).reduce(0, +) - 1) < 1e-6)
            // The fake model counts words as tokens: 1 + 4; the head's price, 5 ucairn a token; the head's model id.
            let receipt = try #require(r.receipt)
            #expect(receipt.receipt.embeddingTokens == 5 && receipt.receipt.cost == 25)
            #expect(receipt.receipt.modelID == 9)
            #expect(receipt.receipt.outputHash == Hash.sha256(Array(r.body.utf8)))
            let one = try await h.request("/v1/cairn/classify", body: #"{"model":"train-job-1","input":"fine"}"#, voucher: h.voucher(after: receipt))
            #expect(one.status == 200 && one.body.contains("\"short\""), "\(one.body)")
        }
    }

    @Test func badRequestsAreRefused() async throws {
        try await H.with(heads: [Self.head]) { h in
            let unknown = try await h.request("/v1/cairn/classify", body: #"{"model":"train-job-7","input":"x"}"#, voucher: h.voucher(after: nil))
            #expect(unknown.status == 404)
            let notHead = try await h.request("/v1/cairn/classify", body: #"{"model":"fake-embed","input":"x"}"#, voucher: h.voucher(after: nil))
            #expect(notHead.status == 400 && notHead.body.contains("not a classifier"))
            let empty = try await h.request("/v1/cairn/classify", body: #"{"model":"train-job-1","input":[]}"#, voucher: h.voucher(after: nil))
            #expect(empty.status == 400)
            let blank = try await h.request("/v1/cairn/classify", body: #"{"model":"train-job-1","input":["a",""]}"#, voucher: h.voucher(after: nil))
            #expect(blank.status == 400)
            let unpaid = try await h.request("/v1/cairn/classify", body: #"{"model":"train-job-1","input":"x"}"#)
            #expect(unpaid.status == 402)
            let listed = try await h.request("/v1/models", method: .GET)
            #expect(listed.body.contains("train-job-1"))
        }
    }
}
