import CairnWire
import CairnInference
import Hummingbird
import HTTPTypes
import CairnPrimitives
import CairnMarket
import Foundation
import Logging

extension ProviderServer {
    /// `POST /v1/chat/completions`.
    func chatCompletion(_ request: Request) async throws -> Response {
        let (raw, hash, body) = try await read(request, as: ChatCompletionRequest.self)
        guard !body.messages.isEmpty else { throw OpenAIError.invalidRequest("'messages' must not be empty", param: "messages") }
        try Self.refuseUnservedFields(body)
        var grammar = try Self.responseGrammar(body, raw: raw)
        // The body is read a second time (in order, as `JSONDocument`) only when it offers tools.
        let tools = body.offeredFunctions?.field == "tools" ? try OfferedTools.parse(raw: raw) : nil
        if tools != nil && grammar != nil {
            throw OpenAIError.invalidRequest("'response_format' other than text together with 'tools' is not supported", param: "response_format")
        }
        for (i, message) in body.messages.enumerated() where !Self.chatRoles.contains(message.role) {
            throw OpenAIError.invalidRequest("Invalid value: '\(message.role)'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.",
                                             param: "messages.[\(i)].role")
        }
        var logprobs: Int?
        if body.logprobs == true {
            let top = body.topLogprobs ?? 0
            guard (0...SamplingParameters.maxTopLogprobs).contains(top) else {
                throw OpenAIError.invalidRequest("'top_logprobs' must be between 0 and \(SamplingParameters.maxTopLogprobs), got \(top)",
                                                 param: "top_logprobs")
            }
            logprobs = top
        } else if body.topLogprobs != nil {
            throw OpenAIError.invalidRequest("'top_logprobs' is only allowed when 'logprobs' is true", param: "top_logprobs")
        }
        var messages = body.messages.map(\.chatMessage)
        if let tools {
            messages = tools.messages(messages)
            grammar = try tools.grammar()
        }
        var generation = try generationRequest(body, prompt: .chat(messages), defaultMaxTokens: nil, logprobs: logprobs)
        generation.grammar = grammar
        return try await complete(request, generation, fields: body, requestHash: hash, chat: true, tools: tools)
    }

    /// Fields this provider does not serve yet are refused, not ignored: an answer that silently skipped them would
    /// look right and not be (no function call where the client offered the deprecated `functions`).
    static func refuseUnservedFields(_ body: ChatCompletionRequest) throws {
        if let (field, _) = body.offeredFunctions, field != "tools" {
            throw OpenAIError.invalidRequest("'\(field)' is deprecated and not supported by this provider; offer them under 'tools'", param: field)
        }
    }

    /// The grammar `response_format` asks for: any JSON object for `json_object`, the schema's values for
    /// `json_schema` (read from the raw body, so the properties keep the order the client wrote them in), none for `text`.
    static func responseGrammar(_ body: ChatCompletionRequest, raw: Data) throws -> Grammar? {
        switch body.responseFormat {
        case nil, "text": return nil
        case "json_object": return JSONSchemaGrammar.anyObject()
        case "json_schema":
            let document = try? JSONDocument(parsing: raw)
            guard let format = document?["response_format"]?["json_schema"] else {
                throw OpenAIError.invalidRequest("'response_format' of type 'json_schema' needs 'json_schema'", param: "response_format.json_schema")
            }
            guard let schema = format["schema"] else {
                throw OpenAIError.invalidRequest("'response_format.json_schema' needs 'schema'", param: "response_format.json_schema.schema")
            }
            do {
                return try JSONSchemaGrammar.grammar(schema: schema)
            } catch let error as InferenceError {
                throw OpenAIError.invalidRequest("invalid 'response_format.json_schema.schema': \(error.message)", param: "response_format.json_schema.schema")
            }
        case let type?:
            throw OpenAIError.invalidRequest("Invalid value: '\(type)'. Supported values are: 'text', 'json_object' and 'json_schema'.",
                                             param: "response_format.type")
        }
    }

    /// The message roles a chat accepts (`developer` is read as `system`, as OpenAI does for models without it).
    static let chatRoles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    /// The most alternatives a legacy completion's `logprobs` may ask for (OpenAI's limit).
    static let maxLegacyLogprobs = 5

