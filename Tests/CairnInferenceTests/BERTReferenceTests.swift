import CairnTestSupport
import Testing

@testable import CairnInference

struct MiniLMFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let untruncatedTokenCount: Int
        let vector: [Float]
    }
    let cases: [Case]
}

/// The MiniLM model, loaded once for the suite.
enum MiniLM {
    static let model: Result<EmbeddingModel, ReferenceModels.NotInstalled> = {
        do {
            return .success(try EmbeddingModel(directory: try ReferenceModels.miniLM()))
        } catch {
            return .failure(ReferenceModels.NotInstalled(description: "\(error)"))
        }
    }()
}

@Suite("MiniLM sentence embeddings against sentence-transformers")
struct BERTReferenceTests {
    let fixture: MiniLMFixture
    init() throws { fixture = try ReferenceFixtures.load("minilm_reference") }

    @Test func fixtureHasTwentySentencesIncludingOnesLongerThan256Tokens() {
        #expect(fixture.cases.count >= 20)
        #expect(fixture.cases.filter { $0.untruncatedTokenCount > 256 }.count >= 2)
        #expect(fixture.cases.allSatisfy { $0.vector.count == 384 })
    }

    @Test func cosineToReferenceIsAtLeast0_9999ForEverySentence() async throws {
        try await onOwnThread {
            let model = try MiniLM.model.get()
            let vectors = try model.embed(fixture.cases.map(\.text), batchSize: 8)
            var worst: Float = 1
            for (item, vector) in zip(fixture.cases, vectors) {
                let cosine = EmbeddingModel.cosineSimilarity(vector, item.vector)
                worst = min(worst, cosine)
                #expect(cosine >= 0.9999, "cosine \(cosine) for \(item.text.prefix(60).debugDescription)")
            }
            print("MiniLM: worst cosine to sentence-transformers over \(vectors.count) sentences: \(worst)")
        }
    }

    @Test func embeddingsHaveUnitLength() async throws {
        try await onOwnThread {
            let model = try MiniLM.model.get()
            for vector in try model.embed(["A man is eating food.", "", String(repeating: "long ", count: 600)]) {
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(norm - 1) < 1e-5)
            }
        }
    }

    @Test func batchingGivesTheSameVectorsAsOneByOne() async throws {
        try await onOwnThread {
            let model = try MiniLM.model.get()
            // Every short sentence and one long one: one-by-one runs are slow in debug builds.
            let short = fixture.cases.filter { $0.untruncatedTokenCount <= 64 }.map(\.text)
            let texts = short + fixture.cases.filter { $0.untruncatedTokenCount > 256 }.prefix(1).map(\.text)
            let batched = try model.embed(texts, batchSize: 32)
            for (text, vector) in zip(texts, batched) {
                let single = try model.embed(text)
                let difference = zip(single, vector).map { abs($0 - $1) }.max() ?? 0
                #expect(difference < 1e-5, "max difference \(difference) for \(text.prefix(40).debugDescription)")
            }
        }
    }

    @Test func similarSentencesAreCloserThanUnrelatedOnes() async throws {
        try await onOwnThread {
            let model = try MiniLM.model.get()
            let v = try model.embed(["A man is eating food.", "A man is eating a piece of bread.", "A monkey is playing drums."])
            #expect(EmbeddingModel.cosineSimilarity(v[0], v[1]) > EmbeddingModel.cosineSimilarity(v[0], v[2]) + 0.2)
        }
    }

    @Test func concurrentRequestsAreBatchedAndGetTheirVectorsAlone() async throws {
        let model = try MiniLM.model.get()
        let requests = (0..<12).map { i in (0...(i % 3)).map { j in fixture.cases[(i * 3 + j) % fixture.cases.count].text } }
        let alone = try await onOwnThread { try requests.map { try model.embed($0, batchSize: 1) } }
        let batcher = EmbeddingBatcher(model: model, maxTexts: 16)
        let together = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (i, texts) in requests.enumerated() { group.addTask { (i, try await batcher.embed(texts)) } }
            return try await group.reduce(into: [Int: [[Float]]]()) { $0[$1.0] = $1.1 }
        }
        for (i, expected) in alone.enumerated() {
            let got = try #require(together[i])
            #expect(got.count == expected.count)
            let difference = zip(got.joined(), expected.joined()).map { abs($0 - $1) }.max() ?? 0
            #expect(difference < 1e-5, "request \(i): max difference \(difference)")
        }
        let figures = batcher.figures
        #expect(figures.requests == 12 && figures.texts == requests.joined().count)
        #expect(figures.batches < 12, "12 concurrent requests in \(figures.batches) batches")
        #expect(try await batcher.embed([]).isEmpty)
    }
}
