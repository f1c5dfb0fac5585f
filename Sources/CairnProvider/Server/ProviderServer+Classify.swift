import CairnWire
import Hummingbird
import CairnPrimitives
import Foundation
import CairnMarket
import CairnTrainer

extension ProviderServer {
    /// `POST /v1/cairn/classify`: `input` a string or a list of strings, `model` a trained head this provider serves.
    /// The texts are embedded with the head's base model and labelled by the head; the request is priced and
    /// receipted as the head's embedding tokens, so the head's royalty reaches its share holders (its data owners).
    func classify(_ request: Request) async throws -> Response {
        let (_, hash, body) = try await read(request, as: ClassifyRequest.self)
        guard let served = heads.first(where: { $0.served.answers(to: body.model) }) else {
            if backend.models.contains(where: { $0.answers(to: body.model) }) {
                throw OpenAIError.invalidRequest("the model '\(body.model)' is not a classifier", param: "model")
            }
            throw OpenAIError.modelNotFound(body.model)
        }
        try Self.checkInputs(body.input)
        let prepared: PreparedEmbedding
        do { prepared = try await backend.prepare(EmbeddingRequest(model: served.base, inputs: body.input)) } catch {
            throw OpenAIError.from(error, param: "input")
        }
        let maxCost = served.served.price.cost(promptTokens: 0, completionTokens: 0, embeddingTokens: TokenCount.clamp(prepared.tokens))
        let ticket = try await authorize(request, model: served.served, maxCost: maxCost)
        let result: EmbeddingResult
        do { result = try await backend.embed(prepared) } catch {
            await desk.release(ticket)
            throw OpenAIError.from(error, param: "input")
        }
        guard result.vectors.count == body.input.count, result.vectors.allSatisfy({ $0.count == served.head.shape.inputs }) else {
            await desk.release(ticket)
            throw OpenAIError.backend("the base model returned \(result.vectors.count) vectors for \(body.input.count) inputs, or of another width")
        }
        let items = result.vectors.enumerated().map { i, x in
            let p = served.head.probabilities(x)
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            return ClassifyBody.Item(index: i, label: served.labels[best],
                                     probabilities: zip(served.labels, p).map { .init(label: $0, probability: Double($1)) })
        }
        let answer = ClassifyBody(model: served.served.name, data: items, tokens: result.tokens)
        let encoded = try JSONEncoder().encode(answer)
        let receipt = try await deliver(ticket, model: served.served, prompt: 0, completion: 0, embedding: result.tokens, requestHash: hash,
                                        outputHash: Hash.sha256(encoded))
        return try json(answer, receipt: receipt, model: served.base)
    }
}
