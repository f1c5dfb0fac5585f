import Foundation
import Synchronization
import Hummingbird
import CairnProvider
import CairnWire

/// A tiny OpenAI-compatible server standing in for llama.cpp server, vLLM or Ollama: it writes "Hello from the
/// fake server" a word per token (up to `max_tokens`), counts a prompt token per word, and embeds each text as
/// `[characters, words, 1]`. It remembers the last request body it got.
final class FakeOpenAIServer: Sendable {
    static let words = ["Hello", " from", " the", " fake", " server"]
    let lastRequest = Mutex<Data?>(nil)

    var lastJSON: [String: Any]? {
        lastRequest.withLock { $0 }.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    struct Generation: Decodable {
        struct Message: Decodable { var content: String }
        struct Options: Decodable { var include_usage: Bool? }
        var model: String
        var messages: [Message]?
        var prompt: String?
        var max_tokens: Int?
        var stream: Bool?
        var stream_options: Options?
    }

    struct Embedding: Decodable {
        var model: String
        var input: [String]
    }

    static func wordCount(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ in try await self.generate(request, chat: true) }
        router.post("/v1/completions") { request, _ in try await self.generate(request, chat: false) }
        router.post("/v1/embeddings") { request, _ in
            let body = try await self.read(request)
            let e = try JSONDecoder().decode(Embedding.self, from: body)
            let data = e.input.enumerated().map { i, text in
                #"{"object":"embedding","index":\#(i),"embedding":[\#(text.count),\#(Self.wordCount(text)),1]}"#
            }
            let tokens = e.input.reduce(0) { $0 + Self.wordCount($1) }
            return Self.json(#"{"object":"list","data":[\#(data.joined(separator: ","))],"model":"\#(e.model)","usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#)
        }
        return router
    }

    func read(_ request: Request) async throws -> Data {
        var request = request
        let body = Data(try await request.collectBody(upTo: 1 << 20).readableBytesView)
        lastRequest.withLock { $0 = body }
        return body
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func generate(_ request: Request, chat: Bool) async throws -> Response {
        let g = try JSONDecoder().decode(Generation.self, from: try await read(request))
        let prompt = g.messages.map { $0.map(\.content).joined(separator: " ") } ?? g.prompt ?? ""
        if prompt.contains("TOO-LONG") {
            return Self.json(#"{"error":{"message":"the prompt exceeds the context of 4096 tokens","type":"invalid_request_error","param":null,"code":"context_length_exceeded"}}"#,
                             status: .badRequest)
        }
        if g.model == "broken" { return Self.json(#"{"error":{"message":"out of memory","type":"server_error"}}"#, status: .internalServerError) }
        let pieces = Array(Self.words.prefix(g.max_tokens ?? Self.words.count))
        let finish = pieces.count < Self.words.count ? "length" : "stop"
        let usage = #"{"prompt_tokens":\#(Self.wordCount(prompt)),"completion_tokens":\#(pieces.count),"total_tokens":\#(Self.wordCount(prompt) + pieces.count)}"#
        let object = chat ? "chat.completion.chunk" : "text_completion"
        func choice(_ text: String?, _ reason: String?) -> String {
            let content = text.map { "\"\($0)\"" } ?? "null"
            let r = reason.map { "\"\($0)\"" } ?? "null"
            return chat ? #"{"index":0,"delta":{"content":\#(content)},"finish_reason":\#(r)}"# : #"{"index":0,"text":\#(text.map { "\"\($0)\"" } ?? "\"\""),"finish_reason":\#(r)}"#
        }
        guard g.stream == true else {
            let text = pieces.joined()
            let c = chat ? #"{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"\#(finish)"}"#
                : #"{"index":0,"text":"\#(text)","finish_reason":"\#(finish)"}"#
            return Self.json(#"{"id":"x","object":"\#(chat ? "chat.completion" : "text_completion")","choices":[\#(c)],"usage":\#(usage)}"#)
        }
        var events = pieces.map { #"{"id":"x","object":"\#(object)","choices":[\#(choice($0, nil))]}"# }
        events.append(#"{"id":"x","object":"\#(object)","choices":[\#(choice(nil, finish))]}"#)
        if g.stream_options?.include_usage == true { events.append(#"{"id":"x","object":"\#(object)","choices":[],"usage":\#(usage)}"#) }
        let stream = events.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n"
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
            // Several writes, so the provider reads the stream in pieces.
            for part in stream.split(separator: "\n\n", omittingEmptySubsequences: false).dropLast() {
                try await writer.write(ByteBuffer(string: part + "\n\n"))
            }
            try await writer.finish(nil)
        })
    }
}