    /// `POST /v1/completions`.
    func textCompletion(_ request: Request) async throws -> Response {
        let (_, hash, body) = try await read(request, as: TextCompletionRequest.self)
        if let k = body.logprobs, !(0...Self.maxLegacyLogprobs).contains(k) {
            throw OpenAIError.invalidRequest("'logprobs' must be between 0 and \(Self.maxLegacyLogprobs), got \(k)", param: "logprobs")
        }
        // OpenAI's default for legacy completions is 16 tokens.
        let generation = try generationRequest(body, prompt: .text(body.prompt), defaultMaxTokens: 16, logprobs: body.logprobs)
        return try await complete(request, generation, fields: body, requestHash: hash, chat: false)
    }

    /// Checks the sampling fields and builds the backend request.
    func generationRequest(_ fields: some SamplingFields, prompt: GenerationRequest.Prompt, defaultMaxTokens: Int?,
                           logprobs: Int?) throws -> GenerationRequest {
        let served = try model(fields.model)
        guard served.generates else { throw OpenAIError.invalidRequest("the model '\(served.name)' does not generate text", param: "model") }
        if let n = fields.n, !(1...Self.maxChoices).contains(n) {
            throw OpenAIError.invalidRequest("'n' must be between 1 and \(Self.maxChoices), got \(n)", param: "n")
        }
        if let t = fields.temperature, !(0...2).contains(t) {
            throw OpenAIError.invalidRequest("'temperature' must be between 0 and 2, got \(t)", param: "temperature")
        }
        if let p = fields.topP, !(p > 0 && p <= 1) {
            throw OpenAIError.invalidRequest("'top_p' must be greater than 0 and at most 1, got \(p)", param: "top_p")
        }
        if let m = fields.maxTokens, m < 0 {
            throw OpenAIError.invalidRequest("'max_tokens' must be at least 0, got \(m)", param: "max_tokens")
        }
        let stop = fields.stop?.values ?? []
        guard stop.count <= 4, !stop.contains("") else {
            throw OpenAIError.invalidRequest("'stop' takes up to 4 non-empty strings", param: "stop")
        }
        var generation = GenerationRequest(model: served, prompt: prompt, maxTokens: fields.maxTokens ?? defaultMaxTokens,
                                           temperature: fields.temperature, topP: fields.topP, seed: fields.seed.map { UInt64(bitPattern: $0) },
                                           stop: stop, logprobs: logprobs)
        generation.n = fields.n ?? 1
        return generation
    }

    /// The most choices one request may ask for.
    static let maxChoices = 16

