import Testing
import Foundation
import CairnPrimitives
import CairnMarket
import CairnInference
import CairnProvider
import CairnWire
import NIOHTTP1

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
            let choice = try #require((chat.json?["choices"] as? [[String: Any]])?.first)
            let text = try #require((choice["message"] as? [String: Any])?["content"] as? String)
            #expect(first.receipt.outputHash == Hash.sha256(Array(text.utf8)))
            // This engine reports the token ids it generated: the receipt commits to them, the weights and the finish reason.
            #expect(first.receipt.outputTokensHash != .zero && first.receipt.outputTokensHash != ServiceReceipt.tokensHash([]))
            #expect(first.receipt.weightsHash == ProviderHarness.chatModel.weightsHash)
            #expect(first.receipt.finishReason == choice["finish_reason"] as? String)
            #expect(chat.headers[CairnHeader.capacity.lowercased()] == "32", "the scheduler's sequence limit")

            let streamed = try await h.request("/v1/chat/completions",
                                               body: ProviderHarness.chat("Hi", maxTokens: 4, stream: true, model: "smollm2"),
                                               voucher: h.voucher(after: first))
            #expect(streamed.status == 200)
            #expect(streamed.events.last?.data == "[DONE]")
            #expect(streamed.headers[CairnHeader.capacity.lowercased()] == "32")
            let receiptEvent = try #require(streamed.events.dropLast().last)
            #expect(receiptEvent.event == CairnHeader.receiptEvent)
            let second = try #require(SignedReceipt(headerValue: receiptEvent.data))
            #expect(second.receipt.cumulative == first.receipt.cumulative.adding(second.receipt.cost))

            let embeddings = try await h.request("/v1/embeddings", body: #"{"model":"minilm","input":["a cat","a dog"]}"#,
                                                 voucher: h.voucher(after: second))
            #expect(embeddings.status == 200, "\(embeddings.body)")
            let vectors = (embeddings.json?["data"] as? [[String: Any]])?.compactMap { $0["embedding"] as? [Double] } ?? []
            #expect(vectors.map(\.count) == [384, 384])
            #expect(embeddings.headers[CairnHeader.capacity.lowercased()] == "64", "the batcher's texts per batch")
            let third = try #require(embeddings.receipt)
            #expect(third.receipt.embeddingTokens == 8, "[CLS] a cat [SEP] and [CLS] a dog [SEP]")

            let logprobs = try await Self.checkLogprobs(h, after: [first, second, third])

            let choices = try await Self.checkChoices(h, after: [first, second, third] + logprobs)

            // The batch's figures: nothing running now, the tokens of the requests above counted.
            let metrics = try await h.request("/metrics", method: .GET)
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("cairn_provider_batch_running{model=\"smollm2\"} 0"), "\(metrics.body)")
            #expect(metrics.body.contains("cairn_provider_batch_max_sequences{model=\"smollm2\"} 32"))
            // The repeated prompts of the requests above started after the ones kept before them.
            func value(_ name: String) -> Int? {
                metrics.body.split(separator: "\n").first { $0.hasPrefix(name + "{model=\"smollm2\"} ") }.flatMap { Int($0.split(separator: " ").last!) }
            }
            #expect((value("cairn_provider_prompt_cache_hits_total") ?? 0) > 0, "\(metrics.body)")
            #expect((value("cairn_provider_prompt_tokens_cached_total") ?? 0) > 0)
            #expect((value("cairn_provider_kept_prompts") ?? 0) > 0 && (value("cairn_provider_kept_prompt_memory_bytes") ?? 0) > 0)
            let generated = metrics.body.split(separator: "\n").first { $0.hasPrefix("cairn_provider_generated_tokens_total{model=\"smollm2\"}") }
            let total = (first.receipt.completionTokens + second.receipt.completionTokens
                + (logprobs + choices).reduce(0) { $0 + $1.receipt.completionTokens })
            #expect(generated.flatMap { Int($0.split(separator: " ").last ?? "") } == Int(total), "\(metrics.body)")

            let long = String(repeating: "word ", count: 300)
            let tooLong = try await h.request("/v1/chat/completions", body: ProviderHarness.chat(long, model: "smollm2"),
                                              voucher: h.voucher(after: choices.last!, earlier: [third] + logprobs + choices.dropLast()))
            #expect(tooLong.status == 400)
            #expect(tooLong.errorCode == "context_length_exceeded")
        }
    }

    /// Log-probabilities of greedy answers from SmolLM2's own logits: one entry per billed token, each the most likely of its
    /// step, the tokens' bytes spelling the text, the same whether streamed or not; legacy completions in their own shape.
    static func checkLogprobs(_ h: ProviderHarness, after paid: [SignedReceipt]) async throws -> [SignedReceipt] {
        var receipts: [SignedReceipt] = []
        func voucher() -> SignedVoucher {
            let all = paid + receipts
            return h.voucher(after: all.last!, earlier: Array(all.dropLast()))
        }
        let body = #"{"model":"smollm2","messages":[{"role":"user","content":"Name three colours."}],"max_tokens":6,"temperature":0,"#
            + #""logprobs":true,"top_logprobs":3"#
        let whole = try await h.request("/v1/chat/completions", body: body + "}", voucher: voucher())
        #expect(whole.status == 200, "\(whole.body)")
        receipts.append(try #require(whole.receipt))
        let choice = try #require((whole.json?["choices"] as? [[String: Any]])?.first)
        let content = try #require((choice["message"] as? [String: Any])?["content"] as? String)
        let entries = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
        #expect(entries.count == receipts.last!.receipt.completionTokens && entries.count == 6)
        var spelled: [UInt8] = []
        for entry in entries {
            let logprob = try #require(entry["logprob"] as? Double)
            let bytes = try #require(entry["bytes"] as? [Int])
            let top = try #require(entry["top_logprobs"] as? [[String: Any]])
            #expect(logprob <= 0)
            #expect(top.count == 3)
            let topLogprobs = top.compactMap { $0["logprob"] as? Double }
            #expect(topLogprobs == topLogprobs.sorted(by: >))
            #expect(topLogprobs.reduce(0) { $0 + exp($1) } <= 1 + 1e-6)
            // Greedy: the emitted token is the most likely one.
            #expect(top.first?["bytes"] as? [Int] == bytes)
            #expect(abs((topLogprobs.first ?? 1) - logprob) < 1e-9)
            spelled += bytes.map { UInt8($0) }
        }
        #expect(String(decoding: spelled, as: UTF8.self) == content)

        let streamed = try await h.request("/v1/chat/completions", body: body + #","stream":true}"#, voucher: voucher())
        #expect(streamed.status == 200)
        let receiptEvent = try #require(streamed.events.dropLast().last)
        receipts.append(try #require(SignedReceipt(headerValue: receiptEvent.data)))
        let streamedEntries = streamed.events.dropLast(2).flatMap { event -> [[String: Any]] in
            let chunk = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
            let choice = (chunk?["choices"] as? [[String: Any]])?.first
            return (choice?["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? []
        }
        #expect(streamedEntries.map { $0["bytes"] as? [Int] } == entries.map { $0["bytes"] as? [Int] })
        #expect(streamedEntries.map { $0["logprob"] as? Double } == entries.map { $0["logprob"] as? Double })

        let legacy = try await h.request("/v1/completions", body: #"{"model":"smollm2","prompt":"The sky is","max_tokens":5,"temperature":0,"logprobs":2}"#,
                                         voucher: voucher())
        #expect(legacy.status == 200, "\(legacy.body)")
        receipts.append(try #require(legacy.receipt))
        let legacyChoice = try #require((legacy.json?["choices"] as? [[String: Any]])?.first)
        let text = try #require(legacyChoice["text"] as? String)
        let lp = try #require(legacyChoice["logprobs"] as? [String: Any])
        let tokens = try #require(lp["tokens"] as? [String])
        let tokenLogprobs = try #require(lp["token_logprobs"] as? [Double])
        let tops = try #require(lp["top_logprobs"] as? [[String: Double]])
        let offsets = try #require(lp["text_offset"] as? [Int])
        #expect(tokens.count == 5 && tokenLogprobs.count == 5 && tops.count == 5 && offsets.count == 5)
        #expect(tokens.joined() == text)
        #expect(offsets.first == 0 && offsets == offsets.sorted())
        for (token, top) in zip(tokens, tops) {
            #expect(top.count == 2)
            #expect(top[token] == top.values.max(), "greedy: \(token) is the most likely of \(top)")
        }
        return receipts
    }

    /// `n` = 3 whole and `n` = 2 streamed: every choice with its index, sampled choices that differ, one receipt billing
    /// the prompt once and every choice's tokens, and an output hash over the choices in order.
    static func checkChoices(_ h: ProviderHarness, after paid: [SignedReceipt]) async throws -> [SignedReceipt] {
        var receipts: [SignedReceipt] = []
        func voucher() -> SignedVoucher {
            let all = paid + receipts
            return h.voucher(after: all.last!, earlier: Array(all.dropLast()))
        }
        let ask = #"{"model":"smollm2","messages":[{"role":"user","content":"Write a word."}],"max_tokens":5,"temperature":1.0,"seed":4"#
        let whole = try await h.request("/v1/chat/completions", body: ask + #","n":3}"#, voucher: voucher())
        #expect(whole.status == 200, "\(whole.body)")
        let receipt = try #require(whole.receipt)
        receipts.append(receipt)
        let choices = try #require(whole.json?["choices"] as? [[String: Any]])
        #expect(choices.compactMap { $0["index"] as? Int } == [0, 1, 2])
        let texts = choices.compactMap { ($0["message"] as? [String: Any])?["content"] as? String }
        #expect(texts.count == 3 && Set(texts).count > 1, "sampled choices differ: \(texts)")
        let usage = try #require(whole.json?["usage"] as? [String: Any])
        #expect(usage["completion_tokens"] as? Int == Int(receipt.receipt.completionTokens))
        #expect(receipt.receipt.completionTokens > 5, "three choices are billed")
        var hashed: [UInt8] = []
        for text in texts {
            withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian) { hashed += $0 }
            hashed += Array(text.utf8)
        }
        #expect(receipt.receipt.outputHash == Hash.sha256(hashed))
        // Choice 0 is what the request gives with n = 1.
        let one = try await h.request("/v1/chat/completions", body: ask + "}", voucher: voucher())
        receipts.append(try #require(one.receipt))
        #expect((((one.json?["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])?["content"] as? String == texts[0])
        // The same prompt again is taken whole from the one kept after the first request, and the usage says so.
        let oneUsage = try #require(one.json?["usage"] as? [String: Any])
        #expect((oneUsage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == oneUsage["prompt_tokens"] as? Int)
        #expect((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] is Int)

        let streamed = try await h.request("/v1/chat/completions", body: ask + #","n":2,"stream":true}"#, voucher: voucher())
        #expect(streamed.status == 200)
        let receiptEvent = try #require(streamed.events.dropLast().last)
        receipts.append(try #require(SignedReceipt(headerValue: receiptEvent.data)))
        var byChoice: [Int: String] = [:]
        var finishes: [Int] = []
        for event in streamed.events.dropLast(2) {
            let chunk = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
            for choice in chunk?["choices"] as? [[String: Any]] ?? [] {
                let i = try #require(choice["index"] as? Int)
                byChoice[i, default: ""] += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
                if choice["finish_reason"] as? String != nil { finishes.append(i) }
            }
        }
        #expect(Set(finishes) == [0, 1] && finishes.count == 2)
        #expect(byChoice[0] == texts[0] && byChoice[1] == texts[1], "the same seeds give the same choices streamed")
        return receipts
    }
}
