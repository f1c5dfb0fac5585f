import CairnWire
public import AsyncHTTPClient
import CairnInference
import NIOCore
import NIOHTTP1
import Foundation

/// An external OpenAI-compatible server (llama.cpp server, vLLM, Ollama) behind the provider, metered from the
/// `usage` it reports.
///
/// Generations always stream from the server with `stream_options: {"include_usage": true}`; its last chunk's
/// `usage` is what the request is charged for. Before a request runs, its prompt is bounded by its UTF-8 length
/// plus the chat template's overhead (no tokenizer produces more tokens than bytes), and `max_tokens` is always sent,
/// so the highest cost is known without the server's tokenizer.
public struct OpenAIProxyBackend: InferenceBackend {
    /// A served model and the name the server knows it by.
    public struct Route: Sendable {
        public var served: ServedModel
        public var upstreamName: String

        public init(served: ServedModel, upstreamName: String) {
            self.served = served
            self.upstreamName = upstreamName
        }
    }

    let baseURL: String
    let http: HTTPClient
    let routes: [String: Route]
    let timeout: TimeAmount
    public let models: [ServedModel]

    /// Tokens a chat template may add per message and per prompt, beyond the text's own bytes.
    static let templateTokensPerMessage = 8
    static let templateTokensPerPrompt = 8