    /// The outputs of the request's `n` generations (choice i sampled with seed + i), as they come, with their choice.
    /// The engine batches them: their prompt is evaluated once and they decode together. A request without a seed gets
    /// a random one, as OpenAI samples: the same question asked twice is two independent samples (which the verifiers'
    /// pooled statistics also assume).
    func generations(_ prepared: PreparedGeneration) -> AsyncThrowingStream<(choice: Int, output: GenerationOutput), any Error> {
        let backend = backend
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        let seed = prepared.request.seed ?? UInt64.random(in: 0...UInt64.max)
                        let choices = (0..<prepared.request.n).map { i in
                            var choice = prepared
                            choice.request.seed = seed &+ UInt64(i)
                            return choice
                        }
                        for (i, outputs) in backend.generate(choices: choices).enumerated() {
                            group.addTask {
                                for try await output in outputs { continuation.yield((i, output)) }
                            }
                        }
                        try await group.waitForAll()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// What a receipt commits to as the output: the text's SHA-256 for one choice; for several, the SHA-256 of each
    /// choice's text preceded by its byte count (4 bytes, big-endian), in order.
    static func outputHash(_ texts: [String]) -> Hash {
        guard texts.count > 1 else { return Hash.sha256(Array((texts.first ?? "").utf8)) }
        var bytes: [UInt8] = []
        for text in texts {
            let utf8 = Array(text.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes += $0 }
            bytes += utf8
        }
        return Hash.sha256(bytes)
    }

    /// Prepares, authorizes and runs a generation, answering whole or streamed.
    func complete(_ request: Request, _ generation: GenerationRequest, fields: some SamplingFields, requestHash: Hash,
                  chat: Bool, tools: OfferedTools? = nil) async throws -> Response {
        let prepared: PreparedGeneration
        do { prepared = try await backend.prepare(generation) } catch {
            throw OpenAIError.from(error, param: chat ? "messages" : "prompt")
        }
        let ticket = try await authorize(request, model: generation.model, maxCost: prepared.maxCost)
        let reply = Reply(id: Self.responseID(chat ? "chatcmpl" : "cmpl"), created: Int(Date().timeIntervalSince1970),
                          model: generation.model.name, chat: chat)
        if fields.stream == true {
            return stream(prepared, ticket: ticket, reply: reply, includeUsage: fields.streamOptions?.includeUsage == true,
                          requestHash: requestHash, tools: tools)
        }
        let n = generation.n
        var texts = [String](repeating: "", count: n)
        var usages = [GenerationUsage?](repeating: nil, count: n)
        var logprobs = [[TokenLogprob]](repeating: [], count: n)
        do {
            for try await (i, output) in generations(prepared) {
                switch output {
                case .text(let piece): texts[i] += piece
                case .logprobs(let entry): logprobs[i].append(entry)
                case .finished(let u): usages[i] = u
                }
            }
        } catch {
            await desk.release(ticket)
            throw OpenAIError.from(error, param: chat ? "messages" : "prompt")
        }
        let finished = usages.compactMap { $0 }
        guard finished.count == n else {
            await desk.release(ticket)
            throw OpenAIError.backend("the backend ended without reporting its token usage")
        }
        // The prompt is billed once, every choice's completion tokens.
        let usage = GenerationUsage(promptTokens: finished[0].promptTokens, completionTokens: finished.reduce(0) { $0 + $1.completionTokens },
                                    finishReason: finished[0].finishReason, cachedPromptTokens: finished[0].cachedPromptTokens)
        let facts = Self.completionFacts(finished, texts: texts, tools: tools)
        let receipt = try await deliver(ticket, model: generation.model, prompt: usage.promptTokens, completion: usage.completionTokens,
                                        embedding: 0, requestHash: requestHash, outputHash: Self.outputHash(texts),
                                        outputTokensHash: facts.tokensHash, finishReason: facts.finishReason)
        func choice(_ i: Int) -> CompletionBody {
            var body = reply.body(text: texts[i], finishReason: finished[i].finishReason, usage: i == 0 ? usage : nil, chunk: false)
            body.index = i
            if let tools, finished[i].finishReason == "stop", let call = tools.call(in: texts[i]) {
                body.toolCalls = [call]
                body.finishReason = "tool_calls"
            }
            if generation.logprobs != nil { body.logprobs = logprobs[i] }
            return body
        }
        var body = choice(0)
        body.others = (1..<n).map(choice)
        return try json(body, receipt: receipt, model: generation.model)
    }

    /// What the receipt commits to about the completion beside its text: SHA-256 of the choices' token ids in order (zero
    /// when the backend did not report them) and the finish reasons the client sees, choices joined by commas.
    static func completionFacts(_ finished: [GenerationUsage], texts: [String], tools: OfferedTools?) -> (tokensHash: Hash, finishReason: String) {
        let ids = finished.map(\.tokenIDs)
        let tokensHash = ids.allSatisfy { $0 != nil } ? ServiceReceipt.tokensHash(ids.flatMap { $0! }) : .zero
        let reasons = finished.enumerated().map { i, u in
            if let tools, u.finishReason == "stop", tools.call(in: texts[i]) != nil { "tool_calls" } else { u.finishReason }
        }
        return (tokensHash, reasons.joined(separator: ","))
    }

    /// The fixed parts of one response's objects.
    struct Reply: Sendable {
        let id: String
        let created: Int
        let model: String
        let chat: Bool

        func body(text: String?, role: String? = nil, finishReason: String? = nil, usage: GenerationUsage? = nil, chunk: Bool,
                  hasChoice: Bool = true) -> CompletionBody {
            let kind: CompletionBody.Kind = chat ? (chunk ? .chatChunk : .chat) : (chunk ? .textChunk : .text)
            return CompletionBody(kind: kind, id: id, created: created, model: model, text: text, role: role, finishReason: finishReason,
                                  hasChoice: hasChoice,
                                  usage: usage.map {
                                      OpenAIUsage(promptTokens: $0.promptTokens, completionTokens: $0.completionTokens, cachedTokens: $0.cachedPromptTokens)
                                  })
        }
    }

    /// A streamed answer: `data:` chunks, the receipt event, then `data: [DONE]`. A client that leaves before the
    /// end is not charged; a failure after the headers is sent as an error event.
    ///
    /// With tools, a choice whose first text is `{` is a function call: its text is held and sent, once finished, as
    /// one `tool_calls` delta.
    func stream(_ prepared: PreparedGeneration, ticket: Authorization, reply: Reply, includeUsage: Bool, requestHash: Hash,
                tools: OfferedTools? = nil) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                   HTTPField.Name(CairnHeader.capacity)!: String(backend.capacity(of: prepared.request.model))]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var delivered = false
            do {
                func send(_ body: CompletionBody) async throws {
                    let data = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: ServerSentEvent(data: data).encoded))
                }
                let n = prepared.request.n
                if reply.chat {
                    for i in 0..<n {
                        var opening = reply.body(text: "", role: "assistant", chunk: true)
                        opening.index = i
                        try await send(opening)
                    }
                }
                var texts = [String](repeating: "", count: n)
                var usages = [GenerationUsage?](repeating: nil, count: n)
                // Log-probabilities travel with the choice's next text chunk (a token's text may be held back), the rest
                // with its last chunk.
                let withLogprobs = prepared.request.logprobs != nil
                var pending = [[TokenLogprob]](repeating: [], count: n)
                var offsets = [Int](repeating: 0, count: n)
                func chunk(_ i: Int, text piece: String?, finishReason: String? = nil) -> CompletionBody {
                    var body = reply.body(text: piece, finishReason: finishReason, chunk: true)
                    body.index = i
                    if withLogprobs {
                        body.logprobs = pending[i]
                        body.textOffset = offsets[i]
                        offsets[i] += pending[i].reduce(0) { $0 + $1.chosen.token.unicodeScalars.count }
                        pending[i] = []
                    }
                    return body
                }
                var calling = [Bool](repeating: false, count: n)
                for try await (i, output) in generations(prepared) {
                    switch output {
                    case .text(let piece):
                        if tools != nil && texts[i].isEmpty && piece.first == "{" { calling[i] = true }
                        texts[i] += piece
                        if !calling[i] { try await send(chunk(i, text: piece)) }
                    case .logprobs(let entry):
                        pending[i].append(entry)
                    case .finished(let u):
                        usages[i] = u
                        if calling[i] {
                            if let tools, u.finishReason == "stop", let call = tools.call(in: texts[i]) {
                                var body = chunk(i, text: nil)
                                body.toolCalls = [call]
                                try await send(body)
                                try await send(chunk(i, text: nil, finishReason: "tool_calls"))
                                continue
                            }
                            // A call cut short (max_tokens): sent as the text it is.
                            try await send(chunk(i, text: texts[i]))
                        }
                        try await send(chunk(i, text: reply.chat ? nil : "", finishReason: u.finishReason))
                    }
                }
                let finished = usages.compactMap { $0 }
                guard finished.count == n else { throw OpenAIError.backend("the backend ended without reporting its token usage") }
                let usage = GenerationUsage(promptTokens: finished[0].promptTokens, completionTokens: finished.reduce(0) { $0 + $1.completionTokens },
                                            finishReason: finished[0].finishReason, cachedPromptTokens: finished[0].cachedPromptTokens)
                if includeUsage { try await send(reply.body(text: nil, usage: usage, chunk: true, hasChoice: false)) }
                let facts = Self.completionFacts(finished, texts: texts, tools: tools)
                let receipt = try await deliver(ticket, model: prepared.request.model, prompt: usage.promptTokens,
                                                completion: usage.completionTokens, embedding: 0, requestHash: requestHash,
                                                outputHash: Self.outputHash(texts), outputTokensHash: facts.tokensHash,
                                                finishReason: facts.finishReason)
                delivered = true
                try await writer.write(ByteBuffer(string: ServerSentEvent(event: CairnHeader.receiptEvent, data: receipt.headerValue).encoded))
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            } catch {
                if !delivered { await desk.release(ticket) }
                let e = OpenAIError.from(error, param: reply.chat ? "messages" : "prompt")
                logger.warning("streamed response ended early", metadata: ["channel": "\(ticket.channelID)", "error": "\(e.body.error.message)"])
                try? await writer.write(ByteBuffer(string: ServerSentEvent(data: String(decoding: e.json, as: UTF8.self)).encoded))
            }
            try await writer.finish(nil)
        })
    }
}
