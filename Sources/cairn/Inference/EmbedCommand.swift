import ArgumentParser
import CairnInference
import Foundation

/// `cairn embed TEXT...`: sentence embeddings with all-MiniLM-L6-v2.
///
/// Prints each vector on its own line, or JSON with `--json`; for exactly two texts it prints their cosine
/// similarity instead of the vectors (JSON output carries both).
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts with MiniLM (all-MiniLM-L6-v2); for two texts, print their cosine similarity.")

    @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).")
    var models: String?

    @Flag(help: "Print the vectors (and, for two texts, the similarity) as JSON.")
    var json = false

    @Option(help: "Texts per forward pass.")
    var batchSize = 32

    @Argument(help: "The texts to embed.")
    var texts: [String] = []

    func validate() throws {
        guard !texts.isEmpty else { throw ValidationError("give at least one TEXT to embed") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        try await reportingFailure {
            let directory = try ModelLocator(directory: models).path(for: "minilm")
            let model = try EmbeddingModel(directory: directory)
            let vectors = try model.embed(texts, batchSize: batchSize)
            let similarity = texts.count == 2 ? EmbeddingModel.cosineSimilarity(vectors[0], vectors[1]) : nil
            if json {
                try printJSON(vectors: vectors, similarity: similarity)
            } else if let similarity {
                print("cosine similarity: \(similarity)")
            } else {
                for vector in vectors { print(vector.map { "\($0)" }.joined(separator: " ")) }
            }
        }
    }

    private struct Output: Encodable {
        struct Item: Encodable {
            let text: String
            let embedding: [Float]
        }
        let model: String
        let dimension: Int
        let embeddings: [Item]
        let cosineSimilarity: Float?
    }

    private func printJSON(vectors: [[Float]], similarity: Float?) throws {
        let output = Output(
            model: "all-MiniLM-L6-v2", dimension: vectors.first?.count ?? 0,
            embeddings: zip(texts, vectors).map { Output.Item(text: $0, embedding: $1) }, cosineSimilarity: similarity)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(output), as: UTF8.self))
    }
}