    /// - Parameters:
    ///   - url: the server's base URL, with or without a trailing `/v1`.
    ///   - http: the client used (owned by the caller, who shuts it down).
    ///   - timeout: the longest one request may take, streaming included.
    public init(url: String, routes: [Route], http: HTTPClient, timeout: Duration = .seconds(600)) throws(ProviderError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw ProviderError(.configuration, "backend URL '\(url)' is not an http:// or https:// URL")
        }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        baseURL = base
        self.http = http
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        var table: [String: Route] = [:]
        for route in routes {
            guard table[route.served.name] == nil else { throw ProviderError(.configuration, "model \(route.served.name) is listed twice") }
            table[route.served.name] = route
        }
        self.routes = table
        models = routes.map(\.served)
    }

    func route(_ model: ServedModel) throws(ProviderError) -> Route {
        guard let route = routes[model.name] else { throw ProviderError(.invalidRequest, "model \(model.name) is not served") }
        return route
    }

    public func prepare(_ request: GenerationRequest) async throws -> PreparedGeneration {
        _ = try route(request.model)
        if request.logprobs != nil {
            throw ProviderError(.invalidRequest, "log-probabilities are not available from this provider's inference server")
        }
        if request.n > 1 {
            throw ProviderError(.invalidRequest, "n above 1 is not available from this provider's inference server")
        }
        if request.grammar != nil {
            throw ProviderError(.invalidRequest, "constrained output ('response_format' other than text, or 'tools') is not available from this provider's inference server")
        }
        let bound = switch request.prompt {
        case .chat(let messages):
            messages.reduce(Self.templateTokensPerPrompt) { $0 + $1.role.utf8.count + $1.content.utf8.count + Self.templateTokensPerMessage }
        case .text(let text):
            text.utf8.count + 2
        }
        return PreparedGeneration(request: request, promptTokens: bound, maxTokens: request.maxTokens ?? ServedModel.defaultMaxTokens)
    }

    public func prepare(_ request: EmbeddingRequest) async throws -> PreparedEmbedding {
        _ = try route(request.model)
        return PreparedEmbedding(request: request, tokens: request.inputs.reduce(0) { $0 + $1.utf8.count + 2 })
    }

    public func generate(_ prepared: PreparedGeneration) -> AsyncThrowingStream<GenerationOutput, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.stream(prepared) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func stream(_ prepared: PreparedGeneration, emit: (GenerationOutput) -> Void) async throws {
        let request = prepared.request
        let route = try route(request.model)
        let body: UpstreamGeneration
        let path: String
        switch request.prompt {
        case .chat(let messages):
            path = "/v1/chat/completions"
            body = UpstreamGeneration(model: route.upstreamName, messages: messages.map { .init(role: $0.role, content: $0.content) })
        case .text(let text):
            path = "/v1/completions"
            body = UpstreamGeneration(model: route.upstreamName, prompt: text)
        }
        var upstream = body
        upstream.maxTokens = prepared.maxTokens
        // The OpenAI API's defaults (temperature 1, top-p 1), sent explicitly: servers differ in theirs (llama.cpp's is 0.8).
        upstream.temperature = request.temperature ?? 1
        upstream.topP = request.topP ?? 1
        upstream.seed = request.seed.map { Int64(bitPattern: $0) }
        upstream.stop = request.stop.isEmpty ? nil : request.stop
        let response = try await post(path, body: upstream)
        var parser = ServerSentEventParser()
        var usage: UpstreamUsage?
        var finishReason: String?
        var done = false
        for try await buffer in response.body {
            for event in try parser.feed(buffer.readableBytesView) where !done {
                if event.data == "[DONE]" {
                    done = true
                    break
                }
                let chunk: UpstreamChunk
                do { chunk = try JSONDecoder().decode(UpstreamChunk.self, from: Data(event.data.utf8)) } catch {
                    throw ProviderError(.backend, "the backend sent a chunk that is not a completion chunk", cause: error)
                }
                if let message = chunk.error?.message { throw ProviderError(.backend, "the backend failed: \(message)") }
                for choice in chunk.choices ?? [] {
                    if let text = choice.delta?.content ?? choice.text, !text.isEmpty { emit(.text(text)) }
                    if let reason = choice.finishReason { finishReason = reason }
                }
                if let u = chunk.usage { usage = u }
            }
            if done { break }
        }
        guard let usage else {
            throw ProviderError(.backend, "the backend did not report token usage (it must honour stream_options.include_usage)")
        }
        emit(.finished(GenerationUsage(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens ?? 0,
                                       finishReason: finishReason ?? "stop", cachedPromptTokens: usage.promptTokensDetails?.cachedTokens)))
    }

    public func embed(_ prepared: PreparedEmbedding) async throws -> EmbeddingResult {
        let route = try route(prepared.request.model)
        let response = try await post("/v1/embeddings", body: UpstreamEmbedding(model: route.upstreamName, input: prepared.request.inputs))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        let reply: UpstreamEmbeddingReply
        do { reply = try JSONDecoder().decode(UpstreamEmbeddingReply.self, from: Data(bytes.readableBytesView)) } catch {
            throw ProviderError(.backend, "the backend's embeddings answer does not decode", cause: error)
        }
        guard let usage = reply.usage else { throw ProviderError(.backend, "the backend did not report token usage for embeddings") }
        let vectors = reply.data.sorted { $0.index < $1.index }.map(\.embedding)
        return EmbeddingResult(vectors: vectors, tokens: usage.promptTokens)
    }

    /// Sends a JSON request; a non-2xx answer becomes a `ProviderError` carrying the server's message.
    func post(_ path: String, body: some Encodable) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: timeout) } catch {
            throw ProviderError(.backend, "cannot reach the backend at \(baseURL): \(error)", cause: error)
        }
        guard (200..<300).contains(response.status.code) else {
            let text = (try? await response.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
            let detail = (try? JSONDecoder().decode(OpenAIErrorBody.self, from: Data(text.utf8)))?.error
            let message = detail?.message ?? String(text.prefix(500))
            if detail?.code == "context_length_exceeded" || (response.status == .badRequest && message.lowercased().contains("context")) {
                throw ProviderError(.contextLengthExceeded, message)
            }
            if response.status == .badRequest { throw ProviderError(.invalidRequest, "the backend refused the request: \(message)") }
            throw ProviderError(.backend, "the backend answered HTTP \(response.status.code): \(message)")
        }
        return response
    }
}
