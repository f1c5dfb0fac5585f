import Testing
import Foundation
import CairnPrimitives
import CairnMarket
import CairnInference
import CairnProvider
import CairnWire

/// The built-in engine behind the provider: real SmolLM2 and MiniLM (found through `CAIRN_MODELS` or `./.models`).
/// Whether the real models are installed where `ModelLocator` looks.
let engineModelsInstalled = (try? ModelLocator().path(for: "smollm2")) != nil && (try? ModelLocator().path(for: "minilm")) != nil

@Suite(.enabled(if: engineModelsInstalled, "SmolLM2 and MiniLM are not installed"))
struct EngineBackendTests {
    static func backend() throws -> EngineBackend {
        var chat = ProviderHarness.chatModel
        chat.name = "smollm2"
        var embed = ProviderHarness.embeddingModel
        embed.name = "minilm"
        let locator = ModelLocator()
        return try EngineBackend([
            (chat, try EngineBackend.loadLanguageModel(path: try locator.path(for: "smollm2"), contextLength: 128)),
            (embed, try EngineBackend.loadEmbeddingModel(directory: try locator.path(for: "minilm"))),
        ])
    }

    @Test func smolLM2AndMiniLMServePaidRequests() async throws {
        let backend = try Self.backend()
        #expect(backend.models.map(\.contextLength) == [128, 256])
        try await ProviderHarness.with(backend: { _ in backend }) { h in
            let chat = try await h.request("/v1/chat/completions", body: ProviderHarness.chat("What is 2+2?", maxTokens: 4, model: "smollm2"),
                                           voucher: h.voucher(after: nil))
            #expect(chat.status == 200, "\(chat.body)")
            let first = try #require(chat.receipt)
            #expect(first.isValid(chainID: TestClient.chainID))
            #expect(first.receipt.promptTokens > 10)
            #expect((1...4).contains(first.receipt.completionTokens))
            let text = try #require(((chat.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String)
            #expect(first.receipt.outputHash == Hash.sha256(Array(text.utf8)))

            let streamed = try await h.request("/v1/chat/completions",
                                               body: ProviderHarness.chat("Hi", maxTokens: 4, stream: true, model: "smollm2"),
                                               voucher: h.voucher(after: first))
            #expect(streamed.status == 200)
            #expect(streamed.events.last?.data == "[DONE]")
            let receiptEvent = try #require(streamed.events.dropLast().last)
            #expect(receiptEvent.event == CairnHeader.receiptEvent)
            let second = try #require(SignedReceipt(headerValue: receiptEvent.data))
            #expect(second.receipt.cumulative == first.receipt.cumulative.adding(second.receipt.cost))

            let embeddings = try await h.request("/v1/embeddings", body: #"{"model":"minilm","input":["a cat","a dog"]}"#,
                                                 voucher: h.voucher(after: second))
            #expect(embeddings.status == 200, "\(embeddings.body)")
            let vectors = (embeddings.json?["data"] as? [[String: Any]])?.compactMap { $0["embedding"] as? [Double] } ?? []
            #expect(vectors.map(\.count) == [384, 384])
            let third = try #require(embeddings.receipt)
            #expect(third.receipt.embeddingTokens == 8, "[CLS] a cat [SEP] and [CLS] a dog [SEP]")

            let long = String(repeating: "word ", count: 300)
            let tooLong = try await h.request("/v1/chat/completions", body: ProviderHarness.chat(long, model: "smollm2"),
                                              voucher: h.voucher(after: second, earlier: [third]))
            #expect(tooLong.status == 400)
            #expect(tooLong.errorCode == "context_length_exceeded")
        }
    }
}
