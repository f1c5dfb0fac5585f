import Testing
import Foundation
import CairnPrimitives
import CairnMarket
import CairnProvider
import CairnWire
import NIOHTTP1

/// The provider's OpenAI API on a real loopback port, in front of a real proxy backend and a fake OpenAI server.
@Suite struct ProviderServerTests {
    typealias H = ProviderHarness

    @Test func aPaidChatCompletionSucceedsWithAValidReceipt() async throws {
        try await H.with { h in
            let body = H.chat("Say hello to me", maxTokens: 4)
            let reply = try await h.request("/v1/chat/completions", body: body, voucher: h.voucher(after: nil))
            #expect(reply.status == 200, "\(reply.body)")
            let json = try #require(reply.json)
            #expect(json["object"] as? String == "chat.completion")
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["content"] as? String == "Hello from the fake")
            #expect(choice["finish_reason"] as? String == "length")
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == 4)
            #expect(usage["completion_tokens"] as? Int == 4)

            let signed = try #require(reply.receipt, "no receipt header")
            #expect(signed.isValid(chainID: TestClient.chainID))
            let r = signed.receipt
            #expect(r.provider == h.provider)
            #expect(r.channelID == 1)
            #expect(r.modelID == 7 && r.model == "fake-chat")
            #expect(r.promptTokens == 4 && r.completionTokens == 4 && r.embeddingTokens == 0)
            #expect(r.price == H.chatModel.price)
            #expect(r.cost == H.chatModel.price.cost(promptTokens: 4, completionTokens: 4, embeddingTokens: 0))
            #expect(r.cost == 12)
            #expect(r.cumulative == 12 && r.modelCumulative == 12)
            #expect(r.requestHash == Hash.sha256(Array(body.utf8)))
            #expect(r.outputHash == Hash.sha256(Array("Hello from the fake".utf8)))
            // What a check needs beside the request and the text: the weights served and why it stopped; an external server
            // does not report token ids, so their hash is zero.
            #expect(r.weightsHash == H.chatModel.weightsHash)
            #expect(r.finishReason == choice["finish_reason"] as? String && !r.finishReason.isEmpty)
            #expect(r.outputTokensHash == .zero)

            // The backend was asked with the model's upstream name, the max tokens, and for its usage.
            let upstream = try #require(h.upstream.lastJSON)
            #expect(upstream["model"] as? String == "upstream-chat")
            #expect(upstream["max_tokens"] as? Int == 4)
            #expect((upstream["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
            // The OpenAI API's sampling, spelled out: the whole distribution at temperature 1, whatever the server's defaults.
            #expect(upstream["temperature"] as? Double == 1 && upstream["top_p"] as? Double == 1)
            #expect(upstream["top_k"] as? Int == 0 && upstream["min_p"] as? Double == 0)

