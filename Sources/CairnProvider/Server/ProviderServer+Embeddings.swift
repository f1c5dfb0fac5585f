import CairnWire
import Hummingbird
import CairnPrimitives
import Foundation

extension ProviderServer {
    /// The most inputs one embeddings request takes (OpenAI's limit).
    static let maxEmbeddingInputs = 2048

    /// 1 to `maxEmbeddingInputs` non-empty strings, or a 400 in OpenAI's shape.
    static func checkInputs(_ input: [String]) throws {
        guard !input.isEmpty, input.count <= maxEmbeddingInputs else {
            throw OpenAIError.invalidRequest("'input' takes 1 to \(maxEmbeddingInputs) strings", param: "input")
        }
        guard !input.contains("") else { throw OpenAIError.invalidRequest("'input' must not contain empty strings", param: "input") }
    }

    /// `POST /v1/embeddings`: `input` a string or a list of strings; `encoding_format` `float` or `base64`.
    func embeddings(_ request: Request) async throws -> Response {
        let (_, hash, body) = try await read(request, as: EmbeddingsRequest.self)
        let served = try model(body.model)
        guard served.embeds else { throw OpenAIError.invalidRequest("the model '\(served.name)' does not embed text", param: "model") }
        try Self.checkInputs(body.input)
        let format = body.encodingFormat ?? "float"
        guard format == "float" || format == "base64" else {
            throw OpenAIError.invalidRequest("'encoding_format' must be 'float' or 'base64'", param: "encoding_format")
        }
        let prepared: PreparedEmbedding
        do { prepared = try await backend.prepare(EmbeddingRequest(model: served, inputs: body.input)) } catch {
            throw OpenAIError.from(error, param: "input")
        }
        let ticket = try await authorize(request, model: served, maxCost: prepared.maxCost)
        let result: EmbeddingResult
        do { result = try await backend.embed(prepared) } catch {
            await desk.release(ticket)
            throw OpenAIError.from(error, param: "input")
        }
        guard result.vectors.count == body.input.count else {
            await desk.release(ticket)
            throw OpenAIError.backend("the backend returned \(result.vectors.count) vectors for \(body.input.count) inputs")
        }
        let output = Hash.sha256(result.vectors.flatMap(EmbeddingBytes.littleEndian))
        let receipt = try await deliver(ticket, model: served, prompt: 0, completion: 0, embedding: result.tokens, requestHash: hash,
                                        outputHash: output)
        return try json(EmbeddingsBody(model: served.name, vectors: result.vectors, promptTokens: result.tokens, base64: format == "base64"),
                        receipt: receipt, model: served)
    }
}