            // Delivered and stored before the answer.
            #expect(try h.store.load().first?.delivered == 12)
        }
    }

    @Test func aRequestWithoutAVoucherGets402InOpenAIShape() async throws {
        try await H.with { h in
            let reply = try await h.request("/v1/chat/completions", body: H.chat("hi"))
            #expect(reply.status == 402)
            #expect(reply.errorCode == "voucher_missing")
            let error = try #require(reply.json?["error"] as? [String: Any])
            #expect(error["type"] as? String == "payment_required")
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(reply.body.contains(#""param":null"#))
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
        }
    }

    @Test func aClientThatStopsPayingGetsOneRequestThen402() async throws {
        try await H.with { h in
            let first = h.voucher(after: nil)
            let served = try await h.request("/v1/chat/completions", body: H.chat("one"), voucher: first)
            #expect(served.status == 200)
            let receipt = try #require(served.receipt)
            // The client keeps sending its first voucher: refused.
            let refused = try await h.request("/v1/chat/completions", body: H.chat("two"), voucher: first)
            #expect(refused.status == 402)
            #expect(refused.errorCode == "voucher_below_delivered")
            // Paying what the receipt says opens the way again.
            let paid = try await h.request("/v1/chat/completions", body: H.chat("three"), voucher: h.voucher(after: receipt))
            #expect(paid.status == 200)
            #expect(paid.receipt?.receipt.cumulative == receipt.receipt.cumulative.adding(paid.receipt!.receipt.cost))
        }
    }

    @Test func aVoucherHandedOverAlonePaysTheLastRequestDurably() async throws {
        try await H.with { h in
            let served = try await h.request("/v1/chat/completions", body: H.chat("one"), voucher: h.voucher(after: nil))
            let receipt = try #require(served.receipt)
            let stale = try await h.request("/v1/cairn/vouchers", voucher: h.voucher(after: nil))
            #expect(stale.status == 402)
            #expect(stale.errorCode == "voucher_below_delivered")
            let paid = try await h.request("/v1/cairn/vouchers", voucher: h.voucher(after: receipt))
            #expect(paid.status == 200, "\(paid.body)")
            #expect(paid.json?["voucher_cumulative"] as? String == receipt.receipt.cumulative.description)
            let stored = try h.store.load().first { $0.channelID == 1 }
            #expect(stored?.voucher?.voucher.cumulative == receipt.receipt.cumulative)
            let none = try await h.request("/v1/cairn/vouchers", voucher: nil)
            #expect(none.status == 402 && none.errorCode == "voucher_missing")
        }
    }

    @Test func malformedJSONGets400() async throws {
        try await H.with { h in
            for body in ["{not json", #"{"messages":[]}"#, #"{"model":"fake-chat","messages":"hi"}"#] {
                let reply = try await h.request("/v1/chat/completions", body: body, voucher: h.voucher(after: nil))
                #expect(reply.status == 400, "\(body): \(reply.body)")
                #expect(reply.errorCode == "invalid_request_error")
                #expect((reply.json?["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            }
            let badSampling = try await h.request("/v1/chat/completions", body: #"{"model":"fake-chat","messages":[{"role":"user","content":"x"}],"temperature":7}"#,
                                                  voucher: h.voucher(after: nil))
            #expect(badSampling.status == 400)
            #expect((badSampling.json?["error"] as? [String: Any])?["param"] as? String == "temperature")
        }
    }

    @Test func invalidRolesAndLogprobFieldsGet400WithTheirParam() async throws {
        try await H.with { h in
            let user = #"{"role":"user","content":"x"}"#
            let cases: [(path: String, body: String, param: String)] = [
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user),{"role":"wizard","content":"x"}]}"#, "messages.[1].role"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"top_logprobs":2}"#, "top_logprobs"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"logprobs":true,"top_logprobs":21}"#, "top_logprobs"),
                ("/v1/completions", #"{"model":"fake-chat","prompt":"x","logprobs":6}"#, "logprobs"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"response_format":{"type":"xml"}}"#, "response_format.type"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}"#,
                 "response_format.json_schema.schema"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"string","pattern":"a+"}}}}"#,
                 "response_format.json_schema.schema"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"functions":[{"name":"f"}]}"#, "functions"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"tools":[{"type":"function","function":{"name":"f g"}}]}"#,
                 "tools[0].function.name"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}"#,
                 "tool_choice"),
                ("/v1/chat/completions", #"{"model":"fake-chat","messages":[\#(user)],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string","pattern":"x"}}}}}]}"#,
                 "tools"),
            ]
            for c in cases {
                let reply = try await h.request(c.path, body: c.body, voucher: h.voucher(after: nil))
                #expect(reply.status == 400, "\(c.body): \(reply.body)")
                #expect((reply.json?["error"] as? [String: Any])?["param"] as? String == c.param, "\(reply.body)")
            }
            let wizard = try await h.request("/v1/chat/completions", body: cases[0].body, voucher: h.voucher(after: nil))
            #expect(((wizard.json?["error"] as? [String: Any])?["message"] as? String)?.contains("'wizard'") == true)
            // This provider's backend is an external server that gives no log-probabilities: it says so rather than omit them.
            let proxied = try await h.request("/v1/chat/completions", body: #"{"model":"fake-chat","messages":[\#(user)],"logprobs":true}"#,
                                              voucher: h.voucher(after: nil))
            #expect(proxied.status == 400)
            #expect(((proxied.json?["error"] as? [String: Any])?["message"] as? String)?.contains("log-probabilities") == true)
            // Constrained output needs this engine's own decoding; an external server is not asked for it.
            for extra in [#""response_format":{"type":"json_object"}"#, #""tools":[{"type":"function","function":{"name":"f"}}]"#] {
                let constrained = try await h.request("/v1/chat/completions", body: #"{"model":"fake-chat","messages":[\#(user)],\#(extra)}"#,
                                                      voucher: h.voucher(after: nil))
                #expect(constrained.status == 400)
                #expect(((constrained.json?["error"] as? [String: Any])?["message"] as? String)?.contains("not available") == true, "\(constrained.body)")
            }
            let many = try await h.request("/v1/chat/completions", body: #"{"model":"fake-chat","messages":[\#(user)],"n":2}"#,
                                           voucher: h.voucher(after: nil))
            #expect(many.status == 400)
            #expect(((many.json?["error"] as? [String: Any])?["message"] as? String)?.contains("n above 1") == true)
            let tooMany = try await h.request("/v1/chat/completions", body: #"{"model":"fake-chat","messages":[\#(user)],"n":17}"#,
                                              voucher: h.voucher(after: nil))
            #expect((tooMany.json?["error"] as? [String: Any])?["param"] as? String == "n")
            #expect(h.upstream.lastJSON == nil, "nothing reached the backend")
        }
    }

    @Test func anUnknownModelGets404() async throws {
        try await H.with { h in
            let reply = try await h.request("/v1/chat/completions", body: H.chat("hi", model: "gpt-9"), voucher: h.voucher(after: nil))
            #expect(reply.status == 404)
            #expect(reply.errorCode == "model_not_found")
            let unknownRoute = try await h.request("/v1/nothing", method: .GET)
            #expect(unknownRoute.status == 404)
            #expect(unknownRoute.json?["error"] != nil)
        }
    }

    @Test func streamingSendsChunksTheReceiptEventAndDone() async throws {
        try await H.with { h in
            let body = H.chat("stream to me", maxTokens: 3, stream: true)
            let reply = try await h.request("/v1/chat/completions", body: body, voucher: h.voucher(after: nil))
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(reply.headers[CairnHeader.capacity.lowercased()] == "1", "an external server says nothing of its batch")
            let events = reply.events
            #expect(events.last == ServerSentEvent(data: "[DONE]"))
            let receiptEvent = try #require(events.dropLast().last)
            #expect(receiptEvent.event == CairnHeader.receiptEvent)
            let signed = try #require(SignedReceipt(headerValue: receiptEvent.data))
            #expect(signed.isValid(chainID: TestClient.chainID))
            let chunks = events.dropLast(2).map { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] }
            #expect(chunks.allSatisfy { $0?["object"] as? String == "chat.completion.chunk" })
            let deltas = chunks.compactMap { (($0?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]) }
            #expect(deltas.first?["role"] as? String == "assistant")
            #expect(deltas.compactMap { $0["content"] as? String }.joined() == "Hello from the")
            let finish = chunks.compactMap { ($0?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
            #expect(finish == ["length"])
            let usage = try #require(chunks.last??["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 3)
            #expect(signed.receipt.completionTokens == 3 && signed.receipt.promptTokens == 3)
            #expect(signed.receipt.outputHash == Hash.sha256(Array("Hello from the".utf8)))
            #expect(signed.receipt.cumulative == 9)
        }
    }

    @Test func textCompletionsStreamedAndNot() async throws {
        try await H.with { h in
            let whole = try await h.request("/v1/completions", body: #"{"model":"chat","prompt":"Once upon","max_tokens":2}"#,
                                            voucher: h.voucher(after: nil))
            #expect(whole.status == 200, "\(whole.body)")
            #expect(whole.json?["object"] as? String == "text_completion")
            #expect(((whole.json?["choices"] as? [[String: Any]])?.first?["text"] as? String) == "Hello from")
            let first = try #require(whole.receipt)
            #expect(first.receipt.model == "fake-chat", "served under the registry name, asked by its alias")
            let streamed = try await h.request("/v1/completions", body: #"{"model":"fake-chat","prompt":["a b"],"stream":true}"#,
                                               voucher: h.voucher(after: first))
            #expect(streamed.status == 200)
            let events = streamed.events
            #expect(events.last?.data == "[DONE]")
            #expect(events.dropLast().last?.event == CairnHeader.receiptEvent)
            let texts = events.dropLast(2).compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any])?["choices"] as? [[String: Any]])?.first?["text"] as? String
            }
            // OpenAI's default of 16 tokens lets the fake write all its five words.
            #expect(texts.joined() == "Hello from the fake server")
        }
    }

    @Test func embeddingsOfAStringAndOfAList() async throws {
        try await H.with { h in
            let one = try await h.request("/v1/embeddings", body: #"{"model":"fake-embed","input":"three word text"}"#, voucher: h.voucher(after: nil))
            #expect(one.status == 200, "\(one.body)")
            let data = try #require(one.json?["data"] as? [[String: Any]])
            #expect(data.count == 1)
            #expect(data[0]["embedding"] as? [Double] == [15, 3, 1])
            let first = try #require(one.receipt)
            #expect(first.receipt.embeddingTokens == 3)
            #expect(first.receipt.cost == 9)
            #expect(first.receipt.outputHash == Hash.sha256(EmbeddingBytes.littleEndian([15, 3, 1])))
            let list = try await h.request("/v1/embeddings", body: #"{"model":"fake-embed","input":["a","b c"],"encoding_format":"base64"}"#,
                                           voucher: h.voucher(after: first))
            #expect(list.status == 200, "\(list.body)")
            let items = try #require(list.json?["data"] as? [[String: Any]])
            #expect(items.map { $0["index"] as? Int } == [0, 1])
            let bytes = try #require((items[1]["embedding"] as? String).flatMap { Data(base64Encoded: $0) })
            #expect(Array(bytes) == EmbeddingBytes.littleEndian([3, 2, 1]))
            #expect(list.receipt?.receipt.cumulative == 18)
            let wrongKind = try await h.request("/v1/embeddings", body: #"{"model":"fake-chat","input":"x"}"#, voucher: h.voucher(after: nil))
            #expect(wrongKind.status == 400)
        }
    }

    @Test func modelsAreListed() async throws {
        try await H.with { h in
            let reply = try await h.request("/v1/models", method: .GET)
            #expect(reply.status == 200)
            let data = try #require(reply.json?["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["fake-chat", "fake-embed"])
            #expect(data.allSatisfy { $0["object"] as? String == "model" })
            #expect((data[0]["cairn"] as? [String: Any])?["modelID"] as? Int == 7)
        }
    }

    @Test func aChannelTooSmallForTheRequestIsUnfunded() async throws {
        try await H.with(deposit: 20) { h in
            // Bound on the prompt (8 + 4 + 5 + 8 = 25 tokens at 1 each) alone is above the deposit.
            let reply = try await h.request("/v1/chat/completions", body: H.chat("hello", maxTokens: 1), voucher: h.voucher(after: nil))
            #expect(reply.status == 402)
            #expect(reply.errorCode == "channel_unfunded")
        }
    }

    @Test func aPromptBeyondTheBackendsContextGets400() async throws {
        try await H.with { h in
            let reply = try await h.request("/v1/chat/completions", body: H.chat("TOO-LONG"), voucher: h.voucher(after: nil))
            #expect(reply.status == 400)
            #expect(reply.errorCode == "context_length_exceeded")
            // Nothing was charged, and the channel is free for the next request.
            let next = try await h.request("/v1/chat/completions", body: H.chat("fine"), voucher: h.voucher(after: nil))
            #expect(next.status == 200)
        }
    }
}
